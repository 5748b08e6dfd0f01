/** The report's pure pieces: log timestamps, fault periods and planned times, operation columns. */
import { describe, expect, it } from 'vitest';
import { faultPeriods, faultRows } from '../../lib/report/fault-periods.js';
import { timestampOf } from '../../lib/report/log-lines.js';
import { opColumnsOf } from '../../lib/report/op-columns.js';
import type { TimelineEntry } from '../../lib/faults/timeline.js';
import type { HistoryEvent } from '../../lib/history/types.js';

describe('log line timestamps', () => {
  const at = Date.UTC(2026, 11, 1, 20, 41, 44, 759);
  it.each([
    ['etcd capnslog', '2026-12-01 20:41:44.759229 I | pkg/flags: recognized', at + 0.229],
    ['ISO with zone', '2026-12-01T22:41:44.759+02:00 level=info msg=x', at],
    ['zap JSON', '{"level":"info","ts":"2026-12-01T20:41:44.759Z","msg":"x"}', at],
    ['zap JSON epoch seconds', `{"level":"info","ts":${at / 1000},"msg":"x"}`, at],
    ['redis', '1:M 01 Dec 2026 20:41:44.759 * Ready to accept connections tcp', at],
  ])('%s', (_name, line, expected) => {
    expect(timestampOf(line)).toBeCloseTo(expected, 3);
  });

  it('a line without its own time, or with a date deep inside the message, has none', () => {
    expect(timestampOf('panic: runtime error')).toBeUndefined();
    expect(timestampOf(`${'x'.repeat(80)} 2026-12-01 20:41:44`)).toBeUndefined();
  });
});

describe('fault periods and planned times', () => {
  const zero = 1_000_000_000_000n;
  const entry = (s: number, event: TimelineEntry['event'], name: string, kind: string, auto?: boolean): TimelineEntry => ({
    event,
    mono: (zero + BigInt(s * 1e9)).toString(),
    wall: new Date(s * 1000).toISOString(),
    name,
    kind,
    params: {},
    ...(auto ? { auto } : {}),
  });
  const entries = [
    entry(2, 'apply', 'split', 'isolateAZ'),
    entry(3, 'process', 'n2/etcd', 'pause'),
    entry(4, 'process', 'n2/etcd', 'resume'),
    entry(5, 'heal', 'split', 'isolateAZ'),
    entry(6, 'process', 'n3/etcd', 'kill'),
    entry(7, 'apply', 'loss', 'loss'),
    entry(9, 'heal', 'loss', 'loss', true),
  ];

  it('pairs apply/heal, pause/resume and leaves an unrestarted kill open', () => {
    const periods = faultPeriods(faultRows(entries, zero, []));
    expect(periods.map((p) => [p.name, p.kind, p.from, p.to, p.process])).toEqual([
      ['split', 'isolateAZ', 2, 5, false],
      ['n2/etcd', 'pause', 3, 4, true],
      ['n3/etcd', 'kill', 6, null, true],
      ['loss', 'loss', 7, 9, false],
    ]);
  });

  it('takes the planned time of the nemesis invoke just before each event; teardown heals have none', () => {
    const rows = faultRows(entries, zero, [
      { index: 0, f: 'start-partition', value: '', time: 1.99, planned: 1.98 },
      { index: 2, f: 'stop-partition', value: '', time: 4.999, planned: 4.99 },
    ]);
    expect(rows.map((r) => r.planned)).toEqual([1.98, undefined, undefined, 4.99, undefined, undefined, undefined]);
  });
});

describe('operation columns', () => {
  const ev = (index: number, time: number, process: HistoryEvent['process'], type: HistoryEvent['type'], f: string, value: unknown, extra: Partial<HistoryEvent> = {}): HistoryEvent => ({ index, time: time * 1e9, process, type, f, value, ...extra });
  const history = [
    ev(0, 1, 0, 'invoke', 'write', 3, { node: 'n1' }),
    ev(1, 1.5, 1, 'invoke', 'read', null, { key: 'r1' }),
    ev(2, 1.6, 'nemesis', 'invoke', 'start-partition', 'n1', { planned: 1.59e9 }),
    ev(3, 2, 0, 'ok', 'write', 3),
    ev(4, 2.5, 1, 'info', 'read', null, { error: 'timeout' }),
    ev(5, 2.6, 'nemesis', 'info', 'start-partition', 'n1'),
    ev(6, 3, 11, 'invoke', 'read', null),
  ];
  const c = opColumnsOf(history);

  it('pairs invocations with their completions, one row per operation, lanes nemesis first', () => {
    expect(c.count).toBe(4);
    expect(c.lanes).toEqual(['nemesis', '0', '1', '11']);
    expect([...c.t0]).toEqual([1, 1.5, 1.6, 3]);
    expect(Array.from(c.lat).map((x) => (Number.isNaN(x) ? 'never' : Math.round(x * 1000) / 1000))).toEqual([1, 1, 1, 'never']);
    expect([...c.type].map((t) => ['ok', 'fail', 'info', 'pending'][t])).toEqual(['ok', 'info', 'info', 'pending']);
    expect([...c.index]).toEqual([0, 1, 2, 6]);
    expect(c.strings[c.vin[1]!]).toBe('r1: null');
    expect(c.strings[c.vout[1]!]).toBe('timeout');
    expect(c.nodes[c.node[0]!]).toBe('n1');
  });

  it('counts client operations per function (not the nemesis) and keeps the planned times', () => {
    expect(c.counts).toEqual({ write: { ok: 1, fail: 0, info: 0, pending: 0 }, read: { ok: 0, fail: 0, info: 1, pending: 1 } });
    expect(c.nemesis).toEqual([{ index: 2, f: 'start-partition', value: 'n1', time: 1.6, planned: 1.59 }]);
  });
});
