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

interface InFlight {
  process: number;
  invoke: ListAppendMicroOp[];
  result?: ListAppendMicroOp[];
  outcome?: 'ok' | 'fail' | 'info';
}

export function simulateListAppend(options: SimulationOptions): HistoryEvent[] {
  const random = seededFloats(options.seed);
  const gen = new ListAppendGenerator({ ...options.generator, random });
  const failP = options.failProbability ?? 0.05;
  const infoP = options.infoProbability ?? 0.02;
  const store = new Map<number, number[]>();
  const events: HistoryEvent[] = [];
  const slots: Array<InFlight | undefined> = new Array(options.concurrency).fill(undefined);
  const processOf = Array.from({ length: options.concurrency }, (_, i) => i);
  let issued = 0;
  let busy = 0;
  const emit = (process: number, type: HistoryEvent['type'], value: unknown): void => {
    events.push({ index: events.length, time: events.length * 1000, process, type, f: 'txn', value });
  };
  const apply = (txn: ListAppendMicroOp[]): ListAppendMicroOp[] =>
    txn.map((mop): ListAppendMicroOp => {
      const list = store.get(mop[1]) ?? [];
      if (mop[0] === 'r') return ['r', mop[1], list.slice()];
      store.set(mop[1], [...list, mop[2]]);
      return mop;
    });
  while (issued < options.transactions || busy > 0) {
    const slot = Math.floor(random() * options.concurrency);
    const f = slots[slot];
    if (!f) {
      if (issued >= options.transactions) continue;
      const invoke = gen.next();
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
