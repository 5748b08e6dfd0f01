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

export interface Txn {
  /** Dense id, position in {@link ParsedHistory.txns}. */
  id: number;
  /** History index of the invocation (how the report and the explanations name it). */
  invokeIndex: number;
  /** History index of the completion, -1 when there is none. */
  completeIndex: number;
  process: ProcessId;
  status: TxnStatus;
  /** Micro-operations: the completion's for `ok`, the invocation's otherwise. */
  ops: MicroOp[];
  /** ns since the run started. */
  invokeTime: number;
  completeTime: number;
}

export interface ParsedHistory {
  txns: Txn[];
  /** Problems with the shape of the input (not anomalies). */
  malformed: string[];
}

function parseElement(x: unknown): ElementValue | undefined {
  return typeof x === 'number' || typeof x === 'string' ? x : undefined;
}

/** Micro-operations from a JSON (or EDN-converted) value; keywords may keep their leading colon. */
export function parseMicroOps(value: unknown, where: string, malformed: string[]): MicroOp[] {
  if (!Array.isArray(value)) {
    malformed.push(`${where}: a txn value must be a list of micro-operations`);
    return [];
  }
  const ops: MicroOp[] = [];
  for (const mop of value as unknown[]) {
    if (!Array.isArray(mop) || mop.length !== 3) {
      malformed.push(`${where}: micro-operation ${JSON.stringify(mop)} is not [f, key, value]`);
      continue;
    }
    const f = String(mop[0]).replace(/^:/, '');
    const key = String(mop[1]);
    if (f === 'append') {
      const v = parseElement(mop[2]);
      if (v === undefined) malformed.push(`${where}: append of ${JSON.stringify(mop[2])} (values must be numbers or strings)`);
      else ops.push({ kind: 'append', key, value: v });
    } else if (f === 'r') {
      const raw = mop[2] as unknown;
      if (raw === null || raw === undefined) ops.push({ kind: 'r', key, value: null });
      else if (Array.isArray(raw)) ops.push({ kind: 'r', key, value: raw.map((e) => parseElement(e) ?? String(e)) });
      else malformed.push(`${where}: read of ${key} returned ${JSON.stringify(raw)}, not a list`);
    } else {
      malformed.push(`${where}: unknown micro-operation ${JSON.stringify(mop[0])} (expected append or r)`);
    }
  }
  return ops;
}

/**
 * Pairs invocations with completions per process. Nemesis events and
 * operations other than `txn` are skipped. An invocation with no completion
 * is indeterminate (`info`).
 */
export function parseTransactions(history: History): ParsedHistory {
  const txns: Txn[] = [];
  const malformed: string[] = [];
  const open = new Map<ProcessId, { event: HistoryEvent; ops: MicroOp[] }>();
  const finish = (inv: { event: HistoryEvent; ops: MicroOp[] }, completion: HistoryEvent | undefined): void => {
    const status: TxnStatus = completion === undefined ? 'info' : (completion.type as TxnStatus);
    let ops = inv.ops;
    if (status === 'ok' && completion) {
      ops = parseMicroOps(completion.value, `event ${completion.index}`, malformed);
    } else {
      // Reads of a transaction that did not commit (or may not have) are unknown.
      ops = ops.map((op) => (op.kind === 'r' ? { ...op, value: null } : op));
    }
    txns.push({
      id: txns.length,
      invokeIndex: inv.event.index,
      completeIndex: completion?.index ?? -1,
      process: inv.event.process,
      status,
      ops,
      invokeTime: inv.event.time,
      completeTime: completion?.time ?? Number.POSITIVE_INFINITY,
    });
  };
  for (const event of history) {
    if (event.process === 'nemesis' || event.f !== 'txn') continue;
    if (event.type === 'invoke') {
      const previous = open.get(event.process);
      if (previous) {
        malformed.push(`event ${event.index}: process ${event.process} invoked again before event ${previous.event.index} completed`);
        finish(previous, undefined);
      }
      open.set(event.process, { event, ops: parseMicroOps(event.value, `event ${event.index}`, malformed) });
    } else {
      const inv = open.get(event.process);
      if (!inv) {
        malformed.push(`event ${event.index}: ${event.type} on process ${event.process} with no invocation`);
        continue;
      }
      open.delete(event.process);
      finish(inv, event);
    }
  }
  for (const inv of open.values()) finish(inv, undefined);
  // Keep ids in invocation order: easier to read, and the real-time pass walks them in that order.
  txns.sort((a, b) => a.invokeIndex - b.invokeIndex);
  txns.forEach((t, i) => (t.id = i));
  return { txns, malformed };
}
