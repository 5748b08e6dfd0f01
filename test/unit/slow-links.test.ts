/**
 * Pure logic of the slow-link faults: rates, the per-pair class ledger (the
 * slowest limit on a pair wins, heals hand the pair back, a delay and a
 * bandwidth limit on one pair are refused), the capability table, and
 * generated names of unnamed slow links.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { NotSupportedError, SpecError } from '../../lib/errors.js';
import { defineBandwidth, parseRate } from '../../lib/faults/bandwidth.js';
import { defineDelay } from '../../lib/faults/delay.js';
import { FaultRegistry } from '../../lib/faults/registry.js';
import { planCluster } from '../../lib/spec/plan.js';
import { spec } from '../../lib/index.js';
import { faultCapabilities, requireEngine } from '../../lib/faults/capabilities.js';
import { PairClassLedger, type TrafficShaper } from '../../lib/faults/traffic-classes.js';
import type { Fault } from '../../lib/faults/registry.js';

describe('parseRate', () => {
  it('reads tc units (bits and bytes, SI) and bytes/s numbers', () => {
    expect(parseRate('1mbit', 'w')).toBe(125_000);
    expect(parseRate('10Mbit', 'w')).toBe(1_250_000);
    expect(parseRate('100mbit', 'w')).toBe(12_500_000);
    expect(parseRate('500kbit', 'w')).toBe(62_500);
    expect(parseRate('1.5gbit', 'w')).toBe(187_500_000);
    expect(parseRate('64kbps', 'w')).toBe(64_000);
    expect(parseRate(125_000, 'w')).toBe(125_000);
  });
  it('rejects what is not a rate, or out of range', () => {
    expect(() => parseRate('fast', 'w')).toThrow(SpecError);
    expect(() => parseRate('10 parsecs', 'w')).toThrow(/not a rate/);
    expect(() => parseRate('1kbit', 'w')).toThrow(/out of range/);
    expect(() => parseRate('20gbit', 'w')).toThrow(/out of range/);
    expect(() => parseRate(undefined, 'w')).toThrow(/missing/);
    expect(() => parseRate(Number.NaN, 'w')).toThrow(/out of range/);
  });
});

function fakeShaper(): TrafficShaper & { cells: Map<string, number> } {
  const cells = new Map<string, number>();
  return { cells, createClasses: async () => [], setPair: (s, d, m) => void cells.set(`${s}>${d}`, m) };
}
const fault = (name: string, kind = 'bandwidth') => ({ name, kind }) as unknown as Fault;

describe('PairClassLedger', () => {
  it('sends a pair through the slowest active limit and hands it back on heal', () => {
    const shaper = fakeShaper();
    const ledger = new PairClassLedger(4);
    const fast = fault('fast');
    const slow = fault('slow');
    ledger.register(fast, 'bandwidth', 1_250_000, shaper, [{ src: 1, dst: 2 }, { src: 1, dst: 3 }], [1, 1]);
    ledger.register(slow, 'bandwidth', 125_000, shaper, [{ src: 1, dst: 2 }], [2]);
    ledger.hook(fast, 'apply');
    expect(Object.fromEntries(shaper.cells)).toEqual({ '1>2': 1, '1>3': 1 });
    ledger.hook(slow, 'apply');
    expect(shaper.cells.get('1>2')).toBe(2);
    ledger.hook(slow, 'heal');
    expect(shaper.cells.get('1>2')).toBe(1);
    ledger.hook(fast, 'heal');
    expect(Object.fromEntries(shaper.cells)).toEqual({ '1>2': 0, '1>3': 0 });
  });

  it('ignores faults it does not know (partitions, loss)', () => {
    const shaper = fakeShaper();
    const ledger = new PairClassLedger(4);
    ledger.hook(fault('cut', 'oneWay'), 'apply');
    expect(shaper.cells.size).toBe(0);
  });

  it('refuses a delay on a pair that is under a bandwidth limit (no silent bypass)', () => {
    const shaper = fakeShaper();
    const ledger = new PairClassLedger(4);
    const bw = fault('bw');
    const delay = fault('delay', 'delay');
    ledger.register(bw, 'bandwidth', 125_000, shaper, [{ src: 1, dst: 2 }], [1]);
    ledger.register(delay, 'delay', -100, shaper, [{ src: 1, dst: 2 }], [2]);
    ledger.hook(bw, 'apply');
    expect(() => ledger.hook(delay, 'apply')).toThrow(NotSupportedError);
    expect(() => ledger.hook(delay, 'apply')).toThrow(/past its qdisc/);
    expect(shaper.cells.get('1>2')).toBe(1);
  });

  it('writes each fault through its own engine (HTB classes, delay line)', () => {
    const htb = fakeShaper();
    const line = fakeShaper();
    const ledger = new PairClassLedger(4);
    const bw = fault('bw');
    const delay = fault('delay', 'delay');
    ledger.register(bw, 'bandwidth', 125_000, htb, [{ src: 1, dst: 2 }], [1]);
    ledger.register(delay, 'delay', -100, line, [{ src: 2, dst: 1 }], [7]);
    ledger.hook(bw, 'apply');
    ledger.hook(delay, 'apply');
    expect(Object.fromEntries(htb.cells)).toEqual({ '1>2': 1 });
    expect(Object.fromEntries(line.cells)).toEqual({ '2>1': 7 });
    ledger.hook(delay, 'heal');
    expect(Object.fromEntries(line.cells)).toEqual({ '2>1': 0 });
    expect(Object.fromEntries(htb.cells)).toEqual({ '1>2': 1 });
  });
});

describe('fault capabilities', () => {
  const here = { htb: true, tbf: true, netem: false, clsBpf: true, afXdp: true };
  it('names the engine of every kind, and what a missing one lacks', () => {
    const caps = faultCapabilities(here);
    expect(caps.map((c) => [c.kind, c.engine])).toEqual([
      ['partition', 'xdp'],
      ['loss', 'xdp'],
      ['bandwidth', 'htb+cls_bpf'],
      ['delay', 'delay-line'],
    ]);
    expect(caps[3]!.detail).toMatch(/AF_XDP/);
    expect(faultCapabilities({ ...here, netem: true })[3]!.engine).toBe('netem');
    const neither = faultCapabilities({ ...here, afXdp: false })[3]!;
    expect(neither.engine).toBeNull();
    expect(neither.missing).toEqual(['sch_netem (CONFIG_NET_SCH_NETEM)', 'AF_XDP sockets (CONFIG_XDP_SOCKETS) for the delay line']);
    expect(faultCapabilities({ ...here, clsBpf: false })[2]!.missing).toEqual(['cls_bpf (CONFIG_NET_CLS_BPF)']);
  });
  it('throws NotSupportedError naming the missing kernel feature', () => {
    const bare = { ...here, afXdp: false };
    expect(() => requireEngine(bare, 'delay', 'delay("x")')).toThrow(NotSupportedError);
    expect(() => requireEngine(bare, 'delay', 'delay("x")')).toThrow(/sch_netem.*CONFIG_XDP_SOCKETS/);
    expect(requireEngine(here, 'delay', 'delay("x")').engine).toBe('delay-line');
    expect(requireEngine(here, 'bandwidth', 'bandwidth("x")').engine).toBe('htb+cls_bpf');
  });
});

describe('slow links without a name', () => {
  it('bandwidth and delay get generated names, unique in the run', () => {
    const cluster = spec.newCluster();
    ['n1', 'n2'].forEach((n) => cluster.addNode(spec.newNode(n)));
    const plan = planCluster(cluster);
    const nodes = 3;
    const registry = new FaultRegistry({ commit: () => undefined }, () => ({ nodes, cut() {}, setLoss() {}, clear() {} }), pino({ level: 'silent' }));
    const shaper = fakeShaper();
    const links = { registry, ledger: new PairClassLedger(nodes), shaper: () => shaper, delayLine: () => shaper };
    const kernel = { htb: true, tbf: true, netem: true, clsBpf: true, afXdp: true };
    defineBandwidth(links, plan, kernel, 'bandwidth 1', { from: 'n1', to: 'n2', rate: '1mbit' });
    const thin = defineBandwidth(links, plan, kernel, undefined, { from: 'n1', to: 'n2', rate: '1mbit' });
    const slow = defineDelay(links, plan, kernel, undefined, { from: 'n2', to: 'n1', ms: 50 });
    expect([thin.name, slow.name]).toEqual(['bandwidth 2', 'delay 1']);
    expect(thin.withNetworkAccess().name).toBe('bandwidth 2');
    expect(() => defineBandwidth(links, plan, kernel, undefined, { from: 'n1', to: 'n1', rate: '1mbit' })).toThrow(/^bandwidth\(\): /);
  });
});
