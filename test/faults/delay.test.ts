/**
 * t.network.delay on real traffic between node namespaces, through the addon's
 * delay line (this kernel has no sch_netem): one-way UDP latency (stamped
 * datagrams, every agent shares the host's monotonic clock) grows by the asked
 * delay in the faulted direction only and only for the faulted pairs; UDP and
 * TCP round trips grow by it both ways when both directions are delayed; the
 * longest of two delays on a pair wins; loss and cuts compose (a cut wins);
 * heal restores the fast path; delay + bandwidth on one pair is refused with
 * the reason; jitter spreads, duplication copies; the line counts what it did
 * and loses nothing; teardown leaves no AF_XDP socket (the kernel frees a
 * umem with its last socket), no line thread, no program and no map.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { spec, Test } from '../../lib/index.js';
import { NotSupportedError, SpecError } from '../../lib/errors.js';
import { names } from '../../lib/host/names.js';
import { captureLogger } from '../e2e/support.js';
import { expectNoLeaks } from '../helpers/leak-audit.js';
import { Agents, type LatencyStats } from './agents.js';

const NODES = ['n1', 'n2', 'n3'];
const cluster = () => {
  const c = spec.newCluster();
  for (const n of NODES) c.addNode(spec.newNode(n));
  return c;
};

/** AF_XDP sockets open in the host namespace (/proc/net/protocols, row XDP). */
/** AF_XDP sockets in use in `netns` (the counts of /proc/net/protocols are per namespace; default this process's). */
function xdpSockets(netns?: string): number {
  const text = netns === undefined ? readFileSync('/proc/net/protocols', 'utf8') : execFileSync('ip', ['netns', 'exec', netns, 'cat', '/proc/net/protocols'], { encoding: 'utf8' });
  const row = text.split('\n').find((l) => l.startsWith('XDP '));
  return row === undefined ? 0 : Number(row.trim().split(/\s+/)[2]);
}

/** Threads of this process named like the delay line's. */
function delayThreads(): number {
  return readdirSync('/proc/self/task').filter((tid) => {
    try {
      return readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() === 'pk-delay-line';
    } catch {
      return false; // the thread ended while we looked
    }
  }).length;
}

/** Maps of the delay program (pair, node, link and socket maps), by id. */
function delayMapIds(): number[] {
  const maps = JSON.parse(execFileSync('bpftool', ['-j', 'map', 'show'], { encoding: 'utf8' })) as Array<{ id: number; name?: string }>;
  return maps.filter((m) => m.name?.startsWith('pk_delay_')).map((m) => m.id);
}

function delayProgramIds(): number[] {
  const programs = JSON.parse(execFileSync('bpftool', ['-j', 'prog', 'show'], { encoding: 'utf8' })) as Array<{ id: number; name?: string }>;
  return programs.filter((p) => p.name === 'pakostii_delay').map((p) => p.id);
}

/** A delay of `ms` seen on top of `base` (one-way medians): generous bounds, the bench has the exact numbers. */
function expectAdded(measured: LatencyStats, base: LatencyStats, ms: number, label: string, log: string[]): void {
  const added = measured.p50 - base.p50;
  log.push(`${label}: +${added.toFixed(2)} ms (p50 ${measured.p50.toFixed(2)}, p99 ${measured.p99.toFixed(2)}) for ${ms}`);
  expect(measured.n, `${label}: datagrams measured`).toBeGreaterThan(0);
  expect(measured.min, `${label}: no datagram may arrive early`).toBeGreaterThanOrEqual(ms);
  expect(added, `${label}: median added`).toBeGreaterThan(ms - 0.5);
  expect(added, `${label}: median added`).toBeLessThan(ms + 5);
}

describe('delay (the addon delay line)', () => {
  it('delays one direction of the chosen pairs, composes, heals, and leaves nothing behind', async () => {
    const { logger } = captureLogger();
    const log: string[] = [];
    const socketsBefore = xdpSockets();
    let programs: number[] = [];
    let maps: number[] = [];
    const result = await new Test('faults_delay', cluster(), { logger }).run(async (t) => {
      expect(t.network.capabilities().find((c) => c.kind === 'delay')?.engine).toBe('delay-line');
      expect(t.network.delayLineCounters()).toBeUndefined();
      const agents = await Agents.start(t, NODES);
      try {
        const base12 = await agents.oneWay('n1', 'n2');
        const base21 = await agents.oneWay('n2', 'n1');
        const baseRtt = await agents.udpRtt('n1', 'n2');
        const baseTcp = await agents.tcpConnectTimes('n1', 'n2');
        log.push(`base one-way p50 ${base12.p50.toFixed(2)} / ${base21.p50.toFixed(2)} ms, udp rtt ${baseRtt.p50.toFixed(2)}, tcp ${baseTcp.p50.toFixed(2)}`);

        // Defined: the pieces exist (socket, program, thread), nothing is delayed yet.
        const slow = t.network.delay('slow', { from: 'n1', to: ['n2', 'n3'], ms: 30 });
        expect(slow.kind).toBe('delay');
        expect(slow.params).toMatchObject({ from: 'n1', to: ['n2', 'n3'], ms: 30, engine: 'delay-line' });
        await slow.apply();
        programs = delayProgramIds();
        expect(programs.length).toBeGreaterThan(0);
        maps = delayMapIds();
        expect(maps.length).toBeGreaterThanOrEqual(4);
        expect(execFileSync('ip', ['-n', names.switchNetns(t.id), 'link', 'show', names.hostVeth(t.id, 1)], { encoding: 'utf8' })).toMatch(/xdpgeneric/);
        expect(delayThreads()).toBe(1);
        // On the bridge-side veths, in the run's switch namespace: n1 (source), n2 and n3 (destinations).
        expect(xdpSockets(names.switchNetns(t.id))).toBe(3);

        // Direction and pairs.
        expectAdded(await agents.oneWay('n1', 'n2'), base12, 30, 'n1→n2 under 30 ms', log);
        expectAdded(await agents.oneWay('n1', 'n3'), base12, 30, 'n1→n3 under 30 ms', log);
        const back = await agents.oneWay('n2', 'n1');
        expect(back.p50, 'the reverse direction is not delayed').toBeLessThan(base21.p50 + 3);
        expect((await agents.oneWay('n2', 'n3')).p50, 'other pairs are not delayed').toBeLessThan(base21.p50 + 3);
        // Round trips (UDP echo, TCP handshake) carry the one delayed leg.
        const rtt = await agents.udpRtt('n1', 'n2', 50);
        expect(rtt.lost).toBe(0);
        expect(rtt.p50).toBeGreaterThan(30);
        expect((await agents.udpRtt('n2', 'n1', 50)).p50).toBeGreaterThan(30); // n2 → n1 → n2: the answer is delayed
        expect((await agents.tcpConnectTimes('n1', 'n2', 10)).p50).toBeGreaterThan(30);

        // Both directions: TCP round trips carry both delays; TCP streams still flow.
        const slowBack = t.network.delay('slow back', { from: ['n2', 'n3'], to: 'n1', ms: 20 });
        await slowBack.apply();
        const both = await agents.tcpConnectTimes('n1', 'n2', 10);
        log.push(`tcp handshake under 30 + 20 ms: p50 ${both.p50.toFixed(2)} ms`);
        expect(both.p50).toBeGreaterThan(50);
        expect(both.p50).toBeLessThan(50 + baseTcp.p50 + 10);
        expect((await agents.udpRtt('n2', 'n1', 20)).p50).toBeGreaterThan(50);
        expect(await agents.tcpRate('n1', 'n2', 1_500, 1_000)).toBeGreaterThan(100_000); // bytes/s through the line
        await slowBack.heal();

        // Two delays on one pair: the longest wins; healing it gives the other back.
        const slower = t.network.delay('slower', { from: 'n1', to: 'n2', ms: 60 });
        await slower.apply();
        expectAdded(await agents.oneWay('n1', 'n2', 100), base12, 60, 'n1→n2 under 60 over 30 ms', log);
        await slower.heal();
        expectAdded(await agents.oneWay('n1', 'n2', 100), base12, 30, 'n1→n2 back to 30 ms', log);

        // Loss composes (judged at the destination, after the line); a cut wins and its heal keeps the delay.
        const loss = t.network.loss('lossy', { from: 'n1', to: 'n2', percent: 50 });
        await loss.apply();
        const lossy = await agents.udp('n1', 'n2', 1_000, undefined, { burst: 20, gapMs: 5 });
        log.push(`50 % loss under 30 ms: ${lossy}/1000`);
        expect(lossy).toBeGreaterThan(400);
        expect(lossy).toBeLessThan(600);
        await loss.heal();
        const cut = t.network.partition.oneWay('cut', 'n1', 'n2');
        await cut.apply();
        expect(await agents.udp('n1', 'n2', 500)).toBe(0);
        await cut.heal();
        expectAdded(await agents.oneWay('n1', 'n2', 100), base12, 30, 'n1→n2 after the cut healed', log);

        // Delay and bandwidth on one pair: refused, with the reason.
        const thin = t.network.bandwidth('thin', { from: 'n1', to: 'n2', rate: '10mbit' });
        await expect(thin.apply()).rejects.toThrow(NotSupportedError);
        await expect(thin.apply()).rejects.toThrow(/qdisc/);
        expect(t.network.faults().map((f) => f.name)).toEqual(['slow']);

        // Heal: the fast path again.
        await slow.heal();
        const healed = await agents.oneWay('n1', 'n2');
        log.push(`healed one-way p50 ${healed.p50.toFixed(2)} ms`);
        expect(healed.p50).toBeLessThan(base12.p50 + 3);

        // Jitter spreads the delays (uniform 20 ± 10 ms), duplication copies.
        const jittery = t.network.delay('jittery', { from: 'n3', to: 'n2', ms: 20, jitterMs: 10 });
        await jittery.apply();
        const spread = await agents.oneWay('n3', 'n2', 300);
        log.push(`20 ± 10 ms uniform: min ${spread.min.toFixed(2)}, p50 ${spread.p50.toFixed(2)}, max ${spread.max.toFixed(2)}`);
        expect(spread.min).toBeGreaterThanOrEqual(10);
        expect(spread.min).toBeLessThan(13);
        expect(spread.max).toBeGreaterThan(27);
        await jittery.heal();
        // Reordering: the share asked skips the delay (all of it here, so none is late).
        const ahead = t.network.delay('ahead', { from: 'n3', to: 'n2', ms: 40, reorderPercent: 100 });
        await ahead.apply();
        expect((await agents.oneWay('n3', 'n2', 100)).p50).toBeLessThan(base21.p50 + 3);
        await ahead.heal();
        const half = t.network.delay('half ahead', { from: 'n3', to: 'n2', ms: 40, reorderPercent: 50 });
        await half.apply();
        const mixed = await agents.oneWay('n3', 'n2', 300);
        const early = mixed.values.filter((v) => v < 20).length;
        log.push(`reorder 50 %: ${early}/${mixed.n} skipped the 40 ms`);
        expect(early).toBeGreaterThan(90);
        expect(early).toBeLessThan(210);
        await half.heal();
        const twice = t.network.delay('twice', { from: 'n3', to: 'n2', ms: 5, duplicatePercent: 100 });
        await twice.apply();
        expect(await agents.udp('n3', 'n2', 200, undefined, { burst: 20, gapMs: 5 })).toBe(400);
        await twice.heal();

        const counters = t.network.delayLineCounters()!;
        log.push(`delay line: ${JSON.stringify(counters)}`);
        expect(counters.received).toBeGreaterThan(1_000);
        expect(counters.dropped).toBe(0);
        expect(counters.held).toBe(0);
        expect(counters.sent).toBe(counters.received + counters.duplicated);
        // The thread got its real-time priority, and every frame carried its arrival time from the program.
        expect(counters.realtime, counters.realtimeError).toBe(true);
        expect(counters.unstamped).toBe(0);

        expect(() => t.network.delay('bad', { from: 'n1', to: 'n2', ms: -1 })).toThrow(SpecError);
        expect(() => t.network.delay('bad', { from: 'n1', to: 'n2', ms: 10, jitterMs: 20 })).toThrow(/jitter/);
        expect(() => t.network.delay('bad', { from: 'n1', to: 'n1', ms: 10 })).toThrow(SpecError);
      } finally {
        await agents.stop();
      }
    });
    console.log(`delay measured: ${log.join('; ')}`);
    await expectNoLeaks(result.id);
    expect(delayThreads()).toBe(0);
    expect(xdpSockets()).toBeLessThanOrEqual(socketsBefore);
    const left = delayProgramIds();
    for (const id of programs) expect(left).not.toContain(id);
    const mapsLeft = delayMapIds();
    for (const id of maps) expect(mapsLeft).not.toContain(id);
  }, 300_000);
});
