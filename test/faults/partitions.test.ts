/**
 * Partition faults on real traffic (network-only cluster, one traffic agent
 * per namespace): each kind cuts exactly the pairs it should, in the right
 * direction; heal restores; faults compose (union) and healing one keeps the
 * other; faults() lists the active ones; faults.jsonl records every step,
 * including the heal teardown does.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spec, Test, type TestHandle } from '../../lib/index.js';
import { StateError, SpecError } from '../../lib/errors.js';
import { parseTimeline } from '../../lib/faults/timeline.js';
import { captureLogger } from '../e2e/support.js';
import { expectNoLeaks } from '../helpers/leak-audit.js';
import { Agents, pairsBetween, RUNNER } from './agents.js';

const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];
const cluster = () => {
  const c = spec.newCluster();
  for (const n of NODES) c.addNode(spec.newNode(n).withAZ(n === 'n1' || n === 'n2' ? 'az1' : 'az2'));
  return c;
};
const sorted = (xs: string[]) => [...new Set(xs)].sort();

async function withAgents(t: TestHandle, body: (agents: Agents) => Promise<void>): Promise<void> {
  const agents = await Agents.start(t, NODES);
  try {
    await body(agents);
  } finally {
    await agents.stop();
  }
}

describe('partition faults on real traffic', () => {
  it('isolateNode, between, oneWay: exact pairs, right direction, heal, composition, faults()', async () => {
    const { logger } = captureLogger();
    const result = await new Test('faults_partitions', cluster(), { logger }).run((t) =>
      withAgents(t, async (agents) => {
        expect(await agents.unreachable()).toEqual([]);

        // isolateNode: n1 vs every node and the runner, both ways.
        const iso = t.network.partition.isolateNode('n1 down', 'n1');
        await iso.apply();
        // Written in the event-loop turn of the apply, not at teardown: a crash keeps the timeline so far.
        await new Promise((resolve) => setImmediate(resolve));
        expect(parseTimeline(readFileSync(join(t.artifactsDir, 'faults.jsonl'), 'utf8'))).toMatchObject([{ event: 'apply', name: 'n1 down' }]);
        expect(await agents.unreachable()).toEqual(pairsBetween(['n1'], [RUNNER, 'n2', 'n3', 'n4', 'n5']));
        await iso.heal();
        expect(await agents.unreachable()).toEqual([]);

        // withNetworkAccess: a separate fault; the runner keeps n1.
        const isoAccess = iso.withNetworkAccess();
        expect(isoAccess).not.toBe(iso);
        expect(isoAccess.params).toMatchObject({ node: 'n1', network_access: true });
        await isoAccess.apply();
        expect(iso.active).toBe(false);
        expect(await agents.unreachable()).toEqual(pairsBetween(['n1'], ['n2', 'n3', 'n4', 'n5']));
        await isoAccess.heal();

        // between: symmetric cut between two groups only.
        const between = t.network.partition.between('split', ['n1', 'n2'], 'n3');
        await between.apply();
        expect(await agents.unreachable()).toEqual(pairsBetween(['n1', 'n2'], ['n3']));

        // oneWay composed with between: the union is cut.
        const oneWay = t.network.partition.oneWay('n4 deaf to n5', 'n5', 'n4');
        await oneWay.apply();
        expect(t.network.faults().map((f) => [f.name, f.kind])).toEqual([
          ['split', 'between'],
          ['n4 deaf to n5', 'oneWay'],
        ]);
        expect(t.network.faults()[1]!.params).toEqual({ from: 'n5', to: 'n4' });
        expect(t.network.faults()[0]!.since).toBeInstanceOf(Date);
        expect(await agents.unreachable()).toEqual(sorted([...pairsBetween(['n1', 'n2'], ['n3']), ...pairsBetween(['n4'], ['n5'])]));
        // Direction: n5 → n4 datagrams vanish, n4 → n5 arrive.
        expect(await agents.udp('n5', 'n4', 200)).toBe(0);
        expect(await agents.udp('n4', 'n5', 200)).toBe(200);

        // Healing one keeps the other.
        await between.heal();
        expect(t.network.faults().map((f) => f.name)).toEqual(['n4 deaf to n5']);
        expect(await agents.unreachable()).toEqual(pairsBetween(['n4'], ['n5']));
        expect(await agents.udp('n5', 'n4', 200)).toBe(0);
        expect(await agents.udp('n4', 'n5', 200)).toBe(200);
        await oneWay.heal();
        expect(t.network.faults()).toEqual([]);
        expect(await agents.unreachable()).toEqual([]);
        expect(await agents.udp('n5', 'n4', 200)).toBe(200);

        // State errors: heal before apply, apply twice.
        await expect(oneWay.heal()).rejects.toBeInstanceOf(StateError);
        await oneWay.apply();
        await expect(oneWay.apply()).rejects.toThrow(/already applied/);
        // Left applied: teardown heals it (and logs it in faults.jsonl).

        // Spec errors at the line that made the fault.
        expect(() => t.network.partition.oneWay('x', 'n9', 'n1')).toThrow(SpecError);
        // Overlapping groups mean every pair between them; the same single node twice names no pair.
        expect(() => t.network.partition.between('x', ['n1'], ['n1'])).toThrow(/same single node/);
        expect(() => t.network.partition.isolateNode('', 'n1')).toThrow(/non-empty/);
      }),
    );

    const timeline = parseTimeline(readFileSync(join(result.artifactsDir, 'faults.jsonl'), 'utf8'));
    expect(timeline.map((e) => `${e.event} ${e.name}${e.auto ? ' (auto)' : ''}`)).toEqual([
      'apply n1 down',
      'heal n1 down',
      'apply n1 down',
      'heal n1 down',
      'apply split',
      'apply n4 deaf to n5',
      'heal split',
      'heal n4 deaf to n5',
      'apply n4 deaf to n5',
      'heal n4 deaf to n5 (auto)',
    ]);
    expect(timeline[0]).toMatchObject({ kind: 'isolateNode', params: { node: 'n1', network_access: false } });
    expect(timeline[2]!.params).toMatchObject({ network_access: true });
    expect(timeline[4]).toMatchObject({ kind: 'between', params: { groupA: ['n1', 'n2'], groupB: 'n3' } });
    for (const entry of timeline) {
      expect(entry.mono).toMatch(/^\d+$/);
      expect(new Date(entry.wall).toISOString()).toBe(entry.wall);
    }
    const monos = timeline.map((e) => BigInt(e.mono));
    for (let i = 1; i < monos.length; i++) expect(monos[i]! >= monos[i - 1]!).toBe(true);
    await expectNoLeaks(result.id);
  }, 180_000);

  it('halves, randomHalves (seeded), majoritiesRing, bridge: the Jepsen shapes', async () => {
    const { logger } = captureLogger();
    const result = await new Test('faults_topologies', cluster(), { logger }).run((t) =>
      withAgents(t, async (agents) => {
        const p = t.network.partition;

        const halves = p.halves('halves');
        expect(halves.params).toEqual({ groups: [['n1', 'n2'], ['n3', 'n4', 'n5']] });
        await halves.apply();
        expect(await agents.unreachable()).toEqual(pairsBetween(['n1', 'n2'], ['n3', 'n4', 'n5']));
        await halves.heal();

        const random = p.randomHalves('random', 42);
        expect(p.randomHalves('again', 42).params).toEqual(random.params); // same seed, same halves
        const seeds = [1, 2, 3, 4, 5, 6].map((s) => JSON.stringify(p.randomHalves('s', s).params.groups));
        expect(new Set(seeds).size).toBeGreaterThan(1); // seeds matter
        const [small, big] = random.params.groups as string[][];
        expect(small!.length).toBe(2);
        expect(big!.length).toBe(3);
        await random.apply();
        expect(await agents.unreachable()).toEqual(pairsBetween(small!, big!));
        await random.heal();

        const ring = p.majoritiesRing('ring');
        const dropsFrom = ring.params.drops_from as Record<string, string[]>;
        const expected: string[] = [];
        for (const [dst, sources] of Object.entries(dropsFrom)) {
          expect(sources.length).toBe(2); // each node sees itself + 2 others = a majority of 5
          for (const src of sources) expected.push(...pairsBetween([src], [dst]));
        }
        await ring.apply();
        const cut = await agents.unreachable();
        expect(cut).toEqual(sorted(expected));
        // Every node still reaches a majority, and no two see the same one.
        const seen = NODES.map((n) => NODES.filter((m) => m === n || !cut.includes(`${n}>${m}`)).join(','));
        for (const s of seen) expect(s.split(',').length).toBe(3);
        expect(new Set(seen).size).toBe(5);
        // The runner is no node of the ring: it still reaches everyone.
        expect(cut.some((pair) => pair.includes(RUNNER))).toBe(false);
        await ring.heal();

        const bridge = p.bridge('bridge');
        expect(bridge.params).toEqual({ left: ['n1', 'n2'], bridge: 'n3', right: ['n4', 'n5'] });
        await bridge.apply();
        expect(await agents.unreachable()).toEqual(pairsBetween(['n1', 'n2'], ['n4', 'n5']));
        // Composition with isolateAZ (az1 = n1, n2) and its heal.
        const az = p.isolateAZ('az1 gone', 'az1').withNetworkAccess();
        await az.apply();
        expect(await agents.unreachable()).toEqual(sorted([...pairsBetween(['n1', 'n2'], ['n3', 'n4', 'n5'])]));
        await bridge.heal();
        expect(await agents.unreachable()).toEqual(pairsBetween(['n1', 'n2'], ['n3', 'n4', 'n5']));
        await az.heal();
        expect(await agents.unreachable()).toEqual([]);
      }),
    );
    await expectNoLeaks(result.id);
  }, 180_000);
});
