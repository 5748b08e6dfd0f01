/**
 * Transactions of a list-append history, in Jepsen's `:txn` shape: the value
 * of a `txn` operation is a list of micro-operations `["append", k, v]` and
 * `["r", k, null | [...]]`. An invocation's reads are `null`; the `ok`
 * completion carries what each read returned.
 */
import type { History, HistoryEvent, ProcessId } from '../../history/types.js';

/** How a transaction ended: `ok` committed, `fail` certainly did not happen, `info` may or may not have. */
export type TxnStatus = 'ok' | 'fail' | 'info';

export type ElementValue = number | string;

export interface AppendOp {
  kind: 'append';
  key: string;
  value: ElementValue;
}

export interface ReadOp {
  kind: 'r';
  key: string;
  /** The list read; `null` when unknown (an invocation, or an indeterminate transaction). */
  value: ElementValue[] | null;
}

export type MicroOp = AppendOp | ReadOp;

/** A transaction apart from its micro-operations (all the graph and the order edges need). */
export interface TxnBase {
  /** Dense id, position in {@link ParsedHistory.txns}. */
  id: number;
  /** History index of the invocation (how the report and the explanations name it). */
  invokeIndex: number;
  /** History index of the completion, -1 when there is none. */
  completeIndex: number;
  process: ProcessId;
  status: TxnStatus;
  /** ns since the run started. */
  invokeTime: number;
  completeTime: number;
}

export interface Txn<Op = MicroOp> extends TxnBase {
  /** Micro-operations: the completion's for `ok`, the invocation's otherwise. */
  ops: Op[];
}

/**
 * Reads micro-operations from a transaction's value, noting what is malformed.
 * With `readsUnknown` (the transaction did not commit, or may not have) a
 * parser may already return every read's value as null.
 */
export type MicroOpParser<Op> = (value: unknown, where: string, malformed: string[], readsUnknown?: boolean) => Op[];

export interface ParsedHistory<Op = MicroOp> {
  txns: Array<Txn<Op>>;
  /** Problems with the shape of the input (not anomalies). */
  malformed: string[];
}

function isElement(x: unknown): x is ElementValue {
  return typeof x === 'number' || typeof x === 'string';
}

/** A read's list, reused as it is when well-formed (no copy: histories hold millions of elements). */
function readList(raw: unknown[]): ElementValue[] {
  for (let i = 0; i < raw.length; i++) if (!isElement(raw[i])) return raw.map((e) => (isElement(e) ? e : JSON.stringify(e)));
  return raw as ElementValue[];
}

/**
 * Micro-operations from a JSON (or EDN-converted) value; keywords may keep
 * their leading colon. With `readsUnknown` every read's value is `null`.
 */
export function parseMicroOps(value: unknown, where: string, malformed: string[], readsUnknown = false): MicroOp[] {
  if (!Array.isArray(value)) {
    malformed.push(`${where}: a txn value must be a list of micro-operations`);
    return [];
  }
  const ops: MicroOp[] = [];
  for (let i = 0; i < value.length; i++) {
    const mop = value[i] as unknown;
    if (!Array.isArray(mop) || mop.length !== 3) {
      malformed.push(`${where}: micro-operation ${JSON.stringify(mop)} is not [f, key, value]`);
      continue;
    }
    let f = mop[0] as unknown;
    if (typeof f === 'string' && f.charCodeAt(0) === 58) f = f.slice(1); // ":append" from EDN keywords
    const rawKey = mop[1] as unknown;
    const key = typeof rawKey === 'string' ? rawKey : keyName(rawKey);
    const v = mop[2] as unknown;
    if (f === 'append') {
      if (isElement(v)) ops.push({ kind: 'append', key, value: v });
      else malformed.push(`${where}: append of ${JSON.stringify(v)} (values must be numbers or strings)`);
    } else if (f === 'r') {
      if (v === null || v === undefined) ops.push({ kind: 'r', key, value: null });
      else if (Array.isArray(v)) ops.push({ kind: 'r', key, value: readsUnknown ? null : readList(v) });
      else malformed.push(`${where}: read of ${key} returned ${JSON.stringify(v)}, not a list`);
    } else {
      malformed.push(`${where}: unknown micro-operation ${JSON.stringify(mop[0])} (expected append or r)`);
    }
  }
  return ops;
}

/** Names of non-string keys (numbers, mostly), made once each: a history names few keys many times. */
const keyNames = new Map<unknown, string>();

function keyName(raw: unknown): string {
  let name = keyNames.get(raw);
  if (name === undefined) {
    name = String(raw);
    if (keyNames.size >= 65_536) keyNames.clear();
    keyNames.set(raw, name);
  }
  return name;
}

/**
 * Pairs invocations with completions per process. Nemesis events and
 * operations other than `txn` are skipped. An invocation with no completion
 * is indeterminate (`info`).
 */
export function parseTransactions<Op extends { kind: string; value: unknown } = MicroOp>(
  history: History,
  parseOps: MicroOpParser<Op> = parseMicroOps as unknown as MicroOpParser<Op>,
): ParsedHistory<Op> {
  const txns: Array<Txn<Op>> = [];
  const malformed: string[] = [];
  // Transactions are numbered in invocation order (easier to read, and the real-time pass walks
  // them in that order): each takes its slot at its invocation and is filled in when it ends.
  const invokes: HistoryEvent[] = [];
  const open = new Map<ProcessId, number>();
  const finish = (id: number, completion: HistoryEvent | undefined): void => {
    const invoke = invokes[id]!;
    const status: TxnStatus = completion === undefined ? 'info' : (completion.type as TxnStatus);
    let ops: Op[];
    if (status === 'ok' && completion) {
      ops = parseOps(completion.value, `event ${completion.index}`, malformed);
    } else {
      // Reads of a transaction that did not commit (or may not have) are unknown.
      ops = parseOps(invoke.value, `event ${invoke.index}`, malformed, true);
      if (ops.some((op) => op.kind === 'r' && op.value !== null)) ops = ops.map((op) => (op.kind === 'r' ? { ...op, value: null } : op));
    }
    txns[id] = {
      id,
      invokeIndex: invoke.index,
      completeIndex: completion?.index ?? -1,
      process: invoke.process,
      status,
      ops,
      invokeTime: invoke.time,
      completeTime: completion?.time ?? Number.POSITIVE_INFINITY,
    };
  };
  for (const event of history) {
    if (event.process === 'nemesis' || event.f !== 'txn') continue;
    if (event.type === 'invoke') {
      const previous = open.get(event.process);
      if (previous !== undefined) {
        malformed.push(`event ${event.index}: process ${event.process} invoked again before event ${invokes[previous]!.index} completed`);
        finish(previous, undefined);
      }
      open.set(event.process, invokes.length);
      invokes.push(event);
      txns.push(undefined as unknown as Txn<Op>); // its slot, filled by finish()
    } else {
      const id = open.get(event.process);
      if (id === undefined) {
        malformed.push(`event ${event.index}: ${event.type} on process ${event.process} with no invocation`);
        continue;
      }
      open.delete(event.process);
      finish(id, event);
    }
  }
  for (const id of open.values()) finish(id, undefined);
  return { txns, malformed };
}
