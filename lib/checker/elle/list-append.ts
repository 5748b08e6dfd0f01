/**
 * What list-append reads reveal. Every read returns a whole list, so it shows
 * a prefix of the key's version order; the longest read is the order (every
 * other read must be its prefix). From the order come the dependencies:
 * ww between consecutive appends, wr from the last element a transaction saw,
 * rw to the first element it did not see. Reads also expose the non-cycle
 * anomalies: aborted reads (G1a), intermediate reads (G1b), reads that
 * disagree with the transaction's own earlier operations (internal, in
 * list-append-reads.ts), duplicate elements, incompatible orders and lost
 * appends. Everything works on the columns of a {@link TxnTable}: lists are
 * ranges of its element ids, never copied.
 */
import type { AnomalyLog } from './anomaly-log.js';
import { EdgeList, RW, WR, WW } from './graph.js';
import { hasDuplicates, isPrefix, ReadState, show } from './list-append-reads.js';
import { FAIL, OK } from './txn-set.js';
import { APPEND, type TxnTable } from './txn-table.js';

export interface Inference {
  edges: EdgeList;
  /** The version order of key k is `elems[orderStart[k] .. + orderLength[k]]` (empty when its reads are incompatible). */
  orderStart: Int32Array;
  orderLength: Int32Array;
}

export function inferListAppend(table: TxnTable, log: AnomalyLog): Inference {
  const state = new ReadState(table, log);
  const { keyNames, opKind, opKey, opVal, opStart, opEnd, status, invokeIndex } = table;
  const T = (t: number): string => `T${invokeIndex[t]}`;
  const keys = keyNames.length;
  const writers: Array<Map<number, number> | undefined> = new Array(keys);
  /** Values a transaction overwrote with a later append of its own to the same key. */
  const intermediate: Array<Set<number> | undefined> = new Array(keys);
  /** Appends to each key by transactions that failed (a read of any of them is G1a). */
  const failedWrites = new Int32Array(keys);

  for (let t = 0; t < table.count; t++) {
    const end = opEnd[t]!;
    for (let i = opStart[t]!; i < end; i++) {
      if (opKind.data[i] !== APPEND) continue;
      const key = opKey.data[i]!;
      const value = opVal.data[i]!;
      state.touch(key);
      const writer = writers[key] ?? (writers[key] = new Map());
      const previous = writer.get(value);
      if (previous !== undefined) {
        log.add('duplicate-appends', {
          ops: [invokeIndex[previous]!, invokeIndex[t]!],
          explanation: `${table.value(value)} was appended to ${keyNames[key]} twice; list-append needs unique values, so this key's dependencies are ambiguous`,
        });
      }
      writer.set(value, t);
      if (status[t] === FAIL) failedWrites[key]!++;
      // The transaction's previous append to this key, if any, was overwritten within it (transactions are short: scan back).
      for (let j = i - 1; j >= opStart[t]!; j--) {
        if (opKind.data[j] === APPEND && opKey.data[j] === key) {
          (intermediate[key] ?? (intermediate[key] = new Set())).add(opVal.data[j]!);
          break;
        }
      }
    }
    if (status[t] === OK) state.readsOf(t);
  }

  const edges = new EdgeList();
  const orderStart = new Int32Array(keys);
  const orderLength = new Int32Array(keys);
  const elems = table.elems;
  const reads = state.byKey();
  for (const key of state.order) {
    const name = keyNames[key]!;
    const start = state.longestStart[key]!;
    const length = state.longestLength[key]!;
    const from = reads.start[key]!;
    const to = reads.start[key + 1]!;
    let bad = -1;
    for (let r = from; r < to && bad === -1; r++) if (!isPrefix(elems, reads.listStart[r]!, reads.length[r]!, start, length)) bad = r;
    if (bad !== -1 || hasDuplicates(elems, start, length)) {
      if (bad !== -1) {
        const reader = reads.txn[bad]!;
        log.add('incompatible-order', {
          ops: [invokeIndex[reader]!],
          explanation: `${T(reader)} read ${name} = ${show(table, reads.listStart[bad]!, reads.length[bad]!)}, which is not a prefix of another read of it, ${show(table, start, length)}: no single version order explains both`,
        });
      }
      continue;
    }
    orderStart[key] = start;
    orderLength[key] = length;
    const writer = writers[key] ?? new Map<number, number>();
    const writerAt = (i: number): number => writer.get(elems[start + i]!) ?? -1;
    const usable = (w: number): boolean => w >= 0 && status[w] !== FAIL;
    let written = length > 0 && writerAt(0) >= 0 ? 1 : 0;
    for (let i = 1; i < length; i++) {
      const a = writerAt(i - 1);
      const b = writerAt(i);
      if (b >= 0) written++;
      if (usable(a) && usable(b) && a !== b) edges.add(a, b, WW, key, i);
    }
    for (let r = from; r < to; r++) {
      const readerId = reads.txn[r]!;
      const listStart = reads.listStart[r]!;
      const m = reads.length[r]!;
      if (failedWrites[key]! > 0) {
        for (let k = 0; k < m; k++) {
          const v = elems[listStart + k]!;
          const w = writer.get(v);
          if (w !== undefined && status[w] === FAIL) {
            log.add('G1a', {
              ops: [invokeIndex[w]!, invokeIndex[readerId]!],
              explanation: `${T(readerId)} read ${name} = ${show(table, listStart, m)}, including ${table.value(v)}, which ${T(w)} appended in a transaction that aborted`,
            });
          }
        }
      }
      if (m > 0) {
        const last = elems[listStart + m - 1]!;
        const w = writerAt(m - 1);
        if (intermediate[key]?.has(last) === true && w !== readerId) {
          log.add('G1b', {
            ops: [invokeIndex[w]!, invokeIndex[readerId]!],
            explanation: `${T(readerId)} read ${name} = ${show(table, listStart, m)}, ending in ${table.value(last)}, an intermediate value: ${T(w)} appended more to ${name} later in the same transaction`,
          });
          // Not a wr dependency on an installed version: it would only restate this G1b as a cycle.
        } else if (usable(w) && w !== readerId) {
          edges.add(w, readerId, WR, key, m - 1);
        }
      }
      if (m < length) {
        const w = writerAt(m);
        if (usable(w) && w !== readerId) edges.add(readerId, w, RW, key, m);
      }
    }
    // Lost appends: committed, read by nobody, though a read of the key began after the append was acknowledged.
    if (written === writer.size) continue; // every appended value is in the order
    const inOrder = new Set(elems.subarray(start, start + length));
    for (const [value, w] of writer) {
      if (status[w] === OK && !inOrder.has(value) && state.latestReadInvoke[key]! > table.completeTime[w]!) {
        log.add('lost-append', {
          ops: [invokeIndex[w]!],
          explanation: `${T(w)} appended ${table.value(value)} to ${name} and committed, but no read of ${name} ever saw it, though reads began after it committed (the longest read is ${show(table, start, length)})`,
        });
      }
    }
  }
  return { edges, orderStart, orderLength };
}
