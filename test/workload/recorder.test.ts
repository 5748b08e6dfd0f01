/** The recorder keeps Jepsen's history rules and streams history.jsonl as it goes. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as immediate } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { HistoryRecorder } from '../../lib/history/recorder.js';
import { StateError } from '../../lib/errors.js';

const scratch: string[] = [];
/** A history.jsonl path in a fresh temporary directory, removed after the file's tests. */
function historyPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pk-rec-'));
  scratch.push(dir);
  return join(dir, 'history.jsonl');
}
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

describe('HistoryRecorder', () => {
  it('records invoke then one completion, with dense indexes, times since the start and the invoke\'s f', () => {
    const r = new HistoryRecorder({ startedMono: process.hrtime.bigint() - 1_000_000n });
    r.invoke(0, 'write', 3, { node: 'n1' });
    r.invoke(1, 'read', null, { node: 'n2', key: 'k' });
    r.ok(0);
    r.ok(1, 3);
    expect(r.history.map((e) => [e.index, e.process, e.type, e.f, e.value, e.node, e.key])).toEqual([
      [0, 0, 'invoke', 'write', 3, 'n1', undefined],
      [1, 1, 'invoke', 'read', null, 'n2', 'k'],
      [2, 0, 'ok', 'write', 3, 'n1', undefined],
      [3, 1, 'ok', 'read', 3, 'n2', 'k'],
    ]);
    expect(r.history[0]!.time).toBeGreaterThanOrEqual(1_000_000);
    expect(r.history[3]!.time).toBeGreaterThanOrEqual(r.history[0]!.time);
  });

  it('allows one operation in flight per process', () => {
    const r = new HistoryRecorder();
    r.invoke(0, 'read');
    expect(() => r.invoke(0, 'write', 1)).toThrow(/process 0 invoked "write" while its "read" is in flight/);
    expect(() => r.ok(1)).toThrow(StateError);
  });

  it('retires a client process after info, but not the nemesis', () => {
    const r = new HistoryRecorder();
    r.invoke(2, 'write', 1);
    r.info(2, undefined, { error: 'timeout' });
    expect(r.history[1]).toMatchObject({ type: 'info', error: 'timeout', value: 1 });
    expect(() => r.invoke(2, 'read')).toThrow(/process 2 was retired after an info/);
    r.invoke('nemesis', 'start-partition', { shape: 'halves' }, { planned: 5 });
    r.info('nemesis', undefined, { error: 'x' });
    r.invoke('nemesis', 'stop-partition');
    expect(r.history[2]).toMatchObject({ process: 'nemesis', planned: 5 });
    expect(r.nextProcess()).toBe(3);
  });

  it('streams history.jsonl at the end of the event-loop turn, one JSON event per line', async () => {
    const path = historyPath();
    const r = new HistoryRecorder({ path });
    r.invoke(0, 'cas', [1, 2], { node: 'n1' });
    r.fail(0, undefined, { error: 'mismatch' });
    expect(readFileSync(path, 'utf8')).toBe(''); // not yet: stamped now, written at the end of the turn
    await immediate();
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual(JSON.parse(JSON.stringify(r.history)));
    expect(lines[1]).toMatchObject({ index: 1, process: 0, type: 'fail', f: 'cas', value: [1, 2], node: 'n1', error: 'mismatch' });
    r.invoke(1, 'read');
    r.close();
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(3);
  });
});

describe('the recorded history', () => {
  it('reads back every field across chunk boundaries, for every kind of process number', async () => {
    const path = historyPath();
    const r = new HistoryRecorder({ path });
    const odd = [-3, 1.5, 2 ** 40, -0.25];
    const expected: Array<[unknown, string, string, unknown, string | undefined, string | undefined]> = [];
    // 40,000 operations are 80,000 events: several chunks, with the nemesis and odd process numbers in each.
    for (let i = 0; i < 40_000; i++) {
      const process = i % 1000 === 7 ? 'nemesis' : i % 997 === 3 ? odd[((i / 997) | 0) % odd.length]! : i % 50;
      const value = i % 3 === 0 ? { i } : i;
      r.invoke(process, `f${i % 7}`, value, i % 2 === 0 ? { node: `n${i % 5}` } : { key: `k${i % 11}` });
      expected.push([process, 'invoke', `f${i % 7}`, value, i % 2 === 0 ? `n${i % 5}` : undefined, i % 2 === 0 ? undefined : `k${i % 11}`]);
      if (i % 4 === 0) {
        r.fail(process, undefined, { error: `e${i}` });
      } else {
        r.ok(process, i % 4 === 1 ? undefined : [i]);
      }
      expected.push([process, i % 4 === 0 ? 'fail' : 'ok', `f${i % 7}`, i % 4 === 1 || i % 4 === 0 ? value : [i], expected.at(-1)![4], expected.at(-1)![5]]);
    }
    expect(r.length).toBe(80_000);
    expect(r.clientOperations()).toBe(40_000 - 40); // the nemesis's 40 are not client operations
    const history = r.history;
    expect(history.map((e) => [e.process, e.type, e.f, e.value, e.node, e.key])).toEqual(expected);
    expect(history.every((e, i) => e.index === i)).toBe(true);
    expect(history[9]!.error).toBe('e4');
    await immediate();
    r.close();
    expect(readFileSync(path, 'utf8')).toBe(history.map((e) => `${JSON.stringify(e)}\n`).join(''));
  });

  it('gives the same array, extended, on each read of history', () => {
    const r = new HistoryRecorder();
    r.invoke(0, 'read');
    const first = r.history;
    expect(first).toHaveLength(1);
    r.ok(0, 5);
    expect(r.history).toBe(first);
    expect(first.map((e) => e.type)).toEqual(['invoke', 'ok']);
    expect(r.length).toBe(2);
  });

  it('returns each event it records as an object equal to its history entry', () => {
    const r = new HistoryRecorder();
    const invoked = r.invoke('nemesis', 'start-partition', { shape: 'halves' }, { planned: 12, node: 'n1' });
    const done = r.info('nemesis', undefined, { error: 'refused' });
    expect(r.history).toEqual([invoked, done]);
    expect(done).toMatchObject({ index: 1, process: 'nemesis', type: 'info', value: { shape: 'halves' }, node: 'n1', error: 'refused' });
  });
});

describe('history.jsonl lines', () => {
  it('are exactly JSON.stringify of each event, for every kind of field and value', async () => {
    const path = historyPath();
    const r = new HistoryRecorder({ path, startedMono: process.hrtime.bigint() - 5_000_000_000n });
    const values: unknown[] = [null, 0, -1.5, 1e21, 'a "quoted" \\ line\nbreak', 'ünïcødé ✓ 😀', [1, [2, 'x']], { a: { b: [null, true] } }, true];
    values.forEach((value, i) => {
      r.invoke(i, `f-${i % 3}`, value, i % 2 === 0 ? { node: `n${i}` } : { node: 'n"1', key: `k\t${i}` });
      if (i % 3 === 0) r.ok(i, [value]);
      else if (i % 3 === 1) r.fail(i, undefined, { error: 'refused: "no"' });
      else r.info(i, undefined, { error: 'timeout ⏱' });
    });
    r.invoke('nemesis', 'start-partition', { shape: 'halves', groups: [['n1'], ['n2', 'n3']] }, { planned: 1234, node: 'n1,n2' });
    r.ok('nemesis');
    // A turn with many events (the write buffer grows) whose lines hold multi-byte characters.
    for (let i = 100; i < 2100; i++) {
      r.invoke(i, 'write', `ж${'é'.repeat(i % 50)}`, { node: 'n1' });
      r.ok(i);
    }
    await immediate();
    r.close();
    expect(readFileSync(path, 'utf8')).toBe(r.history.map((e) => `${JSON.stringify(e)}\n`).join(''));
  });

  it('write numbers and names exactly as JSON does, at every size and sign', () => {
    const path = historyPath();
    // Times past 2^30 ns and 2^32 ns are not small integers in V8: the digits must still be exact.
    const r = new HistoryRecorder({ path, startedMono: process.hrtime.bigint() - 5_000_000_123n });
    const numbers = [-0, 7, 10, 99, 100, -42, 2 ** 31, 2 ** 32 + 1, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53, 1e21, 1e-7, 0.1 + 0.2, -3.5, NaN, Infinity, -Infinity];
    const long = `f${'x'.repeat(100)}`;
    numbers.forEach((value, i) => {
      r.invoke(1_000_000 + i, i % 2 === 0 ? long : 'write', value, { node: i % 3 === 0 ? 'nœud-✓' : 'n1', key: i % 4 === 0 ? long : 'k' });
      r.ok(1_000_000 + i, i % 5 === 0 ? undefined : -value);
    });
    r.invoke('nemesis', 'start', null, { planned: 12_345_678_901 });
    r.ok('nemesis');
    r.close();
    const expected = r.history.map((e) => `${JSON.stringify(e)}\n`).join('');
    expect(readFileSync(path, 'utf8')).toBe(expected);
    expect(expected).toContain('"value":9007199254740991');
    expect(expected).toContain('"planned":12345678901');
  });

  it('stamp times on the clock of startedMono (process.hrtime.bigint)', () => {
    const before = process.hrtime.bigint();
    const r = new HistoryRecorder({ startedMono: before - 7_000_000_000n });
    const event = r.invoke(0, 'read');
    const after = process.hrtime.bigint();
    expect(event.time).toBeGreaterThanOrEqual(Number(before - r.startedMono));
    expect(event.time).toBeLessThanOrEqual(Number(after - r.startedMono));
    expect(Number.isInteger(event.time)).toBe(true);
  });
});
