/**
 * Transactions for the list-append workload (Jepsen's `append`): each is a
 * short list of micro-operations `["append", k, v]` and `["r", k, null]`
 * over a few active keys. Appended values are unique per key (1, 2, 3 …), so
 * every element of a read names the transaction that appended it. A key
 * retires after `maxWritesPerKey` appends and a fresh key takes its place,
 * which keeps lists short (reads cheap) however long the run.
 */
import type { GenContext, Op } from './generator.js';

export type ListAppendMicroOp = ['append', number, number] | ['r', number, null | number[]];

export interface ListAppendGeneratorOptions {
  /** Keys in use at once (default 5). */
  activeKeys?: number;
  /** Appends a key receives before it is retired (default 32). */
  maxWritesPerKey?: number;
  /** Micro-operations per transaction, inclusive range (default 1 and 4). */
  minTxnLength?: number;
  maxTxnLength?: number;
  /** Probability that a micro-operation is a read (default 0.5). */
  readProbability?: number;
  /** Random numbers in [0, 1): pass a seeded generator for a reproducible workload (default Math.random). */
  random?: () => number;
}

/** Produces list-append transactions with key rotation; `next()` is the invocation's value. */
export class ListAppendGenerator {
  private readonly active: number[] = [];
  private readonly writes = new Map<number, number>();
  private nextKey = 0;
  private readonly opts: Required<ListAppendGeneratorOptions>;

  constructor(options: ListAppendGeneratorOptions = {}) {
    this.opts = {
      activeKeys: options.activeKeys ?? 5,
      maxWritesPerKey: options.maxWritesPerKey ?? 32,
      minTxnLength: options.minTxnLength ?? 1,
      maxTxnLength: options.maxTxnLength ?? 4,
      readProbability: options.readProbability ?? 0.5,
      random: options.random ?? Math.random,
    };
    const o = this.opts;
    if (!(o.activeKeys >= 1 && o.maxWritesPerKey >= 1 && o.minTxnLength >= 1 && o.maxTxnLength >= o.minTxnLength)) {
      throw new RangeError('list-append generator: activeKeys, maxWritesPerKey and minTxnLength must be ≥ 1, and maxTxnLength ≥ minTxnLength');
    }
    if (!(o.readProbability >= 0 && o.readProbability <= 1)) throw new RangeError('list-append generator: readProbability must be within [0, 1]');
    for (let i = 0; i < o.activeKeys; i++) this.active.push(this.nextKey++);
  }

  /** The next transaction; `random` overrides the generator's source for this call (e.g. a workload thread's stream). */
  next(random: () => number = this.opts.random): ListAppendMicroOp[] {
    const o = { ...this.opts, random };
    const length = o.minTxnLength + Math.floor(o.random() * (o.maxTxnLength - o.minTxnLength + 1));
    const txn: ListAppendMicroOp[] = [];
    for (let i = 0; i < length; i++) {
      const slot = Math.floor(o.random() * this.active.length);
      const key = this.active[slot]!;
      if (o.random() < o.readProbability) {
        txn.push(['r', key, null]);
        continue;
      }
      const n = (this.writes.get(key) ?? 0) + 1;
      txn.push(['append', key, n]);
      if (n >= o.maxWritesPerKey) {
        this.writes.delete(key);
        this.active[slot] = this.nextKey++; // rotate: the next transaction sees a fresh key here
      } else {
        this.writes.set(key, n);
      }
    }
    return txn;
  }
}

/**
 * A workload generator (for `t.workload`) of list-append transactions:
 * operations `{ f: 'txn', value: [["append", k, v], ["r", k, null], …] }`,
 * chosen with the asking thread's seeded stream; key rotation is shared by all threads.
 */
export function listAppendTxns(options: Omit<ListAppendGeneratorOptions, 'random'> = {}): (ctx: GenContext) => Op {
  const generator = new ListAppendGenerator(options);
  return (ctx) => ({ f: 'txn', value: generator.next(() => ctx.random.next()) });
}
