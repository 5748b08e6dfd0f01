/**
 * One hand-built history per anomaly class, each classified exactly: the
 * checker must report that anomaly type and no other.
 */
import { describe, expect, it } from 'vitest';
import { checkListAppend, PROSCRIBED_BY } from '../../lib/checker/elle/index.js';
import { violatedModels, weakestViolated } from '../../lib/checker/elle/models.js';
import { TxnHistory } from '../helpers/txn-history.js';

function types(h: TxnHistory): string[] {
  return checkListAppend(h.events).anomalyTypes;
}

describe('list-append checker: one history per anomaly class', () => {
  it('G0: appends of two transactions interleave on two keys', () => {
    const h = new TxnHistory()
      .concurrent([0, [['append', 'x', 1], ['append', 'y', 1]]], [1, [['append', 'x', 2], ['append', 'y', 2]]])
      .txn(2, [['r', 'x', [1, 2]], ['r', 'y', [2, 1]]]);
    const r = checkListAppend(h.events);
    expect(r.anomalyTypes).toEqual(['G0']);
    expect(r.valid).toBe(false);
    expect(r.not).toEqual(['read-uncommitted']);
    const g0 = r.anomalies.G0![0]!;
    expect(g0.ops.sort()).toEqual([0, 1]);
    expect(g0.steps).toHaveLength(2);
    expect(g0.steps!.every((s) => s.endsWith('(ww)'))).toBe(true);
    expect(g0.explanation).toMatch(/T0 appended 1 to x, and T1 appended 2 right after it \(ww\)/);
  });

  it('G1a: a committed read sees an aborted append', () => {
    const h = new TxnHistory().invoke(0, [['append', 'x', 1]]).fail(0, [['append', 'x', 1]]).txn(1, [['r', 'x', [1]]]);
    const r = checkListAppend(h.events);
    expect(r.anomalyTypes).toEqual(['G1a']);
    expect(r.not).toEqual(['read-committed']);
    expect(r.anomalies.G1a![0]!.explanation).toMatch(/aborted/);
  });

  it('G1b: a read ends in a value its writer overwrote within the same transaction', () => {
    const h = new TxnHistory()
      .concurrent([0, [['append', 'x', 1], ['append', 'x', 2]]], [1, [['r', 'x', [1]]]])
      .txn(2, [['r', 'x', [1, 2]]]);
    expect(types(h)).toEqual(['G1b']);
  });

  it('G1c: each of two transactions reads the other\'s append', () => {
    const h = new TxnHistory().concurrent([0, [['append', 'x', 1], ['r', 'y', [1]]]], [1, [['append', 'y', 1], ['r', 'x', [1]]]]);
    const r = checkListAppend(h.events);
    expect(r.anomalyTypes).toEqual(['G1c']);
    expect(r.not).toEqual(['read-committed']);
    expect(r.anomalies.G1c![0]!.steps!.every((s) => s.endsWith('(wr)'))).toBe(true);
  });

  it('G-single: read skew, one anti-dependency', () => {
    const h = new TxnHistory()
      .concurrent([0, [['r', 'x', []], ['r', 'y', [1]]]], [1, [['append', 'x', 1], ['append', 'y', 1]]])
      .txn(2, [['r', 'x', [1]]]);
    const r = checkListAppend(h.events);
    expect(r.anomalyTypes).toEqual(['G-single']);
    expect(r.not.sort()).toEqual(['repeatable-read', 'snapshot-isolation']);
    const steps = r.anomalies['G-single']![0]!.steps!;
    expect(steps).toContain('T0 read x empty, without 1, which T1 appended (rw)');
    expect(steps).toContain('T1 appended 1 to y, and T0 read y ending in 1 (wr)');
  });

  it('G2-item: write skew, two anti-dependencies', () => {
    const h = new TxnHistory()
      .concurrent([0, [['r', 'x', []], ['r', 'y', []], ['append', 'x', 1]]], [1, [['r', 'x', []], ['r', 'y', []], ['append', 'y', 1]]])
      .txn(2, [['r', 'x', [1]], ['r', 'y', [1]]]);
    const r = checkListAppend(h.events);
    expect(r.anomalyTypes).toEqual(['G2-item']);
    expect(r.not).toEqual(['repeatable-read']);
    expect(r.anomalies['G2-item']![0]!.steps!.filter((s) => s.endsWith('(rw)'))).toHaveLength(2);
    expect(r.anomalies['G2-item']![0]!.edges).toEqual(['rw', 'rw']);
    // Snapshot isolation allows write skew.
    expect(checkListAppend(h.events, { consistencyModels: ['snapshot-isolation'] }).valid).toBe(true);
  });

  it('G-nonadjacent: two rw edges, each between two wr edges (snapshot isolation forbids it)', () => {
    // T0 appends to x, T2 to y; T1 sees x's append but not y's, T3 sees y's but not x's.
    const h = new TxnHistory().concurrent(
      [0, [['append', 'x', 1]]],
      [1, [['r', 'x', [1]], ['r', 'y', []]]],
      [2, [['append', 'y', 1]]],
      [3, [['r', 'y', [1]], ['r', 'x', []]]],
    );
    const r = checkListAppend(h.events);
    expect(r.anomalyTypes).toEqual(['G-nonadjacent']);
    expect(r.not.sort()).toEqual(['repeatable-read', 'snapshot-isolation']);
    const example = r.anomalies['G-nonadjacent']![0]!;
    expect(example.edges).toHaveLength(4);
    // Around the ring, no rw edge follows another.
    expect(example.edges!.every((e, i) => !(e === 'rw' && example.edges![(i + 1) % 4] === 'rw'))).toBe(true);
    expect(example.edges!.filter((e) => e === 'rw')).toHaveLength(2);
    expect(checkListAppend(h.events, { consistencyModels: ['read-committed'] }).valid).toBe(true);
    expect(checkListAppend(h.events, { consistencyModels: ['snapshot-isolation'] }).valid).toBe(false);
  });

  it('G-single-realtime: a stale read that only real-time order exposes', () => {
    // T0 commits 1 to x; T2, invoked afterwards on another process, reads x empty; a later read shows [1].
    const h = new TxnHistory().txn(0, [['append', 'x', 1]]).txn(1, [['r', 'x', []]]).txn(2, [['r', 'x', [1]]]);
    const r = checkListAppend(h.events);
    expect(r.anomalyTypes).toEqual(['G-single-realtime']);
    expect(r.not).toEqual(['strong-snapshot-isolation']);
    expect(r.anomalies['G-single-realtime']![0]!.steps!.some((s) => s.endsWith('(realtime)'))).toBe(true);
    // Serializable alone allows it: ordering T2 before T0 explains every read.
    expect(checkListAppend(h.events, { consistencyModels: ['serializable'] }).valid).toBe(true);
  });

  it('G-single-process: a stale read within one process (session)', () => {
    // Process 0 appends then reads its own key empty; process 1 overlaps both and reads [1].
    const h = new TxnHistory()
      .invoke(1, [['r', 'x', null]])
      .txn(0, [['append', 'x', 1]])
      .txn(0, [['r', 'x', []]])
      .ok(1, [['r', 'x', [1]]]);
    const r = checkListAppend(h.events);
    expect(r.anomalyTypes).toEqual(['G-single-process']);
    expect(r.not).toEqual(['strong-session-snapshot-isolation']);
    expect(r.anomalies['G-single-process']![0]!.steps!.some((s) => s.endsWith('(process)'))).toBe(true);
  });

  it('G2-item-realtime: write skew that real-time order closes', () => {
    // Adjacent rw edges closed by real time: T0 misses T2's y (rw), T2 misses T1's x (rw), and T1 completed before T0 began.
    const skew = new TxnHistory()
      .invoke(2, [['r', 'x', null], ['append', 'y', 1]])
      .txn(1, [['append', 'x', 1]])
      .invoke(0, [['r', 'y', null]])
      .ok(2, [['r', 'x', []], ['append', 'y', 1]])
      .ok(0, [['r', 'y', []]])
      .txn(3, [['r', 'x', [1]], ['r', 'y', [1]]]);
    const s2 = checkListAppend(skew.events);
    expect(s2.anomalyTypes).toEqual(['G2-item-realtime']);
    expect(s2.not).toEqual(['strict-serializable']);
    expect(s2.anomalies['G2-item-realtime']![0]!.edges!.sort()).toEqual(['realtime', 'rw', 'rw']);
    expect(checkListAppend(skew.events, { consistencyModels: ['serializable', 'strong-snapshot-isolation'] }).valid).toBe(true);
  });

  it('internal: a read disagrees with the transaction\'s own append', () => {
    const h = new TxnHistory().txn(0, [['append', 'x', 1], ['r', 'x', []]]);
    expect(types(h)).toEqual(['internal']);
  });

  it('non-repeatable read: a second read of a key shows a concurrent commit', () => {
    const h = new TxnHistory()
      .invoke(0, [['r', 'x', null], ['r', 'x', null]])
      .txn(1, [['append', 'x', 1]])
      .ok(0, [['r', 'x', []], ['r', 'x', [1]]]);
    const r = checkListAppend(h.events);
    expect(r.anomalyTypes).toEqual(['nonrepeatable-read']);
    expect(r.not.sort()).toEqual(['repeatable-read', 'snapshot-isolation']);
    expect(checkListAppend(h.events, { consistencyModels: ['read-committed'] }).valid).toBe(true);
  });

  it('duplicate elements: a read lists an element twice', () => {
    const h = new TxnHistory().concurrent([0, [['append', 'x', 1]]], [1, [['r', 'x', [1, 1]]]]);
    expect(types(h)).toEqual(['duplicate-elements']);
  });

  it('incompatible orders: two reads disagree on the order of a key', () => {
    const h = new TxnHistory().concurrent([0, [['append', 'x', 1]]], [1, [['append', 'x', 2]]], [2, [['r', 'x', [1, 2]]]], [3, [['r', 'x', [2, 1]]]]);
    expect(types(h)).toEqual(['incompatible-order']);
  });

  it('lost append: acknowledged, never read, though later reads of the key exist', () => {
    const h = new TxnHistory().txn(0, [['append', 'x', 1]]).txn(1, [['append', 'x', 2]]).txn(2, [['r', 'x', [2]]]);
    const r = checkListAppend(h.events);
    expect(r.anomalyTypes).toEqual(['lost-append']);
    expect(r.anomalies['lost-append']![0]!.ops).toEqual([0]);
  });

  it('a valid history has no anomalies and is strict serializable', () => {
    const h = new TxnHistory()
      .txn(0, [['append', 'x', 1], ['r', 'x', [1]]])
      .concurrent([1, [['r', 'x', [1]], ['append', 'y', 1]]], [2, [['r', 'y', [1]], ['append', 'x', 2]]])
      .txn(0, [['r', 'x', [1, 2]], ['r', 'y', [1]]]);
    const r = checkListAppend(h.events);
    expect(r.anomalyTypes).toEqual([]);
    expect(r.valid).toBe(true);
    expect(r.not).toEqual([]);
  });
});

describe('anomalies → the weakest consistency models they rule out (Adya, Elle)', () => {
  const expected: Record<string, string[]> = {
    G0: ['read-uncommitted'],
    G1a: ['read-committed'],
    G1b: ['read-committed'],
    G1c: ['read-committed'],
    'G-single': ['snapshot-isolation', 'repeatable-read'],
    'G-nonadjacent': ['snapshot-isolation', 'repeatable-read'],
    'G2-item': ['repeatable-read'],
    'G0-process': ['strong-session-snapshot-isolation'],
    'G1c-process': ['strong-session-snapshot-isolation'],
    'G-single-process': ['strong-session-snapshot-isolation'],
    'G-nonadjacent-process': ['strong-session-snapshot-isolation'],
    'G2-item-process': ['strong-session-serializable'],
    'G0-realtime': ['strong-snapshot-isolation'],
    'G1c-realtime': ['strong-snapshot-isolation'],
    'G-single-realtime': ['strong-snapshot-isolation'],
    'G-nonadjacent-realtime': ['strong-snapshot-isolation'],
    'G2-item-realtime': ['strict-serializable'],
  };

  it.each(Object.entries(expected))('%s rules out %j', (anomaly, models) => {
    expect(weakestViolated(violatedModels([anomaly]))).toEqual(models);
  });

  it('every cycle anomaly is in the table, and the allowed ones stay allowed', () => {
    for (const a of Object.keys(PROSCRIBED_BY).filter((x) => /^G/.test(x))) expect(expected, a).toHaveProperty([a]);
    // Snapshot isolation allows write skew but not G-nonadjacent; serializable allows every real-time variant.
    expect(violatedModels(['G2-item']).has('snapshot-isolation')).toBe(false);
    expect(violatedModels(['G-nonadjacent']).has('snapshot-isolation')).toBe(true);
    for (const a of Object.keys(expected).filter((x) => x.endsWith('-realtime'))) expect(violatedModels([a]).has('serializable'), a).toBe(false);
    // Real-time anomalies imply nothing about sessions.
    expect(violatedModels(['G-single-realtime']).has('strong-session-snapshot-isolation')).toBe(false);
  });
});
