/**
 * Slow links on real traffic between two node namespaces (through Test.run):
 * bandwidth accuracy at 1, 10 and 100 Mbit/s over TCP — the wire rate from the
 * HTB class's byte counter (`tc -s class`, frames with their headers, which is
 * what the rate limits) and the goodput the receiver's socket sees, over the
 * same window after a warm-up — and apply/heal latency of a bandwidth fault
 * from JS. Delay (shaping-delay.ts): accuracy, jitter, the delay line's
 * throughput and CPU, apply/heal; recorded as unsupported with the reason when
 * the kernel has no engine for it.
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { Test } from '../lib/index.js';
import { names } from '../lib/host/names.js';
import { Agents } from '../test/faults/agents.js';
import { BENCH_ARTIFACTS, networkOnlyCluster, quietLogger } from './clusters.js';
import { round, summarize, usBetween } from './stats.js';
import { runDelayBench, type DelayBenchResult } from './shaping-delay.js';

export interface BandwidthPoint {
  asked_mbit: number;
  /** Wire rate / asked (frames incl. headers, from the class counter). */
  wire_ratio: number;
  /** Goodput / asked, goodput scaled to the wire by 1514/1448 (full segments with timestamps). */
  goodput_ratio: number;
  window_s: number;
}

export interface ShapingResult {
  bandwidth: BandwidthPoint[];
  apply_p50_us: number;
  apply_p99_us: number;
  heal_p50_us: number;
  heal_p99_us: number;
  samples: number;
  /** Defining the fault up to its classes existing (first apply() resolves). */
  define_ms: number;
  delay: { supported: boolean; detail: string };
  /** The delay engine's measurements (absent when no engine carries delay here). */
  delay_engine?: DelayBenchResult;
}

const MBIT = 1e6 / 8;
const WIRE_PER_GOODPUT = 1514 / 1448;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function classBytes(netns: string, dev: string, minor: number): number {
  const out = execFileSync('tc', ['-n', netns, '-s', 'class', 'show', 'dev', dev, 'classid', `1:${minor}`], { encoding: 'utf8' });
  return Number(/Sent (\d+) bytes/.exec(out)?.[1] ?? Number.NaN);
}

export async function runShaping(options: { windowS: number; samples: number; probes: number; throughputS: number; skipBandwidth?: boolean }): Promise<ShapingResult> {
  const out: Partial<ShapingResult> = { bandwidth: [] };
  await new Test('bench_shaping', networkOnlyCluster(2, 1), { logger: quietLogger(), artifactsDir: BENCH_ARTIFACTS }).run(async (t) => {
    const delay = t.network.capabilities().find((c) => c.kind === 'delay')!;
    out.delay = { supported: delay.engine !== null, detail: delay.engine ?? delay.detail };
    const agents = await Agents.start(t, ['n1', 'n2']);
    try {
      const dev = names.hostVeth(t.id, 2);
      let minor = 0;
      for (const mbit of options.skipBandwidth ? [] : [1, 10, 100]) {
        const fault = t.network.bandwidth(`${mbit}mbit`, { from: 'n1', to: 'n2', rate: `${mbit}mbit` });
        minor++;
        const t0 = performance.now();
        await fault.apply();
        if (mbit === 10) out.define_ms = round(performance.now() - t0);
        const warmupMs = mbit === 1 ? 3_000 : 2_000;
        const goodput = agents.tcpRate('n1', 'n2', options.windowS * 1000, warmupMs);
        await pause(warmupMs);
        const b0 = classBytes(names.switchNetns(t.id), dev, minor);
        const w0 = performance.now();
        await pause(options.windowS * 1000);
        const wire = (classBytes(names.switchNetns(t.id), dev, minor) - b0) / ((performance.now() - w0) / 1000);
        const good = await goodput;
        out.bandwidth!.push({
          asked_mbit: mbit,
          wire_ratio: Math.round((wire / (mbit * MBIT)) * 1e4) / 1e4,
          goodput_ratio: Math.round(((good * WIRE_PER_GOODPUT) / (mbit * MBIT)) * 1e4) / 1e4,
          window_s: options.windowS,
        });
        await fault.heal();
      }
      // apply/heal from JS, as a test sees it (classes exist: the first apply waited for them).
      const fault = t.network.bandwidth('toggle', { from: 'n1', to: 'n2', rate: '10mbit' });
      await fault.apply();
      await fault.heal();
      const apply: number[] = [];
      const heal: number[] = [];
      const warmup = 500;
      for (let i = 0; i < warmup + options.samples; i++) {
        const a = process.hrtime.bigint();
        await fault.apply();
        const b = process.hrtime.bigint();
        await fault.heal();
        const c = process.hrtime.bigint();
        if (i >= warmup) {
          apply.push(usBetween(a, b));
          heal.push(usBetween(b, c));
        }
      }
      const sa = summarize(apply);
      const sh = summarize(heal);
      Object.assign(out, {
        apply_p50_us: round(sa.p50),
        apply_p99_us: round(sa.p99),
        heal_p50_us: round(sh.p50),
        heal_p99_us: round(sh.p99),
        samples: options.samples,
      });
      if (delay.engine !== null) out.delay_engine = await runDelayBench(t, agents, options, round(loadavg()[0]!));
    } finally {
      await agents.stop();
    }
  });
  return out as ShapingResult;
}
