/**
 * The client loop of the transaction simulations: `concurrency` processes
 * invoke generated transactions, and each takes effect atomically (`apply`,
 * against the caller's in-memory store) at one instant between its invocation
 * and its completion — a strict-serializable history. Some fail (no effect),
 * some end `info` (effect or not, at random; the process then retires).
 */
import type { HistoryEvent } from '../../lib/history/types.js';

export interface TxnSimulation<Op> {
  transactions: number;
  concurrency: number;
  /** Seeded floats in [0, 1): the only source of chance. */
  random: () => number;
  failProbability?: number;
  infoProbability?: number;
  /** The next transaction's invocation. */
  next: () => Op[];
  /** Applies a transaction to the store; its completion's micro-operations. */
  apply: (txn: Op[]) => Op[];
}

interface InFlight<Op> {
  process: number;
  invoke: Op[];
  result?: Op[];
  outcome?: 'ok' | 'fail' | 'info';
}

export function simulateTxns<Op>(o: TxnSimulation<Op>): HistoryEvent[] {
  const { random, concurrency } = o;
  const failP = o.failProbability ?? 0.05;
  const infoP = o.infoProbability ?? 0.02;
  const events: HistoryEvent[] = [];
  const slots: Array<InFlight<Op> | undefined> = new Array<InFlight<Op> | undefined>(concurrency).fill(undefined);
  const processOf = Array.from({ length: concurrency }, (_, i) => i);
  let issued = 0;
  let busy = 0;
  const emit = (process: number, type: HistoryEvent['type'], value: unknown): void => {
    events.push({ index: events.length, time: events.length * 1000, process, type, f: 'txn', value });
  };
  while (issued < o.transactions || busy > 0) {
    const slot = Math.floor(random() * concurrency);
    const f = slots[slot];
    if (!f) {
      if (issued >= o.transactions) continue;
      const invoke = o.next();
      slots[slot] = { process: processOf[slot]!, invoke };
      emit(processOf[slot]!, 'invoke', invoke);
      issued++;
      busy++;
    } else if (!f.outcome) {
      const r = random();
      f.outcome = r < failP ? 'fail' : r < failP + infoP ? 'info' : 'ok';
      if (f.outcome === 'ok' || (f.outcome === 'info' && random() < 0.5)) f.result = o.apply(f.invoke);
    } else {
      emit(f.process, f.outcome, f.outcome === 'ok' ? f.result : f.invoke);
      if (f.outcome === 'info') processOf[slot]! += concurrency; // an indeterminate process retires
      slots[slot] = undefined;
      busy--;
    }
  }
  return events;
}
