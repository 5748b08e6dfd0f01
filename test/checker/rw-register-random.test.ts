/**
 * Random strict-serializable rw-register histories never show an anomaly,
 * with or without the key assumptions (the simulation honours both); run one
 * transaction at a time they are valid outright, since real time then orders
 * every version; and a stale read planted in one is found.
 */
import { describe, expect, it } from 'vitest';
import { checkRwRegister } from '../../lib/checker/elle/index.js';
import type { HistoryEvent } from '../../lib/history/types.js';
import { seededFloats } from '../helpers/list-append-sim.js';
import { simulateRwRegister } from '../helpers/rw-register-sim.js';

describe('rw-register checker on random histories', () => {
  it('3,000 seeded strict-serializable histories: never invalid, with or without key assumptions', () => {
    const failures: string[] = [];
    const verdicts = { true: 0, unknown: 0 };
    for (let seed = 1; seed <= 3000; seed++) {
      const shape = seededFloats(seed * 104729);
      const history = simulateRwRegister({
        seed,
        transactions: 20 + Math.floor(shape() * 50),
        concurrency: 1 + Math.floor(shape() * 5),
        keys: 1 + Math.floor(shape() * 4),
        maxTxnLength: 1 + Math.floor(shape() * 4),
      });
      const plain = checkRwRegister(history);
      const assumed = checkRwRegister(history, { sequentialKeys: true, linearizableKeys: true });
      for (const r of [plain, assumed]) if (r.valid === false) failures.push(`seed ${seed}: ${r.summary}`);
      verdicts[assumed.valid === true ? 'true' : 'unknown']++;
    }
    expect(failures).toEqual([]);
    // Real time settles many orders; what stays open are blind writes of concurrent or indeterminate transactions.
    expect(verdicts.true).toBeGreaterThan(500);
  });

  it('1,000 histories executed one transaction at a time are valid with linearizable keys', () => {
    const failures: string[] = [];
    for (let seed = 1; seed <= 1000; seed++) {
      const history = simulateRwRegister({ seed, transactions: 40, concurrency: 1, keys: 3, infoProbability: 0 });
      const r = checkRwRegister(history, { linearizableKeys: true });
      if (r.valid !== true) failures.push(`seed ${seed}: ${r.summary}`);
    }
    expect(failures).toEqual([]);
  });

  it('a stale read planted in a serial history is found', () => {
    let planted = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const history = simulateRwRegister({ seed, transactions: 40, concurrency: 1, keys: 2, failProbability: 0, infoProbability: 0 });
      // The first read that returned a value overwritten earlier by a completed transaction: make it return the older value.
      const written = new Map<string, number[]>();
      let mutated: HistoryEvent[] | undefined;
      for (const e of history) {
        if (e.type !== 'ok') continue;
        const mops = e.value as Array<[string, string, number | null]>;
        const i = mops.findIndex(([f, k, v], j) => f === 'r' && v !== null && (written.get(k)?.length ?? 0) >= 2 && !mops.slice(0, j).some((m) => m[0] === 'w' && m[1] === k));
        if (i >= 0) {
          const values = written.get(mops[i]![1])!;
          const copy = mops.map((m) => [...m]);
          copy[i]![2] = values[values.length - 2]!;
          mutated = history.map((x) => (x === e ? { ...x, value: copy } : x));
          break;
        }
        for (const [f, k, v] of mops) if (f === 'w') (written.get(k) ?? written.set(k, []).get(k)!).push(v!);
      }
      if (!mutated) continue;
      planted++;
      const r = checkRwRegister(mutated, { linearizableKeys: true });
      expect(r.valid, `seed ${seed}: ${r.summary}`).toBe(false);
    }
    expect(planted).toBeGreaterThan(200);
  });
});
