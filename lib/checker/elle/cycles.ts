/**
 * Cycle anomalies inside one strongly connected component of the full graph.
 *
 * Each family is a shape of cycle (Adya's definitions, Elle's names):
 * G0 only ww; G1c ww and wr with at least one wr; G-single exactly one rw;
 * G-nonadjacent two or more rw, no two of them adjacent (what snapshot
 * isolation forbids, per Cerone and Gotsman); G2-item two or more rw with
 * some two adjacent (write skew, which snapshot isolation allows). So every
 * cycle with an rw edge is exactly one of the last three. A family is
 * searched first over data edges alone,
 * then allowing process edges (`-process`), then real-time edges too
 * (`-realtime`); a variant is named only when the weaker search found
 * nothing. Every cycle of a family contains an edge of its seed type, so the
 * search tries seed edges u→v and runs a breadth-first search from v back to
 * u (shortest path first), only for seeds whose ends share a component of
 * the family's subgraph (others cannot close a cycle).
 *
 * The work is bounded per component: past `budget` edge visits the remaining
 * searches stop, and the component is reported with the cycles found so far,
 * or with any one cycle (found in linear time) marked partial.
 */
import { DATA_MASK, EdgeList, type EdgeType, Graph, PROCESS, REALTIME, RW, WR, WW } from './graph.js';

export interface FoundCycle {
  type: string;
  /** Local node ids around the cycle, first repeated implicitly at the end. */
  nodes: number[];
  /** Local edge index of each step (nodes[i] → nodes[i+1]). */
  edges: number[];
  partial?: boolean;
}

/** What a cycle needs of its rw edges beyond the seed (an rw seed itself for the last two). */
type RwRule = 'none' | 'nonadjacent' | 'adjacent';

interface Family {
  name: string;
  seed: EdgeType;
  mask: number;
  rw: RwRule;
}

const bit = (t: EdgeType): number => 1 << t;
const FAMILIES: Family[] = [
  { name: 'G0', seed: WW, mask: bit(WW), rw: 'none' },
  { name: 'G1c', seed: WR, mask: bit(WW) | bit(WR), rw: 'none' },
  { name: 'G-single', seed: RW, mask: bit(WW) | bit(WR), rw: 'none' },
  { name: 'G-nonadjacent', seed: RW, mask: DATA_MASK, rw: 'nonadjacent' },
  { name: 'G2-item', seed: RW, mask: DATA_MASK, rw: 'adjacent' },
];
const VARIANTS: Array<{ suffix: string; extra: number }> = [
  { suffix: '', extra: 0 },
  { suffix: '-process', extra: bit(PROCESS) },
  { suffix: '-realtime', extra: bit(PROCESS) | bit(REALTIME) },
];
/** After the first cycle of a family, this many more seeds are tried for a shorter one. */
const EXTRA_SEEDS = 64;

/** The subgraph induced by one component, renumbered 0..k-1; `origin[i]` is the global id. */
export function localGraph(g: Graph, members: Int32Array, comp: Int32Array, id: number): Graph {
  const local = new Map<number, number>();
  members.forEach((v, i) => local.set(v, i));
  const edges = new EdgeList();
  members.forEach((v, i) => {
    for (let e = g.offsets[v]!; e < g.offsets[v + 1]!; e++) {
      const w = g.dst[e]!;
      if (comp[w] === id) edges.add(i, local.get(w)!, g.kind[e] as EdgeType, g.key(e), g.pos(e));
    }
  });
  return edges.freeze(members.length);
}

/** Search state flags (a state is node * 8 + flags). */
const EXTRA = 1;
const LAST_RW = 2;
const RW_MET = 4;

class Search {
  private readonly stamp: Int32Array;
  private readonly parentState: Int32Array;
  private readonly parentEdge: Int32Array;
  private epoch = 0;
  spent = 0;

  constructor(
    private readonly g: Graph,
    private readonly budget: number,
  ) {
    const states = g.nodeCount * 8;
    this.stamp = new Int32Array(states);
    this.parentState = new Int32Array(states);
    this.parentEdge = new Int32Array(states);
  }

  get exhausted(): boolean {
    return this.spent >= this.budget;
  }

  /**
   * Shortest path from `from` to `to` over `mask`, within `comp`'s component,
   * that closes a cycle of the family after an rw seed when `rule` asks for
   * one (the seed counts as the edge before the first and after the last),
   * and uses an `extraMask` edge when `needExtra`; edge list or null.
   */
  path(from: number, to: number, mask: number, extraMask: number, rule: RwRule, needExtra: boolean, comp: Int32Array): number[] | null {
    const g = this.g;
    const tracksRw = rule !== 'none';
    const scope = comp[from]!;
    const start = from * 8 + (tracksRw ? LAST_RW : 0);
    this.epoch++;
    const queue = [start];
    this.stamp[start] = this.epoch;
    for (let head = 0; head < queue.length; head++) {
      const s = queue[head]!;
      const v = s >> 3;
      for (let e = g.offsets[v]!; e < g.offsets[v + 1]!; e++) {
        this.spent++;
        const k = g.kind[e]!;
        if ((bit(k as EdgeType) & mask) === 0) continue;
        const w = g.dst[e]!;
        if (comp[w] !== scope || w === from) continue;
        let flags = needExtra && ((s & EXTRA) !== 0 || (bit(k as EdgeType) & extraMask) !== 0) ? EXTRA : 0;
        if (tracksRw) {
          const isRw = k === RW;
          const afterRw = (s & LAST_RW) !== 0;
          if (rule === 'nonadjacent' && isRw && afterRw) continue;
          const met = (s & RW_MET) !== 0 || (isRw && (rule === 'nonadjacent' || afterRw));
          flags |= (isRw ? LAST_RW : 0) | (met ? RW_MET : 0);
        }
        const t = w * 8 + flags;
        if (w === to && !closes(flags, rule, needExtra)) continue; // the path may not pass through its end
        if (this.stamp[t] === this.epoch) continue;
        this.stamp[t] = this.epoch;
        this.parentState[t] = s;
        this.parentEdge[t] = e;
        if (w === to) {
          const path: number[] = [];
          for (let x = t; x !== start; x = this.parentState[x]!) path.push(this.parentEdge[x]!);
          return path.reverse();
        }
        queue.push(t);
      }
      if (this.spent >= this.budget) return null;
    }
    return null;
  }
}

/** Whether a path arriving at the seed's source with these flags closes a cycle of the family. */
function closes(flags: number, rule: RwRule, needExtra: boolean): boolean {
  if (needExtra && (flags & EXTRA) === 0) return false;
  const met = (flags & RW_MET) !== 0;
  const lastRw = (flags & LAST_RW) !== 0;
  if (rule === 'nonadjacent') return met && !lastRw; // the seed (rw) follows the last edge
  if (rule === 'adjacent') return met || lastRw;
  return true;
}

/** How many rw edges a cycle has, and whether two of them follow each other (around the ring). */
function rwShape(g: Graph, edges: readonly number[]): { rw: number; adjacent: boolean } {
  let rw = 0;
  let adjacent = false;
  edges.forEach((e, i) => {
    if (g.kind[e] !== RW) return;
    rw++;
    if (edges.length > 1 && g.kind[edges[(i + 1) % edges.length]!] === RW) adjacent = true;
  });
  return { rw, adjacent };
}

function edgeSource(g: Graph, e: number): number {
  // Binary search in offsets: the node whose range holds e.
  let lo = 0;
  let hi = g.nodeCount - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (g.offsets[mid]! <= e) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function cycleFrom(g: Graph, edges: number[]): { nodes: number[]; edges: number[] } {
  return { nodes: edges.map((e) => edgeSource(g, e)), edges };
}

/** Names a cycle by what its edges are (for the budget fallback). */
export function classify(g: Graph, edges: readonly number[]): string {
  let wr = 0;
  let process = 0;
  let realtime = 0;
  for (const e of edges) {
    const k = g.kind[e]!;
    if (k === WR) wr++;
    else if (k === PROCESS) process++;
    else if (k === REALTIME) realtime++;
  }
  const { rw, adjacent } = rwShape(g, edges);
  const base = rw >= 2 ? (adjacent ? 'G2-item' : 'G-nonadjacent') : rw === 1 ? 'G-single' : wr > 0 ? 'G1c' : 'G0';
  return base + (realtime > 0 ? '-realtime' : process > 0 ? '-process' : '');
}

/** The path with its loops cut out (breadth-first search over flagged states can revisit a node). */
function simplePath(g: Graph, from: number, edges: readonly number[]): number[] {
  const nodes = [from];
  const kept: number[] = [];
  const at = new Map<number, number>([[from, 0]]);
  for (const e of edges) {
    const w = g.dst[e]!;
    const seen = at.get(w);
    if (seen !== undefined) {
      for (const dropped of nodes.splice(seen + 1)) at.delete(dropped);
      kept.splice(seen);
      continue;
    }
    kept.push(e);
    at.set(w, nodes.length);
    nodes.push(w);
  }
  return kept;
}

function fits(g: Graph, rule: RwRule, cycle: readonly number[]): boolean {
  if (rule === 'none') return true;
  const { rw, adjacent } = rwShape(g, cycle);
  return rw >= 2 && adjacent === (rule === 'adjacent');
}

function searchFamily(g: Graph, search: Search, family: Family, extra: number): number[] | null {
  const needExtra = extra !== 0;
  const pathMask = family.mask | extra;
  const { comp } = g.components(pathMask | bit(family.seed));
  let best: number[] | null = null;
  let triedAfterFound = 0;
  for (let u = 0; u < g.nodeCount; u++) {
    if (comp[u] === -1) continue;
    for (let e = g.offsets[u]!; e < g.offsets[u + 1]!; e++) {
      if (g.kind[e] !== family.seed) continue;
      const v = g.dst[e]!;
      if (comp[v] !== comp[u]) continue;
      if (search.exhausted) return best;
      const walk = search.path(v, u, pathMask, extra, family.rw, needExtra, comp);
      const cycle = walk && [e, ...simplePath(g, v, walk)];
      // A walk that met its conditions only inside a loop is no cycle of this family.
      const valid = cycle && fits(g, family.rw, cycle) && (!needExtra || cycle.some((x) => (bit(g.kind[x] as EdgeType) & extra) !== 0));
      if (valid && (!best || cycle.length < best.length)) best = cycle;
      if (best && (best.length === 2 || ++triedAfterFound > EXTRA_SEEDS)) return best;
    }
  }
  return best;
}

/** Any one cycle through node 0 of a strongly connected graph (linear time; for the budget fallback). */
function anyCycle(g: Graph): number[] {
  const all = new Int32Array(g.nodeCount);
  const first = g.offsets[0]!;
  const rest = new Search(g, Number.POSITIVE_INFINITY).path(g.dst[first]!, 0, 0xff, 0, 'none', false, all);
  return [first, ...(rest ?? [])];
}

/** The anomaly cycles of one component (already a local graph). */
export function componentCycles(g: Graph, budget: number): { cycles: FoundCycle[]; partial: boolean } {
  const search = new Search(g, budget);
  const cycles: FoundCycle[] = [];
  for (const family of FAMILIES) {
    for (const variant of VARIANTS) {
      if (search.exhausted) break;
      const found = searchFamily(g, search, family, variant.extra);
      if (found) {
        cycles.push({ type: family.name + variant.suffix, ...cycleFrom(g, found) });
        break;
      }
    }
  }
  const partial = search.exhausted;
  if (cycles.length === 0) {
    const edges = anyCycle(g);
    cycles.push({ type: classify(g, edges), ...cycleFrom(g, edges), partial: true });
  }
  return { cycles, partial };
}
