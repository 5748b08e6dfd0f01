/**
 * Random strict-serializable histories (each transaction takes effect at one
 * instant between its invocation and completion) must be valid; the same
 * histories with one read made stale must not be; and a giant strongly
 * connected component must end with an answer, not hang.
 */
import { describe, expect, it } from 'vitest';
import { checkListAppend } from '../../lib/checker/elle/index.js';
import type { HistoryEvent } from '../../lib/history/types.js';
import { seededFloats, simulateListAppend } from '../helpers/list-append-sim.js';

describe('list-append checker on random histories', () => {
  it('3,000 seeded strict-serializable histories are all valid', () => {
    const failures: string[] = [];
    let committed = 0;
    for (let seed = 1; seed <= 3000; seed++) {
      const shape = seededFloats(seed * 7919);
      const history = simulateListAppend({
        seed,
        transactions: 20 + Math.floor(shape() * 60),
        concurrency: 1 + Math.floor(shape() * 6),
        generator: { activeKeys: 1 + Math.floor(shape() * 4), maxWritesPerKey: 2 + Math.floor(shape() * 8), maxTxnLength: 1 + Math.floor(shape() * 5) },
      });
      const r = checkListAppend(history);
      committed += r.stats.ok;
      if (r.valid !== true) failures.push(`seed ${seed}: ${r.summary}`);
    }
    expect(failures).toEqual([]);
    expect(committed).toBeGreaterThan(3000 * 30);
  });

  it('a stale read planted in a valid history is found', () => {
    let planted = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const history = simulateListAppend({ seed, transactions: 60, concurrency: 3, failProbability: 0, infoProbability: 0, generator: { activeKeys: 2 } });
      // A read whose last element was appended by a transaction that completed before the reader was invoked:
      // dropping that element makes the read stale in real time (or the append lost).
      const completedAt = new Map<string, number>();
      let mutated: HistoryEvent[] | undefined;
      const invokedAt = new Map<unknown, number>();
      for (const e of history) {
        if (e.type === 'invoke') invokedAt.set(e.process, e.index);
        if (e.type !== 'ok') continue;
        const mops = e.value as Array<[string, number, unknown]>;
        const i = mops.findIndex(([f, k, v], j) => f === 'r' && Array.isArray(v) && v.length > 0 && (completedAt.get(`${k}/${v[v.length - 1]}`) ?? Infinity) < invokedAt.get(e.process)! && !mops.slice(0, j).some((m) => m[0] === 'append' && m[1] === k));
        if (i >= 0) {
          const copy = mops.map((m) => [...m]);
          copy[i]![2] = (copy[i]![2] as number[]).slice(0, -1);
          mutated = history.map((x) => (x === e ? { ...x, value: copy } : x));
          break;
        }
        for (const [f, k, v] of mops) if (f === 'append') completedAt.set(`${k}/${String(v)}`, e.index);
      }
      if (!mutated) continue;
      planted++;
      const r = checkListAppend(mutated);
      expect(r.valid, `seed ${seed}`).toBe(false);
    }
    expect(planted).toBeGreaterThan(150);
  });

  it('a giant component with a tiny search budget is reported with a partial explanation', () => {
    // A ring of write skew: T_i reads k_i empty, then appends to k_(i+1); a final read shows every append.
    const n = 5_000;
    const events: HistoryEvent[] = [];
    const push = (process: number, type: HistoryEvent['type'], value: unknown): void => {
      events.push({ index: events.length, time: events.length, process, type, f: 'txn', value });
    };
    const txn = (i: number, reads: boolean): unknown[][] => [['r', `k${i}`, reads ? [] : null], ['append', `k${(i + 1) % n}`, 1]];
    for (let i = 0; i < n; i++) push(i, 'invoke', txn(i, false));
    for (let i = 0; i < n; i++) push(i, 'ok', txn(i, true));
    const finalRead = Array.from({ length: n }, (_, i) => ['r', `k${i}`, [1]]);
    push(n, 'invoke', finalRead.map(([f, k]) => [f, k, null]));
    push(n, 'ok', finalRead);

    const tight = checkListAppend(events, { cycleSearchBudget: 1000 });
    expect(tight.valid).toBe(false);
    expect(tight.partialComponents).toBe(1);
    expect(tight.stats.largestComponent).toBe(n);
    const example = Object.values(tight.anomalies).flat()[0]!;
    expect(example.explanation).toMatch(/budget exhausted/);
    expect(example.partial).toBe(true);

    const full = checkListAppend(events);
    expect(full.anomalyTypes).toEqual(['G2-item']);
    expect(full.anomalies['G2-item']![0]!.steps).toHaveLength(n);
  });
});
