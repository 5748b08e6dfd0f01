/**
 * A polynomial check for a read/write register whose writes all have distinct
 * values (Gibbons & Korach; the "zones" form of Golab, Li & Shah): every read
 * names the write it read from, so group each write with its reads into a
 * cluster. With f = the earliest completion and s = the latest invocation in
 * a cluster, the cluster's value must be held from f to s when f < s (a
 * forward zone); otherwise the whole cluster fits at one instant in [s, f] (a
 * backward zone). The history is linearizable iff no read returns before its
 * write is invoked, no two forward zones overlap, and no backward zone lies
 * inside a forward zone. O(n log n).
 *
 * Unknown outcomes: a write that may have happened takes effect at most at the
 * end of time (completion = ∞) when something read it, and is dropped when
 * nothing did (it may never have happened); reads with unknown outcomes say
 * nothing.
 */
import { canonicalJson } from './model.js';

export interface RegisterOp {
  f: 'read' | 'write';
  /** The written value, or the value a read returned. */
  value: unknown;
  /** Known outcome (ok) or not (info/pending). */
  known: boolean;
  call: number;
  /** Infinity when the outcome is unknown. */
  ret: number;
}

export type ZonesOutcome =
  | { kind: 'linearizable' }
  | { kind: 'violation'; ops: number[]; reason: ZoneConflict }
  | { kind: 'not-applicable'; why: string };

export type ZoneConflict =
  | { kind: 'no-write'; read: number }
  | { kind: 'read-before-write'; read: number; write: number }
  | { kind: 'overlap'; first: ClusterZone; second: ClusterZone }
  | { kind: 'inside'; inner: ClusterZone; outer: ClusterZone };

export interface ClusterZone {
  /** Index of the write (-1 for the initial absent value). */
  write: number;
  value: unknown;
  /** Ops (indices) that define the zone's ends: the one completing first and the one invoked last. */
  firstReturn: number;
  lastCall: number;
  from: number;
  to: number;
}

interface Cluster {
  write: number;
  value: unknown;
  f: number;
  fOp: number;
  s: number;
  sOp: number;
  hasReads: boolean;
}

/** Decides a single-register history of reads and writes with unique written values. */
export function checkRegisterZones(ops: readonly RegisterOp[]): ZonesOutcome {
  const clusters = new Map<string, Cluster>();
  clusters.set(canonicalJson(null), { write: -1, value: null, f: -Infinity, fOp: -1, s: -Infinity, sOp: -1, hasReads: false });
  ops.forEach((op, i) => {
    if (op.f !== 'write') return;
    const key = canonicalJson(op.value);
    if (clusters.has(key)) return;
    clusters.set(key, { write: i, value: op.value, f: op.ret, fOp: i, s: op.call, sOp: i, hasReads: false });
  });
  let writes = 0;
  for (const op of ops) if (op.f === 'write') writes += 1;
  if (clusters.size !== writes + 1) return { kind: 'not-applicable', why: 'written values are not unique' };

  for (let i = 0; i < ops.length; i += 1) {
    const op = ops[i]!;
    if (op.f !== 'read' || !op.known) continue;
    const cluster = clusters.get(canonicalJson(op.value));
    if (cluster === undefined) return { kind: 'violation', ops: [i], reason: { kind: 'no-write', read: i } };
    if (cluster.write >= 0 && op.ret < ops[cluster.write]!.call) {
      return { kind: 'violation', ops: [cluster.write, i], reason: { kind: 'read-before-write', read: i, write: cluster.write } };
    }
    cluster.hasReads = true;
    if (op.ret < cluster.f) {
      cluster.f = op.ret;
      cluster.fOp = i;
    }
    if (op.call > cluster.s) {
      cluster.s = op.call;
      cluster.sOp = i;
    }
  }

  const forward: ClusterZone[] = [];
  const backward: ClusterZone[] = [];
  for (const c of clusters.values()) {
    if (!c.hasReads && (c.write < 0 || !Number.isFinite(ops[c.write]!.ret))) continue; // never needed to happen
    const zone = { write: c.write, value: c.value, firstReturn: c.fOp, lastCall: c.sOp };
    if (c.f < c.s) forward.push({ ...zone, from: c.f, to: c.s });
    else backward.push({ ...zone, from: c.s, to: c.f });
  }
  forward.sort((a, b) => a.from - b.from);
  const involved = (...zones: ClusterZone[]): number[] =>
    [...new Set(zones.flatMap((z) => [z.write, z.firstReturn, z.lastCall]).filter((i) => i >= 0))].sort((a, b) => a - b);
  for (let k = 1; k < forward.length; k += 1) {
    if (forward[k]!.from < forward[k - 1]!.to) {
      const [first, second] = [forward[k - 1]!, forward[k]!];
      return { kind: 'violation', ops: involved(first, second), reason: { kind: 'overlap', first, second } };
    }
  }
  for (const inner of backward) {
    // The forward zone starting last at or before inner.from is the only one that can contain it (they are disjoint).
    let lo = 0;
    let hi = forward.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (forward[mid]!.from <= inner.from) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found >= 0 && forward[found]!.to >= inner.to) {
      const outer = forward[found]!;
      return { kind: 'violation', ops: involved(inner, outer), reason: { kind: 'inside', inner, outer } };
    }
  }
  return { kind: 'linearizable' };
}
