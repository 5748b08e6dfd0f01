/**
 * What list-append reads reveal. Every read returns a whole list, so it shows
 * a prefix of the key's version order; the longest read is the order (every
 * other read must be its prefix). From the order come the dependencies:
 * ww between consecutive appends, wr from the last element a transaction saw,
 * rw to the first element it did not see. Reads also expose the non-cycle
 * anomalies: aborted reads (G1a), intermediate reads (G1b), reads that
 * disagree with the transaction's own earlier operations (internal),
 * duplicate elements, incompatible orders and lost appends.
 */
import type { AnomalyLog } from './anomaly-log.js';
import { EdgeList, RW, WR, WW } from './graph.js';
import type { ElementValue, Txn } from './transactions.js';

export interface Inference {
  edges: EdgeList;
  keyNames: string[];
  /** Version order per key id (empty when the key's reads are incompatible). */
  orders: ElementValue[][];
}

const show = (list: readonly ElementValue[]): string => `[${list.join(' ')}]`;
const T = (t: Txn): string => `T${t.invokeIndex}`;

interface KeyState {
  name: string;
  /** Who appended each value. */
  writer: Map<ElementValue, number>;
  /** Values a transaction overwrote with a later append of its own to the same key. */
  intermediate: Set<ElementValue>;
  /** Reads that saw the key from outside the reading transaction: [txn id, list]. */
  reads: Array<[number, ElementValue[]]>;
  longest: ElementValue[];
  latestReadInvoke: number;
}

const endsWith = (list: readonly ElementValue[], tail: readonly ElementValue[]): boolean =>
  list.length >= tail.length && tail.every((v, i) => list[list.length - tail.length + i] === v);
const startsWith = (list: readonly ElementValue[], head: readonly ElementValue[]): boolean =>
  list.length >= head.length && head.every((v, i) => list[i] === v);

/**
 * A read must show the transaction's own appends (internal). A second read of
 * a key must also repeat the first one plus the appends since: when it shows
 * more, other transactions' commits leaked in (a non-repeatable read, allowed
 * by read committed, not by repeatable read or snapshot isolation).
 */
function internalCheck(txn: Txn, log: AnomalyLog, keyOf: (k: string) => KeyState): void {
  // Transactions are short: scanning back over their ops beats building maps per transaction.
  const ops = txn.ops;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    if (op.kind !== 'r' || op.value === null) continue;
    const read = op.value;
    let prior = -1;
    for (let j = i - 1; j >= 0; j--) {
      const o = ops[j]!;
      if (o.kind === 'r' && o.key === op.key && o.value !== null) {
        prior = j;
        break;
      }
    }
    const since: ElementValue[] = [];
    for (let j = prior + 1; j < i; j++) {
      const o = ops[j]!;
      if (o.kind === 'append' && o.key === op.key) since.push(o.value);
    }
    const state = keyOf(op.key);
    if (read.length > state.longest.length) state.longest = read;
    if (prior === -1) {
      if (endsWith(read, since)) {
        // The part of the list that came from other transactions: strip this transaction's own appends.
        state.reads.push([txn.id, since.length === 0 ? read : read.slice(0, read.length - since.length)]);
      } else {
        log.add('internal', {
          ops: [txn.invokeIndex],
          explanation: `${T(txn)} read ${op.key} = ${show(read)} after appending ${show(since)} to it, which the read does not end with`,
        });
        state.reads.push([txn.id, read]);
      }
      continue;
    }
    const previous = ops[prior]!.value as ElementValue[];
    const expected = [...previous, ...since];
    if (read.length === expected.length && read.every((v, k) => v === expected[k])) continue;
    const fuzzy = endsWith(read, since) && startsWith(read, previous);
    log.add(fuzzy ? 'nonrepeatable-read' : 'internal', {
      ops: [txn.invokeIndex],
      explanation: `${T(txn)} read ${op.key} = ${show(read)}, but its own earlier operations imply ${show(expected)}${fuzzy ? ': other transactions\' appends became visible during it' : ''}`,
    });
  }
}

/** Reads are short: comparing pairs beats building a set for each of millions of them. */
const SHORT_LIST = 32;

function hasDuplicates(list: readonly ElementValue[]): boolean {
  const n = list.length;
  if (n < 2) return false;
  if (n > SHORT_LIST) return new Set(list).size !== n;
  for (let i = 1; i < n; i++) {
    const v = list[i];
    for (let j = 0; j < i; j++) if (list[j] === v) return true;
  }
  return false;
}

export function inferListAppend(txns: readonly Txn[], log: AnomalyLog): Inference {
  const keys = new Map<string, KeyState>();
  const keyOf = (name: string): KeyState => {
    let s = keys.get(name);
    if (!s) keys.set(name, (s = { name, writer: new Map(), intermediate: new Set(), reads: [], longest: [], latestReadInvoke: -Infinity }));
    return s;
  };

  for (const txn of txns) {
    const ops = txn.ops;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      if (op.kind !== 'append') continue;
      const state = keyOf(op.key);
      if (state.writer.has(op.value)) {
        log.add('duplicate-appends', {
          ops: [txns[state.writer.get(op.value)!]!.invokeIndex, txn.invokeIndex],
          explanation: `${op.value} was appended to ${op.key} twice; list-append needs unique values, so this key's dependencies are ambiguous`,
        });
      }
      state.writer.set(op.value, txn.id);
      // The transaction's previous append to this key, if any, was overwritten within it (transactions are short: scan back).
      for (let j = i - 1; j >= 0; j--) {
        const o = ops[j]!;
        if (o.kind === 'append' && o.key === op.key) {
          state.intermediate.add(o.value);
          break;
        }
      }
    }
    if (txn.status !== 'ok') continue;
    for (const op of txn.ops) {
      if (op.kind !== 'r' || op.value === null) continue;
      if (hasDuplicates(op.value)) {
        log.add('duplicate-elements', { ops: [txn.invokeIndex], explanation: `${T(txn)} read ${op.key} = ${show(op.value)}, which has an element more than once` });
      }
      const state = keyOf(op.key);
      if (txn.invokeTime > state.latestReadInvoke) state.latestReadInvoke = txn.invokeTime;
    }
    internalCheck(txn, log, keyOf);
  }

  const edges = new EdgeList();
  const keyNames: string[] = [];
  const orders: ElementValue[][] = [];
  for (const state of keys.values()) {
    const keyId = keyNames.length;
    keyNames.push(state.name);
    const order = state.longest;
    const compatible = state.reads.every(([, read]) => read.length <= order.length && read.every((v, i) => v === order[i]));
    if (!compatible || hasDuplicates(order)) {
      if (!compatible) {
        const bad = state.reads.find(([, read]) => !(read.length <= order.length && read.every((v, i) => v === order[i])))!;
        const reader = txns[bad[0]]!;
        log.add('incompatible-order', {
          ops: [reader.invokeIndex],
          explanation: `${T(reader)} read ${state.name} = ${show(bad[1])}, which is not a prefix of another read of it, ${show(order)}: no single version order explains both`,
        });
      }
      orders.push([]);
      continue;
    }
    orders.push(order);
    const writerAt = (i: number): number => state.writer.get(order[i]!) ?? -1;
    const usable = (w: number): boolean => w >= 0 && txns[w]!.status !== 'fail';
    for (let i = 1; i < order.length; i++) {
      const a = writerAt(i - 1);
      const b = writerAt(i);
      if (usable(a) && usable(b) && a !== b) edges.add(a, b, WW, keyId, i);
    }
    for (const [readerId, read] of state.reads) {
      const reader = txns[readerId]!;
      for (const v of read) {
        const w = state.writer.get(v);
        if (w !== undefined && txns[w]!.status === 'fail') {
          log.add('G1a', {
            ops: [txns[w]!.invokeIndex, reader.invokeIndex],
            explanation: `${T(reader)} read ${state.name} = ${show(read)}, including ${v}, which ${T(txns[w]!)} appended in a transaction that aborted`,
          });
        }
      }
      const m = read.length;
      if (m > 0) {
        const last = read[m - 1]!;
        const w = writerAt(m - 1);
        if (state.intermediate.has(last) && w !== readerId) {
          log.add('G1b', {
            ops: [txns[w]!.invokeIndex, reader.invokeIndex],
            explanation: `${T(reader)} read ${state.name} = ${show(read)}, ending in ${last}, an intermediate value: ${T(txns[w]!)} appended more to ${state.name} later in the same transaction`,
          });
          // Not a wr dependency on an installed version: it would only restate this G1b as a cycle.
        } else if (usable(w) && w !== readerId) {
          edges.add(w, readerId, WR, keyId, m - 1);
        }
      }
      if (m < order.length) {
        const w = writerAt(m);
        if (usable(w) && w !== readerId) edges.add(readerId, w, RW, keyId, m);
      }
    }
    // Lost appends: committed, read by nobody, though a read of the key began after the append was acknowledged.
    const inOrder = new Set(order);
    for (const [value, w] of state.writer) {
      const writer = txns[w]!;
      if (writer.status === 'ok' && !inOrder.has(value) && state.latestReadInvoke > writer.completeTime) {
        log.add('lost-append', {
          ops: [writer.invokeIndex],
          explanation: `${T(writer)} appended ${value} to ${state.name} and committed, but no read of ${state.name} ever saw it, though reads began after it committed (the longest read is ${show(order)})`,
        });
      }
    }
  }
  return { edges, keyNames, orders };
}
