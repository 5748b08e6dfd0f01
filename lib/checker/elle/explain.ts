/** Cycles in words: one sentence per dependency, in the style of Elle's explanations. */
import { type Graph, PROCESS, REALTIME, RW, WR, WW } from './graph.js';
import type { ElementValue, TxnBase } from './transactions.js';

export const ANOMALY_DESCRIPTIONS: Record<string, string> = {
  G0: 'write cycle: appends of two or more transactions interleave',
  G1a: 'aborted read: a committed transaction saw a value from one that aborted',
  G1b: 'intermediate read: a transaction saw a value another transaction later overwrote within itself',
  G1c: 'circular information flow: a cycle of ww/wr dependencies',
  'G-single': 'read skew: a cycle with exactly one anti-dependency (rw)',
  'G-nonadjacent': 'a cycle with two or more anti-dependencies (rw), no two of them adjacent (snapshot isolation forbids it)',
  'G2-item': 'write skew: a cycle with two or more anti-dependencies (rw), two of them adjacent',
  internal: 'a read disagrees with the transaction\'s own earlier reads and writes',
  'nonrepeatable-read': 'a second read of a key in one transaction shows writes committed by others meanwhile',
  'duplicate-elements': 'a read returned the same element twice',
  'incompatible-order': 'two reads of a key are not prefixes of one version order',
  'lost-append': 'an acknowledged append was never read, though later reads of its key exist',
  'duplicate-appends': 'the same value was appended to a key twice (the workload must use unique values)',
  'cyclic-versions': 'the facts that order a register\'s versions contradict each other',
  'garbage-read': 'a read returned a value no transaction wrote',
  'duplicate-writes': 'the same value was written to a key twice (the workload must use unique values)',
};

export function describeAnomaly(type: string): string {
  const base = type.replace(/-(process|realtime)$/, '');
  const text = ANOMALY_DESCRIPTIONS[base] ?? type;
  if (type.endsWith('-process')) return `${text}, closed only with process order`;
  if (type.endsWith('-realtime')) return `${text}, closed only with real-time order`;
  return text;
}

/** Words for a data edge (ww, wr, rw) `e` of `g` from `a` to `b`; each workload knows what its edges mean. */
export type DescribeData = (g: Graph, e: number, a: TxnBase, b: TxnBase) => string;

export const txnName = (t: TxnBase): string => `T${t.invokeIndex}`;
const name = txnName;
const ms = (ns: number): string => `${(ns / 1e6).toFixed(3)} ms`;

/** One step of a cycle: the dependency from `a` to `b` carried by edge `e` of `g`. */
export function explainEdge(describeData: DescribeData, g: Graph, e: number, a: TxnBase, b: TxnBase): string {
  const kind = g.kind[e]!;
  if (kind === PROCESS) return `${name(a)} completed before ${name(b)} began, both on process ${String(a.process)} (process)`;
  if (kind === REALTIME) return `${name(a)} completed (at ${ms(a.completeTime)}) before ${name(b)} began (at ${ms(b.invokeTime)}) (realtime)`;
  return describeData(g, e, a, b);
}

/** List-append edges: `pos` is the position in the key's version order the edge is about; `orderAt(key, i)` the value there. */
export function listAppendSteps(keyNames: readonly string[], orderAt: (key: number, i: number) => ElementValue): DescribeData {
  return (g, e, a, b) => {
    const kind = g.kind[e]!;
    const key = keyNames[g.key(e)]!;
    const at = (i: number): ElementValue => orderAt(g.key(e), i);
    const i = g.pos(e);
    if (kind === WW) return `${name(a)} appended ${at(i - 1)} to ${key}, and ${name(b)} appended ${at(i)} right after it (ww)`;
    if (kind === WR) return `${name(a)} appended ${at(i)} to ${key}, and ${name(b)} read ${key} ending in ${at(i)} (wr)`;
    if (kind === RW) {
      return i === 0
        ? `${name(a)} read ${key} empty, without ${at(0)}, which ${name(b)} appended (rw)`
        : `${name(a)} read ${key} ending in ${at(i - 1)}, without ${at(i)}, which ${name(b)} appended next (rw)`;
    }
    return `${name(a)} precedes ${name(b)}`;
  };
}

export function explainCycle(type: string, cycleTxns: readonly TxnBase[], steps: readonly string[], partial: boolean): string {
  const first = cycleTxns[0] ? name(cycleTxns[0]) : '?';
  const ring = [...cycleTxns.map(name), first].join(' → ');
  const how = partial ? ' (cycle search budget exhausted: a cycle of this component, not necessarily the shortest)' : '';
  return `${type} — ${describeAnomaly(type)}${how}: ${steps.join('; ')}. So ${ring}: ${first} would have to precede itself.`;
}
