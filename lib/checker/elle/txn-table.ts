/**
 * List-append transactions in columns, from a history in columns: the same
 * transactions, statuses, micro-operations and malformed notes as
 * {@link parseTransactions} (transactions.ts), with keys as dense ids and
 * list elements as scalar ids, and reads left where the history holds them.
 * A value with anything unusual (EDN keywords aside) goes through
 * {@link parseMicroOps}, so there is one reading of micro-operations.
 */
import { EVENT_TYPES, type EventColumns, NEMESIS, NULL_VALUE, SCALAR_VALUE } from '../../history/event-columns.js';
import { Int32Store, type Scalar, type ScalarTable, Uint8Store } from '../../history/stores.js';
import { parseMicroOps } from './transactions.js';
import { FAIL, INFO, OK, TxnColumns } from './txn-set.js';

export const APPEND = 0;
export const READ = 1;
/** `opLen` of a read whose list is unknown. */
export const UNKNOWN = -1;

export class TxnTable extends TxnColumns {
  /** The ops of transaction t are `opStart[t] .. opEnd[t] - 1`. */
  readonly opStart: Int32Array;
  readonly opEnd: Int32Array;
  readonly opKind = new Uint8Store();
  /** Key id (a position in `keyNames`). */
  readonly opKey = new Int32Store();
  /** An append's element, or where a read's list starts in `elems`. */
  readonly opVal = new Int32Store();
  /** A read's length, or {@link UNKNOWN}. */
  readonly opLen = new Int32Store();
  readonly keyNames: string[] = [];
  readonly malformed: string[] = [];
  elems: Int32Array;
  readonly scalars: ScalarTable;

  constructor(count: number, columns: EventColumns) {
    super(count);
    this.opStart = new Int32Array(count);
    this.opEnd = new Int32Array(count);
    this.elems = columns.elems.data;
    this.scalars = columns.scalars;
  }

  value(element: number): Scalar {
    return this.scalars.value(element);
  }

  list(start: number, length: number): Scalar[] {
    const out: Scalar[] = [];
    for (let k = 0; k < length; k++) out.push(this.scalars.value(this.elems[start + k]!));
    return out;
  }
}

/** What each function name means as a micro-operation: APPEND, READ or -1 (anything else). */
function mopKinds(columns: EventColumns): Int8Array {
  const names = columns.strings.values;
  const kinds = new Int8Array(names.length).fill(-1);
  names.forEach((name, id) => {
    const f = name.charCodeAt(0) === 58 ? name.slice(1) : name; // ":append" from EDN keywords
    if (f === 'append') kinds[id] = APPEND;
    else if (f === 'r') kinds[id] = READ;
  });
  return kinds;
}

/**
 * Pairs invocations with completions per process, as {@link parseTransactions}
 * does: numbered in invocation order, nemesis and non-`txn` events skipped,
 * an invocation without completion indeterminate.
 */
export function txnTable(columns: EventColumns): TxnTable {
  const n = columns.count;
  const txnF = columns.strings.values.indexOf('txn');
  const { type, process, f, index } = columns;
  let count = 0;
  for (let i = 0; i < n; i++) if (f.data[i] === txnF && process.data[i] !== NEMESIS && type.data[i] === 0) count++;
  const table = new TxnTable(count, columns);
  const kinds = mopKinds(columns);
  const keyIds = new Map<string, number>();
  const keyOfScalar = new Map<number, number>();
  const keyId = (name: string): number => {
    let id = keyIds.get(name);
    if (id === undefined) {
      id = table.keyNames.length;
      keyIds.set(name, id);
      table.keyNames.push(name);
    }
    return id;
  };
  const keyOf = (scalar: number): number => {
    let id = keyOfScalar.get(scalar);
    if (id === undefined) keyOfScalar.set(scalar, (id = keyId(String(columns.scalars.value(scalar)))));
    return id;
  };
  const { opKind, opKey, opVal, opLen, malformed } = table;
  const { mopStart, mopF, mopKey, mopVal, mopLen } = columns;

  /** The micro-operations of event e into the table; reads unknown unless the transaction committed. */
  const addOps = (e: number, readsKnown: boolean): void => {
    const from = mopStart.data[e]!;
    const to = mopStart.data[e + 1]!;
    let regular = !columns.other.has(e);
    for (let m = from; regular && m < to; m++) {
      const kind = kinds[mopF.data[m]!];
      const len = mopLen.data[m]!;
      regular = kind === APPEND ? len === SCALAR_VALUE : kind === READ && len !== SCALAR_VALUE;
    }
    if (regular) {
      for (let m = from; m < to; m++) {
        const kind = kinds[mopF.data[m]!]!;
        const len = mopLen.data[m]!;
        opKind.push(kind);
        opKey.push(keyOf(mopKey.data[m]!));
        const known = kind === APPEND || (readsKnown && len !== NULL_VALUE);
        opVal.push(known ? mopVal.data[m]! : 0);
        opLen.push(known ? len : UNKNOWN);
      }
      return;
    }
    for (const op of parseMicroOps(columns.value(e), `event ${index.data[e]}`, malformed, !readsKnown)) {
      opKind.push(op.kind === 'append' ? APPEND : READ);
      opKey.push(keyId(op.key));
      if (op.kind === 'append') {
        opVal.push(columns.scalars.id(op.value));
        opLen.push(0);
      } else if (op.value === null) {
        opVal.push(0);
        opLen.push(UNKNOWN);
      } else {
        opVal.push(columns.elems.length);
        opLen.push(op.value.length);
        for (const x of op.value) columns.elems.push(columns.scalars.id(x));
      }
    }
  };

  const invokeEvent = new Int32Array(count);
  const finish = (id: number, completion: number): void => {
    const invoke = invokeEvent[id]!;
    const status = completion < 0 ? INFO : type.data[completion] === 1 ? OK : type.data[completion] === 2 ? FAIL : INFO;
    table.status[id] = status;
    table.process[id] = process.data[invoke]!;
    table.invokeIndex[id] = index.data[invoke]!;
    table.completeIndex[id] = completion < 0 ? -1 : index.data[completion]!;
    table.invokeTime[id] = columns.time.data[invoke]!;
    table.completeTime[id] = completion < 0 ? Number.POSITIVE_INFINITY : columns.time.data[completion]!;
    table.opStart[id] = opKind.length;
    addOps(status === OK ? completion : invoke, status === OK);
    table.opEnd[id] = opKind.length;
  };

  const open = new Map<number, number>();
  let next = 0;
  for (let i = 0; i < n; i++) {
    const p = process.data[i]!;
    if (p === NEMESIS || f.data[i] !== txnF) continue;
    if (type.data[i] === 0) {
      const previous = open.get(p);
      if (previous !== undefined) {
        malformed.push(`event ${index.data[i]}: process ${p} invoked again before event ${index.data[invokeEvent[previous]!]} completed`);
        finish(previous, -1);
      }
      open.set(p, next);
      invokeEvent[next++] = i;
    } else {
      const id = open.get(p);
      if (id === undefined) {
        malformed.push(`event ${index.data[i]}: ${EVENT_TYPES[type.data[i]!]} on process ${p} with no invocation`);
        continue;
      }
      open.delete(p);
      finish(id, i);
    }
  }
  for (const id of open.values()) finish(id, -1);
  table.elems = columns.elems.data;
  return table;
}
