/** Budgets: a search that cannot finish answers 'unknown' and says why, never a guess; workers agree with one thread. */
import { describe, expect, it } from 'vitest';
import { checkLinearizable } from '../../lib/checker/linearizable.js';
import type { HistoryEvent } from '../../lib/history/types.js';
import { generateHistory } from './generate.js';

/** 40 concurrent enqueues with unknown outcomes, then dequeues of values nobody enqueued: an exhaustive search. */
function hardQueue(): HistoryEvent[] {
  const rows: Array<Omit<HistoryEvent, 'index' | 'time'>> = [];
  for (let p = 0; p < 40; p += 1) rows.push({ process: p, type: 'invoke', f: 'enqueue', value: p });
  for (let p = 0; p < 40; p += 1) rows.push({ process: p, type: 'info', f: 'enqueue', value: p });
  for (let p = 100; p < 140; p += 1) rows.push({ process: p, type: 'invoke', f: 'dequeue', value: null });
  for (let p = 100; p < 140; p += 1) rows.push({ process: p, type: 'ok', f: 'dequeue', value: 1000 + p });
  return rows.map((r, index) => ({ index, time: 0, ...r }));
}

describe('checker limits', () => {
  it('a memory cap gives unknown, naming the cap', async () => {
    const result = await checkLinearizable(hardQueue(), { model: 'queue', memoryLimitBytes: 4 << 20 });
    expect(result.valid).toBe('unknown');
    expect(result.summary).toMatch(/memory cap \(4 MiB\)/);
  });

  it('a time budget gives unknown, and so does a cancelled check', async () => {
    const timed = await checkLinearizable(hardQueue(), { model: 'queue', timeoutMs: 200 });
    expect(timed).toMatchObject({ valid: 'unknown' });
    expect(timed.summary).toMatch(/time budget ran out/);
    const controller = new AbortController();
    controller.abort();
    const cancelled = await checkLinearizable(hardQueue(), { model: 'queue' }, { signal: controller.signal });
    expect(cancelled.summary).toMatch(/cancelled/);
  });

  it('worker threads give the same per-key verdicts as the calling thread', async () => {
    const history = generateHistory({ model: 'kv', seed: 3, ops: 3_000, clients: 8, keys: 12, infoRate: 0.02, finalRead: true });
    const broken = history.map((e) => (e.type === 'ok' && e.f === 'get' && e.key === '5' && e.index > 1500 ? { ...e, value: 'bogus' } : e));
    const one = await checkLinearizable(broken, { model: 'kv', workers: 0 });
    const two = await checkLinearizable(broken, { model: 'kv', workers: 2 });
    expect(one.valid).toBe(false);
    expect(two.partitions.map((p) => [p.partition, p.valid])).toEqual(one.partitions.map((p) => [p.partition, p.valid]));
    expect(two.partition).toBe('5');
  });
});
