/**
 * The dependency graph: a multigraph over transactions with typed edges kept
 * in flat typed arrays (a million transactions make a few million edges), a
 * compressed adjacency (CSR) for traversals, and Tarjan's strongly connected
 * components, iterative so a long chain cannot overflow the stack.
 */
import { Int32Store, Uint8Store } from '../../history/stores.js';

/** Edge types. Bits of a mask are `1 << type`. */
export const WW = 0;
export const WR = 1;
export const RW = 2;
export const PROCESS = 3;
export const REALTIME = 4;
export type EdgeType = typeof WW | typeof WR | typeof RW | typeof PROCESS | typeof REALTIME;
export const EDGE_NAMES = ['ww', 'wr', 'rw', 'process', 'realtime'] as const;

export const DATA_MASK = (1 << WW) | (1 << WR) | (1 << RW);
export const ALL_MASK = DATA_MASK | (1 << PROCESS) | (1 << REALTIME);

/** Edges as they are inferred; {@link EdgeList.freeze} turns them into a {@link Graph}. */
export class EdgeList {
  readonly src: Int32Store;
  readonly dst: Int32Store;
  readonly kind: Uint8Store;
  /** Key id (data edges) or -1. */
  readonly key: Int32Store;
  /** Position in the key's version order the edge is about (see explain.ts), or -1. */
  readonly pos: Int32Store;

  /** `capacity`: edges expected; room is reserved, not touched, so a generous guess costs nothing and saves copies. */
  constructor(capacity = 1024) {
    this.src = new Int32Store(capacity);
    this.dst = new Int32Store(capacity);
    this.kind = new Uint8Store(capacity);
    this.key = new Int32Store(capacity);
    this.pos = new Int32Store(capacity);
  }

  add(from: number, to: number, type: EdgeType, key = -1, pos = -1): void {
    this.src.push(from);
    this.dst.push(to);
    this.kind.push(type);
    this.key.push(key);
    this.pos.push(pos);
  }

  get size(): number {
    return this.src.length;
  }

  freeze(nodeCount: number): Graph {
    const m = this.src.length;
    const src = this.src.data;
    const offsets = new Int32Array(nodeCount + 1);
    for (let i = 0; i < m; i++) offsets[src[i]! + 1]!++;
    for (let v = 0; v < nodeCount; v++) offsets[v + 1]! += offsets[v]!;
    const fill = offsets.slice(0, nodeCount);
    const dst = new Int32Array(m);
    const kind = new Uint8Array(m);
    const edge = new Int32Array(m);
    for (let i = 0; i < m; i++) {
      const at = fill[src[i]!]!++;
      dst[at] = this.dst.data[i]!;
      kind[at] = this.kind.data[i]!;
      edge[at] = i;
    }
    return new Graph(nodeCount, offsets, dst, kind, edge, this.key.data, this.pos.data);
  }
}

/** Adjacency of a frozen graph: the out-edges of `v` are `offsets[v] .. offsets[v+1]-1`. */
export class Graph {
  constructor(
    readonly nodeCount: number,
    readonly offsets: Int32Array,
    readonly dst: Int32Array,
    readonly kind: Uint8Array,
    /** The edge's index in the {@link EdgeList} (its key and pos are kept there). */
    private readonly edge: Int32Array,
    private readonly keys: Int32Array,
    private readonly positions: Int32Array,
  ) {}

  /** Key id of edge e (data edges) or -1. */
  key(e: number): number {
    return this.keys[this.edge[e]!]!;
  }

  /** Position in the key's version order edge e is about, or -1. */
  pos(e: number): number {
    return this.positions[this.edge[e]!]!;
  }

  get edgeCount(): number {
    return this.dst.length;
  }

  /**
   * Strongly connected components of the subgraph of nodes with
   * `within[v] === scope` (all nodes when `within` is omitted) and edges
   * whose type is in `mask`. Returns the component of each node (-1 outside
   * the scope or in a single-node component without a self-loop) and the
   * components with more than one node.
   */
  components(mask: number, nodes?: Int32Array, within?: Int32Array, scope = 0): { comp: Int32Array; sccs: Int32Array[] } {
    const n = this.nodeCount;
    const comp = new Int32Array(n).fill(-1);
    const index = new Int32Array(n).fill(-1);
    const low = new Int32Array(n);
    const onStack = new Uint8Array(n);
    const stack: number[] = [];
    const callNode: number[] = [];
    const callEdge: number[] = [];
    const sccs: Int32Array[] = [];
    let counter = 0;
    const inScope = (v: number): boolean => within === undefined || within[v] === scope;
    const roots = nodes ?? Int32Array.from({ length: n }, (_, i) => i);
    for (const root of roots) {
      if (index[root] !== -1 || !inScope(root)) continue;
      index[root] = low[root] = counter++;
      stack.push(root);
      onStack[root] = 1;
      callNode.push(root);
      callEdge.push(this.offsets[root]!);
      while (callNode.length > 0) {
        const v = callNode[callNode.length - 1]!;
        let e = callEdge[callEdge.length - 1]!;
        const end = this.offsets[v + 1]!;
        let descended = false;
        for (; e < end; e++) {
          if (((1 << this.kind[e]!) & mask) === 0) continue;
          const w = this.dst[e]!;
          if (!inScope(w)) continue;
          if (index[w] === -1) {
            callEdge[callEdge.length - 1] = e + 1;
            index[w] = low[w] = counter++;
            stack.push(w);
            onStack[w] = 1;
            callNode.push(w);
            callEdge.push(this.offsets[w]!);
            descended = true;
            break;
          } else if (onStack[w] && index[w]! < low[v]!) {
            low[v] = index[w]!;
          }
        }
        if (descended) continue;
        callNode.pop();
        callEdge.pop();
        const parent = callNode[callNode.length - 1];
        if (parent !== undefined && low[v]! < low[parent]!) low[parent] = low[v]!;
        if (low[v] === index[v]) {
          const members: number[] = [];
          let w: number;
          do {
            w = stack.pop()!;
            onStack[w] = 0;
            members.push(w);
          } while (w !== v);
          if (members.length > 1) {
            const id = sccs.length;
            for (const m of members) comp[m] = id;
            sccs.push(Int32Array.from(members));
          }
        }
      }
    }
    return { comp, sccs };
  }
}
