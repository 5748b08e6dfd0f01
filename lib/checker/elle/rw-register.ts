/**
 * What rw-register reads reveal (Elle's rw-register). Transactions write and
 * read single values, `["w", k, v]` / `["r", k, v]`, with values unique per
 * key. A read names its writer, so wr edges are certain; ww and rw edges need
 * the version order, which a read of one value does not show. It comes only
 * from facts that force it (version-order.ts), and a direct edge between two
 * versions the facts order stands for a chain through any versions between
 * them: the same number of rw edges, never fewer ww between them, so a cycle
 * found is a cycle of the real graph and never of a worse family.
 * Reads also expose aborted reads (G1a), intermediate reads (G1b), reads of
 * values nobody wrote, and reads that disagree with the transaction itself.
 */
import type { AnomalyLog } from './anomaly-log.js';
import { EdgeList, RW, WR, WW } from './graph.js';
import type { Txn } from './transactions.js';
import { KeyVersions, type OrderFact, type RegisterValue } from './version-order.js';

export type { RegisterValue };

export type RegisterOp = { kind: 'w'; key: string; value: RegisterValue } | { kind: 'r'; key: string; value: RegisterValue | null };

export interface RegisterInferenceOptions {
  /** Each process observes a key's versions in order (Elle's `sequential-keys?`). */
  sequentialKeys?: boolean;
  /** A key's versions follow real time (Elle's `linearizable-keys?`). */
  linearizableKeys?: boolean;
}

/** Why a data edge exists: its `pos` indexes these. */
export type EdgeReason = { kind: 'wr'; key: string; value: RegisterValue } | { kind: 'order'; fact: OrderFact };

export interface RegisterInference {
  edges: EdgeList;
  reasons: EdgeReason[];
  /** Keys whose facts leave two versions unordered. */
  ambiguousKeys: string[];
}

const isValue = (x: unknown): x is RegisterValue => typeof x === 'number' || typeof x === 'string';
const show = (v: RegisterValue | null): string => (v === null ? 'nil' : String(v));
const T = (t: Txn<RegisterOp>): string => `T${t.invokeIndex}`;

/** Micro-operations `[w k v]` / `[r k v]` (also `write`/`read`, and EDN keywords with their colon). */
export function parseRegisterOps(value: unknown, where: string, malformed: string[]): RegisterOp[] {
  if (!Array.isArray(value)) {
    malformed.push(`${where}: a txn value must be a list of micro-operations`);
    return [];
  }
  const ops: RegisterOp[] = [];
  for (const mop of value as unknown[]) {
    if (!Array.isArray(mop) || mop.length !== 3) {
      malformed.push(`${where}: micro-operation ${JSON.stringify(mop)} is not [f, key, value]`);
      continue;
    }
    let f = mop[0] as unknown;
    if (typeof f === 'string' && f.startsWith(':')) f = f.slice(1);
    const key = typeof mop[1] === 'string' ? mop[1] : String(mop[1]);
    const v = mop[2] as unknown;
    if (f === 'w' || f === 'write') {
      if (isValue(v)) ops.push({ kind: 'w', key, value: v });
      else malformed.push(`${where}: write of ${JSON.stringify(v)} to ${key} (values must be numbers or strings)`);
    } else if (f === 'r' || f === 'read') {
      if (v === null || v === undefined || isValue(v)) ops.push({ kind: 'r', key, value: v ?? null });
      else malformed.push(`${where}: read of ${key} returned ${JSON.stringify(v)}, not a single value`);
    } else {
      malformed.push(`${where}: unknown micro-operation ${JSON.stringify(mop[0])} (expected w or r)`);
    }
  }
  return ops;
}

interface KeyState {
  id: number;
  versions: KeyVersions;
  /** Who wrote each value (any outcome). */
  writer: Map<RegisterValue, number>;
  /** Values their writer overwrote later in the same transaction: never installed. */
  intermediate: Set<RegisterValue>;
  /** Committed transactions that read each version from outside themselves (null: the initial nil). */
  readers: Map<RegisterValue | null, number[]>;
}

/** What one committed transaction observed of each key, in order: its outside reads, then its final write. */
type Observations = Map<string, RegisterValue[]>;

export function inferRwRegister(txns: ReadonlyArray<Txn<RegisterOp>>, log: AnomalyLog, options: RegisterInferenceOptions = {}): RegisterInference {
  const keys = new Map<string, KeyState>();
  const keyOf = (name: string): KeyState => {
    let s = keys.get(name);
    if (!s) keys.set(name, (s = { id: keys.size, versions: new KeyVersions(name), writer: new Map(), intermediate: new Set(), readers: new Map() }));
    return s;
  };
  const edges = new EdgeList();
  const reasons: EdgeReason[] = [];

  for (const txn of txns) {
    const last = new Map<string, RegisterValue>();
    for (const op of txn.ops) {
      if (op.kind !== 'w') continue;
      const state = keyOf(op.key);
      const earlier = state.writer.get(op.value);
      if (earlier !== undefined) {
        log.add('duplicate-writes', {
          ops: [txns[earlier]!.invokeIndex, txn.invokeIndex],
          explanation: `${op.value} was written to ${op.key} twice; rw-register needs unique values, so this key's dependencies are ambiguous`,
        });
      }
      state.writer.set(op.value, txn.id);
      const previous = last.get(op.key);
      if (previous !== undefined) state.intermediate.add(previous);
      last.set(op.key, op.value);
    }
    if (txn.status === 'ok') for (const [k, v] of last) keyOf(k).versions.versions.add(v);
  }

  const observed: Array<Observations | undefined> = new Array<Observations | undefined>(txns.length);
  for (const txn of txns) {
    if (txn.status !== 'ok') continue;
    const own = new Map<string, RegisterValue>();
    const outside = new Map<string, RegisterValue | null>();
    const seen: Observations = new Map();
    for (const op of txn.ops) {
      if (op.kind === 'w') {
        own.set(op.key, op.value);
        continue;
      }
      const state = keyOf(op.key);
      const v = op.value;
      if (own.has(op.key)) {
        if (v !== own.get(op.key)) log.add('internal', { ops: [txn.invokeIndex], explanation: `${T(txn)} read ${op.key} = ${show(v)} after writing ${show(own.get(op.key)!)} to it` });
        continue;
      }
      if (outside.has(op.key)) {
        // Only the first read of a key is a dependency: a second one that differs would restate this as a cycle.
        if (outside.get(op.key) !== v) {
          log.add('nonrepeatable-read', {
            ops: [txn.invokeIndex],
            explanation: `${T(txn)} read ${op.key} = ${show(outside.get(op.key)!)} and later ${show(v)}, without writing it in between: another transaction's write became visible during it`,
          });
        }
        continue;
      }
      outside.set(op.key, v);
      if (v === null) {
        (state.readers.get(null) ?? state.readers.set(null, []).get(null)!).push(txn.id);
        continue;
      }
      if (!readsVersion(txns, txn, state, op.key, v, log)) continue;
      state.versions.versions.add(v);
      (state.readers.get(v) ?? state.readers.set(v, []).get(v)!).push(txn.id);
      const writerId = state.writer.get(v)!;
      (seen.get(op.key) ?? seen.set(op.key, []).get(op.key)!).push(v);
      edges.add(writerId, txn.id, WR, state.id, reasons.push({ kind: 'wr', key: op.key, value: v }) - 1);
    }
    for (const [k, v] of own) {
      const before = outside.get(k);
      if (before !== undefined && before !== null && keyOf(k).versions.versions.has(before)) keyOf(k).versions.add(before, v, 'write-follows-read', [txn.invokeIndex, txn.invokeIndex]);
      (seen.get(k) ?? seen.set(k, []).get(k)!).push(v);
    }
    observed[txn.id] = seen;
  }

  if (options.sequentialKeys) sequentialFacts(txns, observed, keyOf);
  if (options.linearizableKeys) realtimeFacts(txns, observed, keyOf);

  const ambiguousKeys: string[] = [];
  const usable = (w: number | undefined): w is number => w !== undefined && txns[w]!.status !== 'fail';
  for (const state of keys.values()) {
    const { cyclic, total, minimal } = state.versions.analyse();
    if (cyclic) {
      const facts = state.versions.facts.filter((f) => f.before !== null && cyclic.includes(f.before) && cyclic.includes(f.after));
      log.add('cyclic-versions', {
        ops: [...new Set(facts.flatMap((f) => f.witnesses))],
        explanation: `the version order of ${state.versions.key} contradicts itself: ${facts.map((f) => `${show(f.before)} < ${show(f.after)} (${f.source})`).join(', ')}`,
      });
      continue;
    }
    if (!total) ambiguousKeys.push(state.versions.key);
    const initial = minimal.map((v): OrderFact => ({ key: state.versions.key, before: null, after: v, source: 'initial', witnesses: [-1, -1] }));
    for (const fact of [...initial, ...state.versions.facts]) {
      const later = state.writer.get(fact.after);
      if (!usable(later)) continue;
      const reason = reasons.push({ kind: 'order', fact }) - 1;
      const earlier = fact.before === null ? undefined : state.writer.get(fact.before);
      if (usable(earlier) && earlier !== later) edges.add(earlier, later, WW, state.id, reason);
      for (const r of state.readers.get(fact.before) ?? []) if (r !== later) edges.add(r, later, RW, state.id, reason);
    }
  }
  return { edges, reasons, ambiguousKeys };
}

/** Whether a committed outside read of `v` shows an installed version; logs why not. */
function readsVersion(txns: ReadonlyArray<Txn<RegisterOp>>, reader: Txn<RegisterOp>, state: KeyState, key: string, v: RegisterValue, log: AnomalyLog): boolean {
  const w = state.writer.get(v);
  const read = `${T(reader)} read ${key} = ${show(v)}`;
  if (w === undefined) {
    log.add('garbage-read', { ops: [reader.invokeIndex], explanation: `${read}, a value no transaction wrote` });
    return false;
  }
  const writer = txns[w]!;
  if (w === reader.id) {
    log.add('internal', { ops: [reader.invokeIndex], explanation: `${read}, which it writes only later itself` });
    return false;
  }
  if (writer.status === 'fail') {
    log.add('G1a', { ops: [writer.invokeIndex, reader.invokeIndex], explanation: `${read}, which ${T(writer)} wrote in a transaction that aborted` });
    return false;
  }
  if (state.intermediate.has(v)) {
    log.add('G1b', { ops: [writer.invokeIndex, reader.invokeIndex], explanation: `${read}, an intermediate value: ${T(writer)} wrote ${key} again later in the same transaction` });
    return false;
  }
  return true;
}

/** Facts from per-process order: consecutive distinct observations of a key by one process. */
function sequentialFacts(txns: ReadonlyArray<Txn<RegisterOp>>, observed: ReadonlyArray<Observations | undefined>, keyOf: (k: string) => KeyState): void {
  const lastSeen = new Map<string, [RegisterValue, number]>(); // `${process}\0${key}` → last version, by whom
  for (const txn of txns) {
    const seen = observed[txn.id];
    if (!seen) continue;
    for (const [k, values] of seen) {
      const id = `${String(txn.process)}\u0000${k}`;
      for (const v of values) {
        const prev = lastSeen.get(id);
        if (prev) keyOf(k).versions.add(prev[0], v, 'sequential', [prev[1], txn.invokeIndex]);
        lastSeen.set(id, [v, txn.invokeIndex]);
      }
    }
  }
}

/**
 * Facts from real time: a transaction that completed observing `a` precedes
 * one that began later and observed `b`. Per key, only a frontier of
 * completed observers none of which precedes another is linked (as the
 * real-time edges are), and within a transaction its observations in order.
 */
function realtimeFacts(txns: ReadonlyArray<Txn<RegisterOp>>, observed: ReadonlyArray<Observations | undefined>, keyOf: (k: string) => KeyState): void {
  const frontier = new Map<string, number[]>();
  const linkedFrom = new Map<number, Map<string, number[]>>();
  const completions = txns.filter((t) => observed[t.id]).sort((a, b) => a.completeIndex - b.completeIndex);
  let c = 0;
  const complete = (t: Txn<RegisterOp>): void => {
    for (const k of observed[t.id]!.keys()) {
      const drop = new Set(linkedFrom.get(t.id)?.get(k) ?? []);
      const list = (frontier.get(k) ?? []).filter((x) => !drop.has(x));
      list.push(t.id);
      frontier.set(k, list);
    }
    linkedFrom.delete(t.id);
  };
  for (const t of txns) {
    while (c < completions.length && completions[c]!.completeIndex < t.invokeIndex) complete(completions[c++]!);
    const seen = observed[t.id];
    if (!seen) continue;
    const links = new Map<string, number[]>();
    for (const [k, values] of seen) {
      const versions = keyOf(k).versions;
      const preds = frontier.get(k) ?? [];
      for (const p of preds) {
        const theirs = observed[p]!.get(k)!;
        versions.add(theirs[theirs.length - 1]!, values[0]!, 'realtime', [txns[p]!.invokeIndex, t.invokeIndex]);
      }
      links.set(k, preds.slice());
      for (let i = 1; i < values.length; i++) versions.add(values[i - 1]!, values[i]!, 'realtime', [t.invokeIndex, t.invokeIndex]);
    }
    linkedFrom.set(t.id, links);
  }
}
