/**
 * Strict-serializable list-append histories for tests and the bench: clients
 * invoke generated transactions concurrently, and each transaction takes
 * effect atomically against an in-memory store at one instant between its
 * invocation and its completion. Some transactions fail (no effect) and some
 * end `info` (effect or not, at random).
 */
import type { HistoryEvent } from '../../lib/history/types.js';
import { type ListAppendGeneratorOptions, ListAppendGenerator, type ListAppendMicroOp } from '../../lib/workload/list-append.js';
import { Random } from '../../lib/workload/random.js';
import { simulateTxns } from './txn-sim.js';

/** Seeded floats in [0, 1) from the workload's own stream. */
export function seededFloats(seed: number): () => number {
  const stream = new Random(seed);
  return () => stream.next();
}

export interface SimulationOptions {
  transactions: number;
  concurrency: number;
  seed: number;
  failProbability?: number;
  infoProbability?: number;
  generator?: Omit<ListAppendGeneratorOptions, 'random'>;
}

export function simulateListAppend(options: SimulationOptions): HistoryEvent[] {
  const random = seededFloats(options.seed);
  const gen = new ListAppendGenerator({ ...options.generator, random });
  const store = new Map<number, number[]>();
  return simulateTxns<ListAppendMicroOp>({
    ...options,
    random,
    next: () => gen.next(),
    apply: (txn) =>
      txn.map((mop): ListAppendMicroOp => {
        const list = store.get(mop[1]) ?? [];
        if (mop[0] === 'r') return ['r', mop[1], list.slice()];
        store.set(mop[1], [...list, mop[2]]);
        return mop;
      }),
  });
}
