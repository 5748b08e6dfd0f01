/**
 * The reads of committed list-append transactions, gathered per key for the
 * inference (list-append.ts): the longest read of each key, when it was last
 * read, and each read as seen from outside its transaction. On the way the
 * checks that need one transaction alone: duplicate elements, and a read
 * that must show the transaction's own appends (internal). A second read of
 * a key must also repeat the first one plus the appends since: when it shows
 * more, other transactions' commits leaked in (a non-repeatable read,
 * allowed by read committed, not by repeatable read or snapshot isolation).
 */
import { Int32Store } from '../../history/stores.js';
import type { AnomalyLog } from './anomaly-log.js';
import { APPEND, READ, type TxnTable, UNKNOWN } from './txn-table.js';

/** Reads are short: comparing pairs beats building a set for each of millions of them. */
const SHORT_LIST = 32;

export function hasDuplicates(elems: Int32Array, start: number, n: number): boolean {
  if (n < 2) return false;
  if (n > SHORT_LIST) return new Set(elems.subarray(start, start + n)).size !== n;
  for (let i = 1; i < n; i++) {
    const v = elems[start + i];
    for (let j = 0; j < i; j++) if (elems[start + j] === v) return true;
  }
  return false;
}

/** Whether the list at `a` (length `m`) is a prefix of the list at `b` (length `n`). */
export function isPrefix(elems: Int32Array, a: number, m: number, b: number, n: number): boolean {
  if (m > n) return false;
  for (let i = 0; i < m; i++) if (elems[a + i] !== elems[b + i]) return false;
  return true;
}

export const show = (table: TxnTable, start: number, length: number): string => `[${table.list(start, length).join(' ')}]`;
const showValues = (table: TxnTable, values: readonly number[]): string => `[${values.map((v) => table.value(v)).join(' ')}]`;

export interface ReadsByKey {
  /** The reads of key k are `start[k] .. start[k + 1] - 1`, in the order they were made. */
  start: Int32Array;
  txn: Int32Array;
  listStart: Int32Array;
  length: Int32Array;
}

export class ReadState {
  /** Keys in the order they were first appended to or read. */
  readonly order: number[] = [];
  private readonly touched: Uint8Array;
  readonly longestStart: Int32Array;
  readonly longestLength: Int32Array;
  readonly latestReadInvoke: Float64Array;
  private readonly readTxn = new Int32Store();
  private readonly readKey = new Int32Store();
  private readonly readStart = new Int32Store();
  private readonly readLength = new Int32Store();

  constructor(
    private readonly table: TxnTable,
    private readonly log: AnomalyLog,
  ) {
    const keys = table.keyNames.length;
    this.touched = new Uint8Array(keys);
    this.longestStart = new Int32Array(keys);
    this.longestLength = new Int32Array(keys);
    this.latestReadInvoke = new Float64Array(keys).fill(Number.NEGATIVE_INFINITY);
  }

  touch(key: number): void {
    if (this.touched[key] === 1) return;
    this.touched[key] = 1;
    this.order.push(key);
  }

  /** The reads of committed transaction t. */
  readsOf(t: number): void {
    const { opKind, opKey, opVal, opLen, elems, keyNames, invokeTime } = this.table;
    for (let i = this.table.opStart[t]!; i < this.table.opEnd[t]!; i++) {
      const length = opLen.data[i]!;
      if (opKind.data[i] !== READ || length === UNKNOWN) continue;
      const key = opKey.data[i]!;
      if (hasDuplicates(elems, opVal.data[i]!, length)) {
        this.log.add('duplicate-elements', {
          ops: [this.table.invokeIndex[t]!],
          explanation: `T${this.table.invokeIndex[t]} read ${keyNames[key]} = ${show(this.table, opVal.data[i]!, length)}, which has an element more than once`,
        });
      }
      this.touch(key);
      if (invokeTime[t]! > this.latestReadInvoke[key]!) this.latestReadInvoke[key] = invokeTime[t]!;
    }
    this.internal(t);
  }

  private internal(t: number): void {
    const table = this.table;
    const { opKind, opKey, opVal, opLen, elems, keyNames } = table;
    const first = table.opStart[t]!;
    const name = `T${table.invokeIndex[t]}`;
    for (let i = first; i < table.opEnd[t]!; i++) {
      const length = opLen.data[i]!;
      if (opKind.data[i] !== READ || length === UNKNOWN) continue;
      const key = opKey.data[i]!;
      const start = opVal.data[i]!;
      let prior = -1;
      for (let j = i - 1; j >= first; j--) {
        if (opKind.data[j] === READ && opKey.data[j] === key && opLen.data[j] !== UNKNOWN) {
          prior = j;
          break;
        }
      }
      // Transactions are short: scanning back over their ops beats building maps per transaction.
      const since: number[] = [];
      for (let j = prior === -1 ? first : prior + 1; j < i; j++) if (opKind.data[j] === APPEND && opKey.data[j] === key) since.push(opVal.data[j]!);
      if (length > this.longestLength[key]!) {
        this.longestStart[key] = start;
        this.longestLength[key] = length;
      }
      const endsWithSince = length >= since.length && since.every((v, k) => elems[start + length - since.length + k] === v);
      if (prior === -1) {
        if (!endsWithSince) {
          this.log.add('internal', {
            ops: [table.invokeIndex[t]!],
            explanation: `${name} read ${keyNames[key]} = ${show(table, start, length)} after appending ${showValues(table, since)} to it, which the read does not end with`,
          });
        }
        // The part of the list that came from other transactions: strip this transaction's own appends.
        this.push(t, key, start, endsWithSince ? length - since.length : length);
        continue;
      }
      const previousStart = opVal.data[prior]!;
      const previousLength = opLen.data[prior]!;
      const startsWithPrevious = isPrefix(elems, previousStart, previousLength, start, length);
      if (length === previousLength + since.length && startsWithPrevious && endsWithSince) continue;
      const fuzzy = endsWithSince && startsWithPrevious;
      const expected = [...elems.subarray(previousStart, previousStart + previousLength), ...since];
      this.log.add(fuzzy ? 'nonrepeatable-read' : 'internal', {
        ops: [table.invokeIndex[t]!],
        explanation: `${name} read ${keyNames[key]} = ${show(table, start, length)}, but its own earlier operations imply ${showValues(table, expected)}${fuzzy ? ': other transactions\' appends became visible during it' : ''}`,
      });
    }
  }

  private push(t: number, key: number, start: number, length: number): void {
    this.readTxn.push(t);
    this.readKey.push(key);
    this.readStart.push(start);
    this.readLength.push(length);
  }

  /** The reads grouped by key (a stable counting sort: each key's reads stay in order). */
  byKey(): ReadsByKey {
    const keys = this.table.keyNames.length;
    const n = this.readTxn.length;
    const start = new Int32Array(keys + 1);
    for (let r = 0; r < n; r++) start[this.readKey.data[r]! + 1]!++;
    for (let k = 0; k < keys; k++) start[k + 1]! += start[k]!;
    const fill = start.slice(0, keys);
    const txn = new Int32Array(n);
    const listStart = new Int32Array(n);
    const length = new Int32Array(n);
    for (let r = 0; r < n; r++) {
      const at = fill[this.readKey.data[r]!]!++;
      txn[at] = this.readTxn.data[r]!;
      listStart[at] = this.readStart.data[r]!;
      length[at] = this.readLength.data[r]!;
    }
    return { start, txn, listStart, length };
  }
}
