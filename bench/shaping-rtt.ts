/**
 * Accuracy of the delay line's added round-trip time at 20,000 round trips/s
 * (n1 → n2 delayed, n2 → n1 not, so each round trip crosses the line once;
 * added = RTT − the unfaulted median at the same rate, measured the same way),
 * with the line's losses (its counter) and its thread's CPU over each window.
 *
 * Two ways of probing:
 * - `kernel echo` (the acceptance figure, bench/c/icmp_rtt.c): ICMP echo
 *   requests answered by n2's kernel, both ends timed by kernel software
 *   timestamps (TX stamp of the request, RX stamp of the reply) — as ping
 *   does, no user process has to wake for the timing to be right;
 * - `UDP echo` (bench/c/udp_rtt.c): a user-space echo in n2 and a receiving
 *   thread in n1, as normal processes and as SCHED_FIFO — what an application
 *   sees, including its own wake-ups on a busy host.
 *
 * PK_RTT_DUMP=<prefix> keeps each window's raw round trips for digging
 * (udp_rtt's UDP_RTT_DUMP: RTTs then out legs; icmp_rtt's ICMP_RTT_DUMP: RTTs,
 * send gaps, then send times; u64 ns by sequence number).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { names } from '../lib/host/names.js';
import type { TestHandle } from '../lib/index.js';
import { Helper } from './exec.js';
import { buildHelpers, type HelperPaths } from './helpers.js';
import { round } from './stats.js';

/** How the round trips are made and timed (see the header). */
export type RttProbe = 'kernel echo' | 'UDP echo' | 'UDP echo, SCHED_FIFO';

export interface DelayAccuracyPoint {
  asked_ms: number;
  probe: RttProbe;
  /** Round trips per second (each crosses the line once) and how many were sent / not answered. */
  rate_pps: number;
  probes: number;
  lost: number;
  /** The line's own losses over the window (its counter), and its thread's CPU (share of one core). */
  line_dropped: number;
  thread_cpu: number;
  /**
   * How long the line's thread was runnable but not running over the window, ms: a real-time thread
   * still waits for a normal task to leave kernel code on a kernel without kernel preemption.
   */
  line_wait_ms: number;
  /** Median added RTT − asked, ms. */
  median_error_ms: number;
  /** p99 of the added RTT, ms, and its distance from asked as a share of asked. */
  p99_added_ms: number;
  p99_error_ratio: number;
  /** The unfaulted round trip's median and p99, ms (same rate, same probe): the noise floor of the probes themselves. */
  base_p50_ms: number;
  base_p99_ms: number;
  /** p99.9 and worst added RTT, ms. */
  p999_added_ms: number;
  max_added_ms: number;
  /** Kernel echo only: requests timed from their kernel TX stamp (the rest from the payload's), of `probes`. */
  tx_stamped?: number;
  /** Kernel echo only: replies with no kernel RX stamp, timed when read instead (should be 0). */
  rx_unstamped?: number;
}

/** This process's delay-line thread in /proc, or undefined when it has none. */
function lineThreadDir(): string | undefined {
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      if (readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() === 'pk-delay-line') return `/proc/self/task/${tid}`;
    } catch {
      continue;
    }
  }
  return undefined;
}

/** CPU ticks (utime + stime) of this process's delay-line thread. */
export function lineThreadTicks(): number {
  const dir = lineThreadDir();
  if (dir === undefined) return Number.NaN;
  const fields = readFileSync(`${dir}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
}

/** Nanoseconds the delay-line thread has spent runnable but waiting for a core (schedstat's run delay). */
function lineThreadWaitNs(): number {
  const dir = lineThreadDir();
  return dir === undefined ? Number.NaN : Number(readFileSync(`${dir}/schedstat`, 'utf8').split(' ')[1]);
}
export const TICKS_PER_S = 100;

const ECHO_PORT = 7211;
/** Round trips per second while measuring accuracy: the acceptance asks for it at ≥ 20,000 frames/s per link. */
const ACCURACY_PPS = 20_000;
const NS_PER_MS = 1e6;
/** Three decimals: the kernel echo's unfaulted round trip is microseconds, and a p99 ratio is judged against 0.05. */
const round3 = (value: number) => Math.round(value * 1000) / 1000;

interface RttRun {
  sent: number;
  received: number;
  p1_ns: number;
  p50_ns: number;
  p99_ns: number;
  p999_ns: number;
  max_ns: number;
  tx_stamped?: number;
  rx_unstamped?: number;
  lineDropped: number;
  threadCpu: number;
  lineWaitNs: number;
}

/** The prober's argv in n1 for `seconds` at ACCURACY_PPS (with its dump file when PK_RTT_DUMP asks). */
function proberArgv(t: TestHandle, helpers: HelperPaths, probe: RttProbe, seconds: number): string[] {
  const n1 = ['ip', 'netns', 'exec', names.nodeNetns(t.id, 'n1')];
  const dumpTo = (variable: string) => (process.env.PK_RTT_DUMP ? ['env', `${variable}=${process.env.PK_RTT_DUMP}-${Math.round(performance.now())}`] : []);
  const rate = String(ACCURACY_PPS);
  if (probe === 'kernel echo') return [...dumpTo('ICMP_RTT_DUMP'), ...n1, helpers.icmpRtt, t.network.ipOf('n2'), rate, String(seconds)];
  return [...dumpTo('UDP_RTT_DUMP'), ...launcher(probe), ...n1, helpers.udpRtt, 'probe', t.network.ipOf('n2'), String(ECHO_PORT), rate, String(seconds)];
}

/** SCHED_FIFO endpoints: their wait for a core on a busy host leaves the tail, what remains is the path's and the wake-ups'. */
const launcher = (probe: RttProbe): string[] => (probe === 'UDP echo, SCHED_FIFO' ? ['chrt', '-f', '1'] : []);

/** One probing window, with the line's counters over it. */
async function rttRun(t: TestHandle, helpers: HelperPaths, probe: RttProbe, seconds: number): Promise<RttRun> {
  const c0 = t.network.delayLineCounters();
  const k0 = lineThreadTicks();
  const q0 = lineThreadWaitNs();
  const w0 = performance.now();
  const prober = new Helper(proberArgv(t, helpers, probe, seconds));
  if ((await prober.exited) !== 0) throw new Error(`${probe} prober failed: ${prober.stderr}`);
  const elapsed = (performance.now() - w0) / 1000;
  const c1 = t.network.delayLineCounters();
  const got = JSON.parse(prober.lines.find((l) => l.startsWith('{'))!) as Omit<RttRun, 'lineDropped' | 'threadCpu' | 'lineWaitNs'>;
  const lineDropped = c0 && c1 ? c1.dropped - c0.dropped : 0;
  return { ...got, lineDropped, threadCpu: (lineThreadTicks() - k0) / TICKS_PER_S / elapsed, lineWaitNs: lineThreadWaitNs() - q0 };
}

/** The unfaulted round trip, then 1, 10 and 100 ms on n1 → n2, each window `seconds` long. */
export async function accuracy(t: TestHandle, seconds: number, probe: RttProbe): Promise<DelayAccuracyPoint[]> {
  const helpers = await buildHelpers();
  const udp = probe !== 'kernel echo';
  const echo = udp ? new Helper([...launcher(probe), 'ip', 'netns', 'exec', names.nodeNetns(t.id, 'n2'), helpers.udpRtt, 'echo', String(ECHO_PORT)]) : undefined;
  const points: DelayAccuracyPoint[] = [];
  try {
    await echo?.waitForLine((l) => l === 'ready');
    const base = await rttRun(t, helpers, probe, seconds);
    for (const ms of [1, 10, 100]) {
      const fault = t.network.delay(`accuracy ${ms}`, { from: 'n1', to: 'n2', ms });
      await fault.apply();
      const rtt = await rttRun(t, helpers, probe, seconds);
      await fault.heal();
      const added = (ns: number) => (ns - base.p50_ns) / NS_PER_MS;
      points.push({
        asked_ms: ms,
        probe,
        rate_pps: ACCURACY_PPS,
        probes: rtt.sent,
        lost: rtt.sent - rtt.received,
        line_dropped: rtt.lineDropped,
        thread_cpu: round(rtt.threadCpu),
        line_wait_ms: round(rtt.lineWaitNs / NS_PER_MS),
        median_error_ms: round(added(rtt.p50_ns) - ms),
        p99_added_ms: round3(added(rtt.p99_ns)),
        p99_error_ratio: round3((added(rtt.p99_ns) - ms) / ms),
        base_p50_ms: round3(base.p50_ns / NS_PER_MS),
        base_p99_ms: round3(base.p99_ns / NS_PER_MS),
        p999_added_ms: round(added(rtt.p999_ns)),
        max_added_ms: round(added(rtt.max_ns)),
        ...(rtt.tx_stamped === undefined ? {} : { tx_stamped: rtt.tx_stamped, rx_unstamped: rtt.rx_unstamped ?? 0 }),
      });
    }
  } finally {
    await echo?.stop();
  }
  return points;
}
