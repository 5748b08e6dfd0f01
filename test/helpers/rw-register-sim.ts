/**
 * Strict-serializable rw-register histories: clients invoke random
 * transactions of reads and writes (values unique per key) concurrently, and
 * each takes effect atomically against an in-memory store at one instant
 * between its invocation and its completion. Some fail (no effect), some end
 * `info` (effect or not, at random).
 */
import type { HistoryEvent } from '../../lib/history/types.js';
import { seededFloats } from './list-append-sim.js';

export interface RegisterSimulationOptions {
  seed: number;
  transactions: number;
  concurrency: number;
  keys?: number;
  maxTxnLength?: number;
  failProbability?: number;
  infoProbability?: number;
}

type RegisterMop = ['w', string, number] | ['r', string, number | null];

interface InFlight {
  process: number;
  invoke: RegisterMop[];
  result?: RegisterMop[];
  outcome?: 'ok' | 'fail' | 'info';
}

export function simulateRwRegister(options: RegisterSimulationOptions): HistoryEvent[] {
  const random = seededFloats(options.seed);
  const keys = options.keys ?? 3;
  const maxLength = options.maxTxnLength ?? 4;
  const failP = options.failProbability ?? 0.05;
  const infoP = options.infoProbability ?? 0.02;
  const store = new Map<string, number>();
  const nextValue = new Map<string, number>();
  const events: HistoryEvent[] = [];
  const slots: Array<InFlight | undefined> = new Array(options.concurrency).fill(undefined);
  const processOf = Array.from({ length: options.concurrency }, (_, i) => i);
  let issued = 0;
  let busy = 0;
  const emit = (process: number, type: HistoryEvent['type'], value: unknown): void => {
    events.push({ index: events.length, time: events.length * 1000, process, type, f: 'txn', value });
  };
  const generate = (): RegisterMop[] => {
    const length = 1 + Math.floor(random() * maxLength);
    return Array.from({ length }, (): RegisterMop => {
      const key = `k${Math.floor(random() * keys)}`;
      if (random() < 0.5) return ['r', key, null];
      const v = (nextValue.get(key) ?? 0) + 1;
      nextValue.set(key, v);
      return ['w', key, v];
    });
  };
  const apply = (txn: RegisterMop[]): RegisterMop[] =>
    txn.map((mop): RegisterMop => {
      if (mop[0] === 'r') return ['r', mop[1], store.get(mop[1]) ?? null];
      store.set(mop[1], mop[2]);
      return mop;
    });
  while (issued < options.transactions || busy > 0) {
    const slot = Math.floor(random() * options.concurrency);
    const f = slots[slot];
    if (!f) {
      if (issued >= options.transactions) continue;
      const invoke = generate();
      slots[slot] = { process: processOf[slot]!, invoke };
      emit(processOf[slot]!, 'invoke', invoke);
      issued++;
      busy++;
    } else if (!f.outcome) {
      const r = random();
      f.outcome = r < failP ? 'fail' : r < failP + infoP ? 'info' : 'ok';
      if (f.outcome === 'ok' || (f.outcome === 'info' && random() < 0.5)) f.result = apply(f.invoke);
    } else {
      emit(f.process, f.outcome, f.outcome === 'ok' ? f.result : f.invoke);
      if (f.outcome === 'info') processOf[slot]! += options.concurrency; // an indeterminate process retires
      slots[slot] = undefined;
      busy--;
    }
  }
  return events;
}
