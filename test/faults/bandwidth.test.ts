/**
 * t.network.bandwidth on real traffic between node namespaces: TCP through the
 * limited direction runs at the asked rate (±5 % on the wire, read from the
 * class's byte counter over the measurement window; the goodput the receiver
 * sees is checked too, ±10 %: TCP hands it over in lumps after losses), the reverse direction and other
 * pairs are untouched, UDP shows the direction, every pair of the groups gets
 * its own class, two limits on one pair give the slower, loss and cuts compose,
 * heal restores the full rate, and teardown leaves no qdisc, class, filter or
 * classifier program behind.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { spec, Test } from '../../lib/index.js';
import { SpecError } from '../../lib/errors.js';
import { names } from '../../lib/host/names.js';
import { captureLogger } from '../e2e/support.js';
import { expectNoLeaks } from '../helpers/leak-audit.js';
import { Agents } from './agents.js';

const NODES = ['n1', 'n2', 'n3'];
const cluster = () => {
  const c = spec.newCluster();
  for (const n of NODES) c.addNode(spec.newNode(n));
  return c;
};

/** Wire bytes per goodput byte of a bulk TCP stream (MSS 1448 with timestamps in a 1514-byte frame). */
const WIRE_PER_GOODPUT = 1514 / 1448;
const MBIT = 1e6 / 8;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The run's switch namespace, where the destinations' bridge-side veths (and their classes) live. */
let switchNetns = '';

function tc(args: string[]): string {
  return execFileSync('tc', ['-n', switchNetns, ...args], { encoding: 'utf8' });
}

/** Bytes the HTB class 1:minor of `dev` has sent (the wire: frames with their headers). */
function classBytes(dev: string, minor: number): number {
  const out = tc(['-s', 'class', 'show', 'dev', dev, 'classid', `1:${minor}`]);
  return Number(/Sent (\d+) bytes/.exec(out)?.[1] ?? NaN);
}

/** One TCP stream from → to: its wire rate (class counter) and goodput over the same window, bytes/s. */
async function measure(agents: Agents, from: string, to: string, dev: string, minor: number, ms = 5_000, warmupMs = 2_000) {
  const goodput = agents.tcpRate(from, to, ms, warmupMs);
  await pause(warmupMs);
  const b0 = classBytes(dev, minor);
  const t0 = performance.now();
  await pause(ms);
  const wire = (classBytes(dev, minor) - b0) / ((performance.now() - t0) / 1000);
  return { wire, goodput: await goodput };
}

function expectRate(rate: { wire: number; goodput: number }, askedBytes: number, label: string, measured: string[]): void {
  const { wire, goodput } = rate;
  measured.push(`${label}: wire ${((wire / askedBytes) * 100).toFixed(1)} %, goodput ${((goodput * WIRE_PER_GOODPUT / askedBytes) * 100).toFixed(1)} % of asked`);
  expect(Math.abs(wire / askedBytes - 1), `${label}: wire rate ${(wire / MBIT).toFixed(3)} Mbit/s for ${(askedBytes / MBIT).toFixed(2)}`).toBeLessThan(0.05);
  expect(Math.abs((goodput * WIRE_PER_GOODPUT) / askedBytes - 1), `${label}: goodput ${(goodput / MBIT).toFixed(3)} Mbit/s`).toBeLessThan(0.1);
}

describe('bandwidth', () => {
  it('limits each pair one way, composes with loss and cuts, heals, and leaves nothing behind', async () => {
    const { logger } = captureLogger();
    const measured: string[] = [];
    const programIds: string[] = [];
    let linksOfN2 = '';
    const result = await new Test('faults_bandwidth', cluster(), { logger }).run(async (t) => {
      expect(t.network.capabilities().find((c) => c.kind === 'bandwidth')?.engine).toBe('htb+cls_bpf');
      switchNetns = names.switchNetns(t.id);
      const agents = await Agents.start(t, NODES);
      try {
        const free = await agents.tcpRate('n1', 'n2', 2_000, 500);
        measured.push(`unshaped n1→n2: ${(free / MBIT).toFixed(0)} Mbit/s`);
        expect(free).toBeGreaterThan(3 * 10 * MBIT); // well above the 10 Mbit/s limit below, even on a busy host

        const thin = t.network.bandwidth('thin', { from: 'n1', to: ['n2', 'n3'], rate: '10mbit' });
        expect(thin.kind).toBe('bandwidth');
        expect(thin.params).toMatchObject({ from: 'n1', to: ['n2', 'n3'], rate: '10mbit', rate_bytes: 1_250_000 });
        await thin.apply(); // waits for its classes once
        // Defined = classes exist on the destinations' bridge-side veths.
        linksOfN2 = names.hostVeth(t.id, 2);
        expect(tc(['class', 'show', 'dev', linksOfN2])).toMatch(/class htb 1:1 .*rate 10Mbit/);
        const filters = tc(['filter', 'show', 'dev', linksOfN2]);
        expect(filters).toMatch(/pakostii_shape.*direct-action/);
        programIds.push(...[...filters.matchAll(/ id (\d+)/g)].map((m) => m[1]!));

        const n2Link = linksOfN2;
        const n3Link = names.hostVeth(t.id, 3);
        expectRate(await measure(agents, 'n1', 'n2', n2Link, 1), 10 * MBIT, 'n1→n2 at 10mbit', measured);
        expectRate(await measure(agents, 'n1', 'n3', n3Link, 1), 10 * MBIT, 'n1→n3 at 10mbit', measured);
        // The reverse direction and pairs outside the groups are not limited.
        expect(await agents.tcpRate('n2', 'n1', 2_000, 500)).toBeGreaterThan(3 * 10 * MBIT);
        expect(await agents.tcpRate('n2', 'n3', 2_000, 500)).toBeGreaterThan(3 * 10 * MBIT);

        // Two limits on one pair: the slower one holds; healing it gives the other back.
        const thinner = t.network.bandwidth('thinner', { from: 'n1', to: 'n2', rate: 125_000 }); // 1 Mbit/s in bytes/s
        await thinner.apply();
        // UDP shows the direction: 2.4 MB offered as fast as the agent sends; at 1 Mbit/s (125 kB/s,
        // ~25 kB of queue) even a sender slowed down to 2 s by a busy machine gets < 300 kB through.
        const shaped = await agents.udp('n1', 'n2', 2_000, 1_200);
        const reverse = await agents.udp('n2', 'n1', 2_000, 1_200);
        measured.push(`udp 2000×1200 B under 1mbit: n1→n2 ${shaped}, n2→n1 ${reverse}`);
        expect(shaped).toBeLessThan(300);
        expect(reverse).toBeGreaterThanOrEqual(1_990);
        // Minors count per link: "thin" made 1:1 on n2's link (and 1:1 on n3's), "thinner" 1:2 on n2's.
        expectRate(await measure(agents, 'n1', 'n2', n2Link, 2, 6_000, 2_500), 1 * MBIT, 'n1→n2 at 1mbit under 10mbit', measured);
        await thinner.heal();
        expectRate(await measure(agents, 'n1', 'n2', n2Link, 1, 3_000, 1_500), 10 * MBIT, 'n1→n2 back at 10mbit', measured);

        // Loss composes: small datagrams lose their share, as without the limit. They are paced
        // (20 per 5 ms ≈ 2 Mbit/s offered) so the 10 Mbit/s queue never overflows: a sender
        // bursting faster than the limit would lose to the queue too, and the count would
        // measure the queue rather than the loss.
        const loss = t.network.loss('lossy', { from: 'n1', to: 'n2', percent: 50 });
        await loss.apply();
        const lossy = await agents.udp('n1', 'n2', 1_000, undefined, { burst: 20, gapMs: 5 });
        measured.push(`50 % loss under 10mbit: ${lossy}/1000`);
        expect(lossy).toBeGreaterThan(400);
        expect(lossy).toBeLessThan(600);
        await loss.heal();
        // A cut wins over the limit.
        const cut = t.network.partition.oneWay('cut', 'n1', 'n2');
        await cut.apply();
        expect(await agents.udp('n1', 'n2', 500)).toBe(0);
        await cut.heal();
        expect(await agents.udp('n1', 'n2', 500)).toBe(500);

        expect(t.network.faults().map((f) => f.name)).toEqual(['thin']);
        await thin.heal();
        expect(await agents.tcpRate('n1', 'n2', 2_000, 500)).toBeGreaterThan(3 * 10 * MBIT);
        // Classes stay defined after heal (re-applying is a map write).
        expect(tc(['class', 'show', 'dev', linksOfN2])).toMatch(/class htb 1:1 /);

        expect(() => t.network.bandwidth('bad', { from: 'n1', to: 'n2', rate: '10 parsecs' })).toThrow(SpecError);
        expect(() => t.network.bandwidth('bad', { from: 'n1', to: 'n2', rate: 10 })).toThrow(/out of range/);
        expect(() => t.network.bandwidth('bad', { from: 'n1', to: 'n1', rate: '1mbit' })).toThrow(/both sides/);
        expect(() => t.network.bandwidth('bad', { from: 'nX', to: 'n1', rate: '1mbit' })).toThrow(SpecError);
      } finally {
        await agents.stop();
      }
    });
    console.log(`bandwidth measured: ${measured.join('; ')}`);
    await expectNoLeaks(result.id);
    // The links went with the run; the classifier program with the filters.
    expect(programIds.length).toBeGreaterThan(0);
    const programs = execFileSync('bpftool', ['prog', 'show'], { encoding: 'utf8' });
    for (const id of programIds) expect(programs).not.toMatch(new RegExp(`^${id}: `, 'm'));
  }, 300_000);
});
