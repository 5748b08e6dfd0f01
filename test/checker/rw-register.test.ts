/**
 * The rw-register checker: one hand-built history per anomaly class,
 * classified exactly; the version-order facts it may and may not use; and
 * `unknown` where the reads leave an order open.
 */
import { describe, expect, it } from 'vitest';
import { checkRwRegister, type RwRegisterOptions } from '../../lib/checker/elle/index.js';
import { TxnHistory } from '../helpers/txn-history.js';

const check = (h: TxnHistory, options: RwRegisterOptions = {}) => checkRwRegister(h.events, options);

describe('rw-register checker: one history per anomaly class', () => {
  it('G0: two transactions overwrite each other on two keys (orders from sequential keys)', () => {
    // Each writer's process later reads the other's value of one key: process 0 saw x go 1 → 2, process 1 saw y go 2 → 1.
    const h = new TxnHistory()
      .concurrent([0, [['w', 'x', 1], ['w', 'y', 1]]], [1, [['w', 'x', 2], ['w', 'y', 2]]])
      .concurrent([0, [['r', 'x', 2]]], [1, [['r', 'y', 1]]]);
    // Reads alone order nothing between 1 and 2: no G0 can be claimed, and no valid either.
    const open = check(h);
    expect(open.anomalyTypes).toEqual([]);
    expect(open.valid).toBe('unknown');
    expect(open.ambiguousKeys.sort()).toEqual(['x', 'y']);

    const r = check(h, { sequentialKeys: true });
    expect(r.anomalyTypes).toEqual(['G0']);
    expect(r.not).toEqual(['read-uncommitted']);
    expect(r.anomalies.G0![0]!.edges).toEqual(['ww', 'ww']);
    expect(r.anomalies.G0![0]!.explanation).toMatch(/one process observed/);
  });

  it('G1a: a committed read of an aborted write', () => {
    const h = new TxnHistory().invoke(0, [['w', 'x', 1]]).fail(0, [['w', 'x', 1]]).txn(1, [['r', 'x', 1]]);
    const r = check(h);
    expect(r.anomalyTypes).toEqual(['G1a']);
    expect(r.not).toEqual(['read-committed']);
  });

  it('G1b: a read of a value its writer overwrote in the same transaction', () => {
    const h = new TxnHistory().concurrent([0, [['w', 'x', 1], ['w', 'x', 2]]], [1, [['r', 'x', 1]]]);
    expect(check(h).anomalyTypes).toEqual(['G1b']);
  });

  it('G1c: each of two transactions reads the other\'s write', () => {
    const h = new TxnHistory().concurrent([0, [['w', 'x', 1], ['r', 'y', 1]]], [1, [['w', 'y', 1], ['r', 'x', 1]]]);
    const r = check(h);
    expect(r.anomalyTypes).toEqual(['G1c']);
    expect(r.valid).toBe(false);
    expect(r.anomalies.G1c![0]!.edges).toEqual(['wr', 'wr']);
  });

  it('G-single: read skew, the anti-dependency from an initial nil', () => {
    const h = new TxnHistory().concurrent([0, [['r', 'x', null], ['r', 'y', 1]]], [1, [['w', 'x', 1], ['w', 'y', 1]]]);
    const r = check(h);
    expect(r.anomalyTypes).toEqual(['G-single']);
    expect(r.not.sort()).toEqual(['repeatable-read', 'snapshot-isolation']);
    expect(r.anomalies['G-single']![0]!.steps).toContain('T0 read x = nil, and T1 wrote 1, a later version (every version follows the initial nil) (rw)');
  });

  it('G-single: the anti-dependency from a write that followed a read', () => {
    // T2 read x=1 then wrote 2, so 1 < 2; T0 saw x=1 but T2's y.
    const h = new TxnHistory()
      .txn(0, [['w', 'x', 1]])
      .concurrent([1, [['r', 'x', 1], ['r', 'y', 5]]], [2, [['r', 'x', 1], ['w', 'x', 2], ['w', 'y', 5]]]);
    const r = check(h);
    expect(r.anomalyTypes).toEqual(['G-single']);
    expect(r.anomalies['G-single']![0]!.explanation).toMatch(/read 1 before writing 2/);
  });

  it('G-nonadjacent: two anti-dependencies separated by wr edges', () => {
    const h = new TxnHistory().concurrent([0, [['w', 'x', 1]]], [1, [['r', 'x', 1], ['r', 'y', null]]], [2, [['w', 'y', 1]]], [3, [['r', 'y', 1], ['r', 'x', null]]]);
    const r = check(h);
    expect(r.anomalyTypes).toEqual(['G-nonadjacent']);
    expect(r.not.sort()).toEqual(['repeatable-read', 'snapshot-isolation']);
  });

  it('G2-item: write skew from initial nils', () => {
    const h = new TxnHistory().concurrent([0, [['r', 'x', null], ['r', 'y', null], ['w', 'x', 1]]], [1, [['r', 'x', null], ['r', 'y', null], ['w', 'y', 1]]]);
    const r = check(h);
    expect(r.anomalyTypes).toEqual(['G2-item']);
    expect(r.not).toEqual(['repeatable-read']);
    expect(check(h, { consistencyModels: ['snapshot-isolation'] }).valid).toBe(true);
  });

  it('G-single-realtime: a stale read, visible only with linearizable keys and real-time order', () => {
    // Blind writes of x: only real time says 1 < 2. T1 reads x = 1 while x = 2 is being written (fine for x alone),
    // but also reads y = 1, written by T4, which began only after x = 2 was written.
    const h = new TxnHistory()
      .txn(0, [['w', 'x', 1]])
      .invoke(1, [['r', 'x', null], ['r', 'y', null]])
      .txn(2, [['w', 'x', 2]])
      .txn(3, [['w', 'y', 1]])
      .ok(1, [['r', 'x', 1], ['r', 'y', 1]]);
    const open = check(h);
    expect(open.anomalyTypes).toEqual([]);
    expect(open.valid).toBe('unknown');
    const r = check(h, { linearizableKeys: true });
    expect(r.anomalyTypes).toEqual(['G-single-realtime']);
    expect(r.not).toEqual(['strong-snapshot-isolation']);
    expect(r.anomalies['G-single-realtime']![0]!.edges).toContain('realtime');
    expect(r.anomalies['G-single-realtime']![0]!.explanation).toMatch(/completed before T\d+ began and observed 2/);
  });

  it('G-single-process: a process does not see its own earlier write', () => {
    const h = new TxnHistory()
      .invoke(1, [['r', 'x', null], ['w', 'x', 2]])
      .txn(0, [['w', 'x', 1]])
      .txn(0, [['r', 'x', null]])
      .ok(1, [['r', 'x', 1], ['w', 'x', 2]]);
    const r = check(h);
    expect(r.anomalyTypes).toEqual(['G-single-process']);
    expect(r.not).toEqual(['strong-session-snapshot-isolation']);
    expect(r.anomalies['G-single-process']![0]!.edges).toContain('process');
  });

  it('internal and non-repeatable reads', () => {
    expect(check(new TxnHistory().txn(0, [['w', 'x', 1], ['r', 'x', 2]]).txn(1, [['w', 'x', 2]])).anomalyTypes).toContain('internal');
    const fuzzy = new TxnHistory().invoke(0, [['r', 'x', null], ['r', 'x', null]]).txn(1, [['w', 'x', 1]]).ok(0, [['r', 'x', null], ['r', 'x', 1]]);
    const r = check(fuzzy);
    expect(r.anomalyTypes).toEqual(['nonrepeatable-read']);
    expect(check(fuzzy, { consistencyModels: ['read-committed'] }).valid).toBe(true);
  });

  it('garbage read: a value nobody wrote', () => {
    expect(check(new TxnHistory().txn(0, [['r', 'x', 7]])).anomalyTypes).toEqual(['garbage-read']);
  });

  it('cyclic versions: the facts contradict each other', () => {
    // With sequential keys, process 2 saw x go 1 → 2 and process 3 saw it go 2 → 1.
    const h = new TxnHistory()
      .concurrent([0, [['w', 'x', 1]]], [1, [['w', 'x', 2]]])
      .concurrent([2, [['r', 'x', 1]]], [3, [['r', 'x', 2]]])
      .concurrent([2, [['r', 'x', 2]]], [3, [['r', 'x', 1]]]);
    expect(check(h).anomalyTypes).toEqual([]);
    const r = check(h, { sequentialKeys: true });
    expect(r.anomalyTypes).toEqual(['cyclic-versions']);
    expect(r.not).toEqual(['read-uncommitted']);
    expect(r.anomalies['cyclic-versions']![0]!.explanation).toMatch(/1 < 2 \(sequential\), 2 < 1 \(sequential\)/);
  });

  it('duplicate writes make the verdict unknown', () => {
    const r = check(new TxnHistory().txn(0, [['w', 'x', 1]]).txn(1, [['w', 'x', 1]]).txn(2, [['r', 'x', 1]]));
    expect(r.anomalyTypes).toEqual(['duplicate-writes']);
    expect(r.valid).toBe('unknown');
  });

  it('valid only when every version order is known; unknown, naming the keys, otherwise', () => {
    const serial = new TxnHistory().txn(0, [['r', 'x', null], ['w', 'x', 1]]).txn(1, [['r', 'x', 1], ['w', 'x', 2], ['w', 'y', 1]]).txn(2, [['r', 'x', 2], ['r', 'y', 1]]);
    const r = check(serial);
    expect(r.anomalyTypes).toEqual([]);
    expect(r.valid).toBe(true);
    const blind = new TxnHistory().txn(0, [['w', 'x', 1]]).txn(1, [['w', 'x', 2]]);
    const open = check(blind);
    expect(open.valid).toBe('unknown');
    expect(open.summary).toMatch(/version order of 1 key\(s\) open \(x\)/);
    // Real time orders blind writes of a linearizable key.
    expect(check(blind, { linearizableKeys: true }).valid).toBe(true);
  });
});
