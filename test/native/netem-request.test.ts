/**
 * The netem engine's rtnetlink request, parsed back field by field (this kernel
 * has no sch_netem, so the request is never accepted here): RTM_NEWQDISC with
 * create|excl, the tcmsg, kind "netem", and options that are a tc_netem_qopt
 * followed by attributes (latency/jitter in ns, reorder, the delay distribution
 * table). Also: the probe reports what this kernel has, netem missing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { netemRequest, probeTrafficControl } from '../../lib/native/shape-engine.js';

const RTM_NEWQDISC = 36;
const NLM_F_REQUEST = 0x1;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;
const TCA_KIND = 1;
const TCA_OPTIONS = 2;
const TCA_NETEM_DELAY_DIST = 2;
const TCA_NETEM_REORDER = 3;
const TCA_NETEM_LATENCY64 = 10;
const TCA_NETEM_JITTER64 = 11;
const NETEM_DIST_SCALE = 8192;
const align4 = (n: number) => (n + 3) & ~3;

interface Attr {
  type: number;
  data: Buffer;
}

function attrs(buf: Buffer, start: number, end: number): Attr[] {
  const out: Attr[] = [];
  for (let at = start; at + 4 <= end; ) {
    const len = buf.readUInt16LE(at);
    expect(len).toBeGreaterThanOrEqual(4);
    out.push({ type: buf.readUInt16LE(at + 2), data: buf.subarray(at + 4, at + len) });
    at += align4(len);
  }
  return out;
}

function parse(bytes: Uint8Array) {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = { len: buf.readUInt32LE(0), type: buf.readUInt16LE(4), flags: buf.readUInt16LE(6) };
  const tcm = { family: buf.readUInt8(16), ifindex: buf.readInt32LE(20), handle: buf.readUInt32LE(24), parent: buf.readUInt32LE(28) };
  const top = attrs(buf, 16 + 20, header.len);
  const kind = top.find((a) => a.type === TCA_KIND)!.data.toString('utf8').replace(/\0+$/, '');
  const options = top.find((a) => a.type === TCA_OPTIONS)!.data;
  const qopt = {
    latency: options.readUInt32LE(0),
    limit: options.readUInt32LE(4),
    loss: options.readUInt32LE(8),
    gap: options.readUInt32LE(12),
    duplicate: options.readUInt32LE(16),
    jitter: options.readUInt32LE(20),
  };
  const nested = attrs(options, 24, options.length);
  return { buf, header, tcm, kind, qopt, nested };
}

describe('netem engine: the request it sends', () => {
  it('carries delay, jitter, duplication, reorder and a normal table', () => {
    const bytes = netemRequest({
      ifindex: 7,
      parent: 0x10005,
      handle: 0,
      delayNs: 100e6,
      jitterNs: 10e6,
      distribution: 'normal',
      duplicatePercent: 1,
      reorderPercent: 25,
    });
    const { header, tcm, kind, qopt, nested } = parse(bytes);
    expect(header.len).toBe(bytes.length);
    expect(header.type).toBe(RTM_NEWQDISC);
    expect(header.flags).toBe(NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
    expect(tcm).toEqual({ family: 0, ifindex: 7, handle: 0, parent: 0x10005 });
    expect(kind).toBe('netem');
    // Legacy fields in 64 ns ticks (kernels before LATENCY64 read these).
    expect(qopt.latency).toBe(100e6 / 64);
    expect(qopt.jitter).toBe(10e6 / 64);
    expect(qopt.limit).toBe(10_000);
    expect(qopt.loss).toBe(0);
    expect(qopt.gap).toBe(1);
    expect(qopt.duplicate / 0xffffffff).toBeCloseTo(0.01, 6);

    const byType = new Map(nested.map((a) => [a.type, a.data]));
    expect(byType.get(TCA_NETEM_LATENCY64)!.readBigInt64LE(0)).toBe(100_000_000n);
    expect(byType.get(TCA_NETEM_JITTER64)!.readBigInt64LE(0)).toBe(10_000_000n);
    const reorder = byType.get(TCA_NETEM_REORDER)!;
    expect(reorder.readUInt32LE(0) / 0xffffffff).toBeCloseTo(0.25, 6);
    expect(reorder.readUInt32LE(4)).toBe(0);

    // The table: quantiles of N(0, 1) scaled by NETEM_DIST_SCALE.
    const dist = byType.get(TCA_NETEM_DELAY_DIST)!;
    const table = Array.from({ length: dist.length / 2 }, (_, i) => dist.readInt16LE(2 * i) / NETEM_DIST_SCALE);
    expect(table.length).toBe(1024);
    const mean = table.reduce((a, b) => a + b, 0) / table.length;
    const sd = Math.sqrt(table.reduce((a, b) => a + (b - mean) ** 2, 0) / table.length);
    expect(Math.abs(mean)).toBeLessThan(0.001);
    expect(sd).toBeGreaterThan(0.98);
    expect(sd).toBeLessThan(1.01);
    expect(table[512]! - 0).toBeCloseTo(0.0012, 2);
    expect([...table].sort((a, b) => a - b)).toEqual(table); // monotone quantiles
  });

  it('sends no table for uniform jitter, no reorder when not asked, and a pareto table when asked', () => {
    const uniform = parse(netemRequest({ delayNs: 10e6, jitterNs: 2e6 }));
    const types = uniform.nested.map((a) => a.type);
    expect(types).toEqual([TCA_NETEM_LATENCY64, TCA_NETEM_JITTER64]);
    expect(uniform.qopt.gap).toBe(0);
    expect(uniform.qopt.duplicate).toBe(0);
    expect(uniform.tcm.parent).toBe(0xffffffff); // TC_H_ROOT by default

    const pareto = parse(netemRequest({ delayNs: 10e6, jitterNs: 2e6, distribution: 'pareto' }));
    const dist = pareto.nested.find((a) => a.type === TCA_NETEM_DELAY_DIST)!.data;
    const table = Array.from({ length: dist.length / 2 }, (_, i) => dist.readInt16LE(2 * i) / NETEM_DIST_SCALE);
    // Heavy right tail: the median sits below the mean (0), the top quantile far above.
    expect(table[512]!).toBeLessThan(-0.1);
    expect(Math.max(...table)).toBeGreaterThan(3);
  });

  it('rejects an unknown distribution', () => {
    expect(() => netemRequest({ delayNs: 1e6, jitterNs: 1e6, distribution: 'gamma' as 'normal' })).toThrow(/distribution/);
  });
});

/** y/m/undefined of CONFIG_<name> in /proc/config.gz (undefined when the kernel does not publish it). */
function kernelConfig(): Map<string, string> | undefined {
  if (!existsSync('/proc/config.gz')) return undefined;
  const text = gunzipSync(readFileSync('/proc/config.gz')).toString('utf8');
  return new Map([...text.matchAll(/^CONFIG_(\w+)=(\w+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

describe('traffic-control probe', () => {
  it('agrees with the kernel config (here: htb, tbf, cls_bpf, AF_XDP built in; no sch_netem)', async () => {
    const support = await probeTrafficControl();
    const config = kernelConfig();
    if (config === undefined) return void expect(typeof support.netem).toBe('boolean');
    const has = (name: string) => config.get(name) === 'y' || config.get(name) === 'm';
    expect(support).toEqual({
      htb: has('NET_SCH_HTB'),
      tbf: has('NET_SCH_TBF'),
      netem: has('NET_SCH_NETEM'),
      clsBpf: has('NET_CLS_BPF'),
      afXdp: has('XDP_SOCKETS'),
    });
  });
});
