/**
 * Strict-serializable rw-register histories (txn-sim.ts): random
 * transactions of reads and writes, values unique per key.
 */
import type { HistoryEvent } from '../../lib/history/types.js';
import { seededFloats } from './list-append-sim.js';
import { simulateTxns } from './txn-sim.js';

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

export function simulateRwRegister(options: RegisterSimulationOptions): HistoryEvent[] {
  const random = seededFloats(options.seed);
  const keys = options.keys ?? 3;
  const maxLength = options.maxTxnLength ?? 4;
  const store = new Map<string, number>();
  const nextValue = new Map<string, number>();
  return simulateTxns<RegisterMop>({
    ...options,
    random,
    next: () => {
      const length = 1 + Math.floor(random() * maxLength);
      return Array.from({ length }, (): RegisterMop => {
        const key = `k${Math.floor(random() * keys)}`;
        if (random() < 0.5) return ['r', key, null];
        const v = (nextValue.get(key) ?? 0) + 1;
        nextValue.set(key, v);
        return ['w', key, v];
      });
    },
    apply: (txn) =>
      txn.map((mop): RegisterMop => {
        if (mop[0] === 'r') return ['r', mop[1], store.get(mop[1]) ?? null];
        store.set(mop[1], mop[2]);
        return mop;
      }),
  });
}
