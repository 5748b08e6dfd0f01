/**
 * Transactions apart from their micro-operations, in columns: what process
 * and real-time order, the graph and the verdict need, without an object per
 * transaction (a history holds millions). `at(id)` makes the object when an
 * explanation names one.
 */
import type { TxnBase, TxnStatus } from './transactions.js';

export const OK = 0;
export const FAIL = 1;
export const INFO = 2;
export const STATUS_NAMES: readonly TxnStatus[] = ['ok', 'fail', 'info'];

export interface TxnSet {
  readonly count: number;
  /** {@link OK}, {@link FAIL} or {@link INFO}. */
  readonly status: Uint8Array;
  readonly process: Float64Array;
  /** History index of the invocation, and of the completion (-1 when there is none). */
  readonly invokeIndex: Float64Array;
  readonly completeIndex: Float64Array;
  /** ns since the run started; completeTime is +∞ without a completion. */
  readonly invokeTime: Float64Array;
  readonly completeTime: Float64Array;
}

export class TxnColumns implements TxnSet {
  readonly status: Uint8Array;
  readonly process: Float64Array;
  readonly invokeIndex: Float64Array;
  readonly completeIndex: Float64Array;
  readonly invokeTime: Float64Array;
  readonly completeTime: Float64Array;

  constructor(readonly count: number) {
    this.status = new Uint8Array(count);
    this.process = new Float64Array(count);
    this.invokeIndex = new Float64Array(count);
    this.completeIndex = new Float64Array(count);
    this.invokeTime = new Float64Array(count);
    this.completeTime = new Float64Array(count);
  }

  static of(txns: readonly TxnBase[]): TxnColumns {
    const columns = new TxnColumns(txns.length);
    txns.forEach((t, i) => {
      columns.status[i] = STATUS_NAMES.indexOf(t.status);
      columns.process[i] = t.process === 'nemesis' ? -1 : t.process;
      columns.invokeIndex[i] = t.invokeIndex;
      columns.completeIndex[i] = t.completeIndex;
      columns.invokeTime[i] = t.invokeTime;
      columns.completeTime[i] = t.completeTime;
    });
    return columns;
  }
}

/** Transaction `id` of `set` as an object (for explanations). */
export function txnAt(set: TxnSet, id: number): TxnBase {
  const process = set.process[id]!;
  return {
    id,
    invokeIndex: set.invokeIndex[id]!,
    completeIndex: set.completeIndex[id]!,
    process: process === -1 ? 'nemesis' : process,
    status: STATUS_NAMES[set.status[id]!]!,
    invokeTime: set.invokeTime[id]!,
    completeTime: set.completeTime[id]!,
  };
}
