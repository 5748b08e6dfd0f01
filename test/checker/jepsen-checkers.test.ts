import { describe, expect, it } from 'vitest';
import { checkers, checkCounter, checkQueue, checkSet, checkUniqueIds, compose, linearizable } from '../../lib/checker/index.js';
import type { EventType, HistoryEvent } from '../../lib/history/types.js';

/** [process, type, f, value] rows → a history. */
function h(rows: Array<[number, EventType, string, unknown]>): HistoryEvent[] {
  return rows.map(([process, type, f, value], index) => ({ index, time: 0, process, type, f, value }));
}

describe('set checker', () => {
  it('valid when every acknowledged add is read at the end', () => {
    const r = checkSet(h([[0, 'invoke', 'add', 1], [0, 'ok', 'add', 1], [1, 'invoke', 'add', 2], [1, 'info', 'add', 2], [0, 'invoke', 'read', null], [0, 'ok', 'read', [1, 2]]]));
    expect(r).toMatchObject({ valid: true, attempted: 2, acknowledged: 1, lost: [], recovered: [2] });
  });

  it('lost, unexpected and stale elements, with counts and the elements', () => {
    const r = checkSet(
      h([
        [0, 'invoke', 'add', 1], [0, 'ok', 'add', 1],
        [0, 'invoke', 'add', 2], [0, 'ok', 'add', 2],
        [1, 'invoke', 'read', null], [1, 'ok', 'read', [2]],
        [1, 'invoke', 'read', null], [1, 'ok', 'read', [2, 9]],
      ]),
    );
    expect(r).toMatchObject({ valid: false, lost: [1], unexpected: [9] });
    expect(r.summary).toBe('set violated: 2 of 2 adds acknowledged; 1 lost: 1; 1 unexpected: 9');
    const stale = checkSet(
      h([[0, 'invoke', 'add', 1], [0, 'ok', 'add', 1], [1, 'invoke', 'read', null], [1, 'ok', 'read', []], [1, 'invoke', 'read', null], [1, 'ok', 'read', [1]]]),
      { linearizable: true },
    );
    expect(stale).toMatchObject({ valid: false, stale: [1], lost: [] });
  });

  it('unknown without any read', () => {
    expect(checkSet(h([[0, 'invoke', 'add', 1], [0, 'ok', 'add', 1]])).valid).toBe('unknown');
  });
});

describe('queue checker', () => {
  it('lost, duplicated and unexpected values', () => {
    const r = checkQueue(
      h([
        [0, 'invoke', 'enqueue', 1], [0, 'ok', 'enqueue', 1],
        [0, 'invoke', 'enqueue', 2], [0, 'ok', 'enqueue', 2],
        [0, 'invoke', 'enqueue', 3], [0, 'info', 'enqueue', 3],
        [1, 'invoke', 'dequeue', null], [1, 'ok', 'dequeue', 1],
        [1, 'invoke', 'dequeue', null], [1, 'ok', 'dequeue', 1],
        [1, 'invoke', 'dequeue', null], [1, 'ok', 'dequeue', 3],
        [1, 'invoke', 'dequeue', null], [1, 'ok', 'dequeue', 7],
      ]),
    );
    expect(r).toMatchObject({ valid: false, lost: [2], duplicated: [1], unexpected: [7], recovered: [3], acknowledged: 2, attempted: 3 });
  });
});

describe('counter checker', () => {
  it('reads within the bounds of ok and in-flight adds are valid; outside them not', () => {
    const ok = checkCounter(h([[0, 'invoke', 'add', 2], [0, 'ok', 'add', 2], [1, 'invoke', 'add', 3], [2, 'invoke', 'read', null], [2, 'ok', 'read', 5], [1, 'info', 'add', 3]]));
    expect(ok.valid).toBe(true);
    const bad = checkCounter(h([[0, 'invoke', 'add', 2], [0, 'ok', 'add', 2], [2, 'invoke', 'read', null], [2, 'ok', 'read', 1]]));
    expect(bad).toMatchObject({ valid: false, errors: [{ op: 2, value: 1, lower: 2, upper: 2 }] });
    expect(bad.summary).toContain('allowed 2…2');
  });
});

describe('uniqueIds and compose', () => {
  it('duplicate ids are named', () => {
    const r = checkUniqueIds(h([[0, 'invoke', 'generate', null], [0, 'ok', 'generate', 7], [1, 'invoke', 'generate', null], [1, 'ok', 'generate', 7], [1, 'invoke', 'generate', null], [1, 'ok', 'generate', 8]]));
    expect(r).toMatchObject({ valid: false, acknowledged: 3, duplicated: [{ id: 7, count: 2 }], ops: [0, 2] });
  });

  it('compose runs each checker and combines: false beats unknown beats true', async () => {
    // Both reads happen while the add is in flight: each within the counter's bounds, but 1 then 0 is not linearizable.
    const history = h([[0, 'invoke', 'add', 1], [1, 'invoke', 'read', null], [1, 'ok', 'read', 1], [1, 'invoke', 'read', null], [1, 'ok', 'read', 0], [0, 'ok', 'add', 1]]);
    const composed = compose({ counter: checkers.counter(), linear: linearizable({ model: 'counter' }), ids: checkers.uniqueIds() });
    const r = (await composed.check(history)) as { valid: unknown; summary: string; checkers: Record<string, { valid: unknown }> };
    expect(r.valid).toBe(false);
    expect(Object.fromEntries(Object.entries(r.checkers).map(([k, v]) => [k, v.valid]))).toEqual({ counter: true, linear: false, ids: true });
    expect(r.summary).toMatch(/^linear: read\(\) → [01] by process 1/);
  });
});
