/**
 * The delay engine on real traffic between two node namespaces (inside the
 * shaping bench's run): accuracy of the added round-trip time for 1, 10 and
 * 100 ms at 20,000 round trips/s (shaping-rtt.ts: kernel-echo ICMP timed by
 * kernel stamps, and user-space UDP echoes), the jitter distributions
 * (one-way, stamped datagrams), the packets/s the delay line carries without
 * loss and the CPU of its thread, the line's own timing, and apply/heal
 * latency of a delay fault from JS.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { names } from '../lib/host/names.js';
import type { TestHandle } from '../lib/index.js';
import type { Agents } from '../test/faults/agents.js';
import { BENCH_ARTIFACTS } from './clusters.js';
import { Helper } from './exec.js';
import { buildHelpers } from './helpers.js';
import { accuracy, lineThreadTicks, TICKS_PER_S, type DelayAccuracyPoint } from './shaping-rtt.js';
import { percentile, round, summarize, usBetween } from './stats.js';

export type { DelayAccuracyPoint } from './shaping-rtt.js';

export interface JitterPoint {
  distribution: 'uniform' | 'normal' | 'pareto';
  asked_ms: number;
  jitter_ms: number;
  /** One-way added delay percentiles (ms) and standard deviation, vs the standard deviation asked. */
  p1_ms: number;
  p50_ms: number;
  p99_ms: number;
  stddev_ms: number;
  expected_stddev_ms: number;
}

export interface ThroughputPoint {
  offered_pps: number;
  /** What the sender managed (sent / its own running time): a busy host can keep it below the asked rate. */
  sent_pps: number;
  /** Frames the line took in per second of the sender's running time. */
  carried_pps: number;
  /** Datagrams that reached the receiver's socket (read or dropped by its full buffer) / sent. */
  delivered_ratio: number;
  /** The line's own losses in the window (its counter: no room, no route, kernel RX ring drops). */
  line_dropped: number;
  /** CPU of the line's thread over the window, share of one core (the kernel's softirq work is not in it). */
  thread_cpu: number;
}

export interface DelayBenchResult {
  engine: string;
  accuracy: DelayAccuracyPoint[];
  jitter: JitterPoint[];
  throughput: ThroughputPoint[];
  /** The line's own timing over all the accuracy runs: transmit time − due time (10 µs resolution), µs. */
  line_late_p50_us: number;
  line_late_p99_us: number;
  line_late_max_us: number;
  /** From a frame's arrival on the veth to the line taking it off its RX ring, µs (p50 / p99). */
  line_pickup_p50_us: number;
  line_pickup_p99_us: number;
  /** Whether the line's thread got SCHED_FIFO (else why). */
  line_realtime: string;
  apply_p50_us: number;
  apply_p99_us: number;
  heal_p50_us: number;
  heal_p99_us: number;
  /** 1-minute load average when the delay part started (2 cores). */
  loadavg: number;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const FLOOD_PORT = 7210;
function stddev(values: readonly number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
}

async function jitter(t: TestHandle, agents: Agents, samples: number): Promise<JitterPoint[]> {
  const base = await agents.oneWay('n1', 'n2', samples);
  const points: JitterPoint[] = [];
  const askedMs = 10;
  const jitterMs = 2;
  for (const distribution of ['uniform', 'normal', 'pareto'] as const) {
    const fault = t.network.delay(`jitter ${distribution}`, { from: 'n1', to: 'n2', ms: askedMs, jitterMs, distribution });
    await fault.apply();
    const measured = await agents.oneWay('n1', 'n2', samples);
    await fault.heal();
    const added = measured.values.map((v) => v - base.p50);
    points.push({
      distribution,
      asked_ms: askedMs,
      jitter_ms: jitterMs,
      p1_ms: round(percentile(added, 1)),
      p50_ms: round(percentile(added, 50)),
      p99_ms: round(percentile(added, 99)),
      stddev_ms: round(stddev(added)),
      expected_stddev_ms: round(distribution === 'uniform' ? jitterMs / Math.sqrt(3) : jitterMs),
    });
  }
  return points;
}

/** udp_flood in n1 at `offered` pkt/s for `seconds` to udp_recv in n2, through a 10 ms delay. */
async function throughput(t: TestHandle, seconds: number): Promise<ThroughputPoint[]> {
  const helpers = await buildHelpers();
  const fault = t.network.delay('throughput', { from: 'n1', to: 'n2', ms: 10 });
  await fault.apply();
  const points: ThroughputPoint[] = [];
  const log = join(BENCH_ARTIFACTS, `delay-line-recv-${t.id}.bin`);
  try {
    for (const offered of [20_000, 40_000]) {
      const receiver = new Helper(['ip', 'netns', 'exec', names.nodeNetns(t.id, 'n2'), helpers.udpRecv, String(FLOOD_PORT), log]);
      try {
        await receiver.waitForLine((l) => l === 'ready');
        const c0 = t.network.delayLineCounters()!;
        const k0 = lineThreadTicks();
        const w0 = performance.now();
        const sender = new Helper(['ip', 'netns', 'exec', names.nodeNetns(t.id, 'n1'), helpers.udpFlood, t.network.ipOf('n2'), String(FLOOD_PORT), String(offered), String(seconds)]);
        if ((await sender.exited) !== 0) throw new Error(`udp_flood failed: ${sender.stderr}`);
        const elapsed = (performance.now() - w0) / 1000;
        const c1 = t.network.delayLineCounters()!;
        const k1 = lineThreadTicks();
        await pause(300); // the last frames leave the line 10 ms after they came
        await receiver.stop();
        const { sent, seconds: sending } = JSON.parse(sender.lines.find((l) => l.startsWith('{'))!) as { sent: number; seconds: number };
        const got = JSON.parse(receiver.lines.find((l) => l.startsWith('{'))!) as { received: number; socket_drops: number };
        points.push({
          offered_pps: offered,
          sent_pps: Math.round(sent / sending),
          carried_pps: Math.round((c1.received - c0.received) / sending),
          delivered_ratio: round((got.received + got.socket_drops) / sent),
          line_dropped: t.network.delayLineCounters()!.dropped - c0.dropped,
          thread_cpu: round((k1 - k0) / TICKS_PER_S / elapsed),
        });
      } finally {
        await receiver.stop();
        rmSync(log, { force: true });
      }
    }
  } finally {
    await fault.heal();
  }
  return points;
}

async function toggle(t: TestHandle, samples: number) {
  const fault = t.network.delay('toggle', { from: 'n1', to: 'n2', ms: 10 });
  await fault.apply(); // waits for its pieces once
  await fault.heal();
  const apply: number[] = [];
  const heal: number[] = [];
  const warmup = 500;
  for (let i = 0; i < warmup + samples; i++) {
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
  return { apply: summarize(apply), heal: summarize(heal) };
}

export async function runDelayBench(
  t: TestHandle,
  agents: Agents,
  options: { probes: number; throughputS: number; samples: number },
  loadavg: number,
): Promise<DelayBenchResult> {
  const engine = t.network.capabilities().find((c) => c.kind === 'delay')!.engine ?? 'none';
  const acc: DelayAccuracyPoint[] = [];
  for (const probe of ['kernel echo', 'UDP echo', 'UDP echo, SCHED_FIFO'] as const) acc.push(...(await accuracy(t, options.throughputS, probe)));
  const late = t.network.delayLineCounters()!;
  await pause(200);
  const jit = await jitter(t, agents, options.probes);
  const tp = await throughput(t, options.throughputS);
  const tg = await toggle(t, options.samples);
  return {
    engine,
    accuracy: acc,
    jitter: jit,
    throughput: tp,
    line_late_p50_us: round(late.lateNsP50 / 1000),
    line_late_p99_us: round(late.lateNsP99 / 1000),
    line_late_max_us: round(late.lateNsMax / 1000),
    line_pickup_p50_us: round(late.pickupNsP50 / 1000),
    line_pickup_p99_us: round(late.pickupNsP99 / 1000),
    line_realtime: late.realtime ? 'SCHED_FIFO' : `normal (${late.realtimeError})`,
    apply_p50_us: round(tg.apply.p50),
    apply_p99_us: round(tg.apply.p99),
    heal_p50_us: round(tg.heal.p50),
    heal_p99_us: round(tg.heal.p99),
    loadavg,
  };
}
