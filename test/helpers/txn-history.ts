/** A small builder for hand-written transaction histories. */
import type { HistoryEvent } from '../../lib/history/types.js';

/** List-append (`append`, `r` of a list) and rw-register (`w`, `r` of one value) micro-operations. */
export type Mop = ['append', string, number] | ['w', string, number] | ['r', string, number[] | number | null];

export class TxnHistory {
  readonly events: HistoryEvent[] = [];

  private push(process: number, type: HistoryEvent['type'], value: unknown): this {
    this.events.push({ index: this.events.length, time: this.events.length * 1_000_000, process, type, f: 'txn', value });
    return this;
  }

  invoke(process: number, mops: Mop[]): this {
    return this.push(process, 'invoke', mops.map(([f, k, v]) => [f, k, f === 'r' ? null : v]));
  }

  ok(process: number, mops: Mop[]): this {
    return this.push(process, 'ok', mops);
  }

  fail(process: number, mops: Mop[]): this {
    return this.push(process, 'fail', mops.map(([f, k, v]) => [f, k, f === 'r' ? null : v]));
  }

  /** One transaction invoked and completed ok before anything else happens. */
  txn(process: number, mops: Mop[]): this {
    return this.invoke(process, mops).ok(process, mops);
  }

  /** Transactions all invoked, then all completed ok: mutually concurrent (no real-time order among them). */
  concurrent(...txns: Array<[number, Mop[]]>): this {
    for (const [p, mops] of txns) this.invoke(p, mops);
    for (const [p, mops] of txns) this.ok(p, mops);
    return this;
  }
}
