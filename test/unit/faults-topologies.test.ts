/**
 * The pure logic behind the fault kinds: Jepsen's shapes over node indexes,
 * seeded shuffles, loss composition, withoutRunner, and the policies the
 * partition/loss constructors record (against a fake matrix; the kernel side
 * is proven in test/faults).
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { spec } from '../../lib/index.js';
import { SpecError } from '../../lib/errors.js';
import { writeUnion } from '../../lib/faults/compose.js';
import { cutOneWay, withoutRunner } from '../../lib/faults/cuts.js';
import { defineLoss } from '../../lib/faults/loss.js';
import { PartitionFaults } from '../../lib/faults/partition.js';
import { RecordedPolicy } from '../../lib/faults/policy.js';
import { FaultRegistry } from '../../lib/faults/registry.js';
import { bisect, bridge, majoritiesRing, seedOf, shuffle } from '../../lib/faults/topologies.js';
import { planCluster } from '../../lib/spec/plan.js';

class FakeMatrix {
  readonly cuts = new Set<string>();
  readonly losses = new Map<string, number>();
  constructor(readonly nodes: number) {}
  cut(src: number, dst: number) {
    this.cuts.add(`${src}>${dst}`);
  }
  setLoss(src: number, dst: number, percent: number) {
    this.losses.set(`${src}>${dst}`, percent);
  }
  clear() {
    this.cuts.clear();
    this.losses.clear();
  }
}

function setup(n = 5) {
  const cluster = spec.newCluster();
  for (let i = 1; i <= n; i++) cluster.addNode(spec.newNode(`n${i}`));
  const plan = planCluster(cluster);
  const commits: FakeMatrix[] = [];
  const registry = new FaultRegistry(
    {
      commit: (m: FakeMatrix) => {
        const copy = new FakeMatrix(m.nodes);
        m.cuts.forEach((c) => copy.cuts.add(c));
        m.losses.forEach((v, k) => copy.losses.set(k, v));
        commits.push(copy);
      },
    },
    () => new FakeMatrix(n + 1),
    pino({ level: 'silent' }),
  );
  return { registry, plan, partition: new PartitionFaults(registry, plan), last: () => commits.at(-1)! };
}

describe('topologies', () => {
  it('bisect puts the smaller half first; bridge keeps the first node of the second half', () => {
    expect(bisect([1, 2, 3, 4, 5])).toEqual([[1, 2], [3, 4, 5]]);
    expect(bridge([1, 2, 3, 4, 5])).toEqual({ left: [1, 2], bridge: 3, right: [4, 5] });
  });

  it('shuffle is deterministic per seed and a permutation', () => {
    const items = [1, 2, 3, 4, 5, 6, 7];
    expect(shuffle(items, 42)).toEqual(shuffle(items, 42));
    expect([...shuffle(items, 42)].sort()).toEqual(items);
    expect(seedOf('abc')).toBe(seedOf('abc'));
    expect(seedOf('abc')).not.toBe(seedOf('abd'));
  });

  it('majoritiesRing: every node sees a distinct majority (symmetric when the majority is odd)', () => {
    for (const n of [3, 5, 6, 7]) {
      const nodes = Array.from({ length: n }, (_, i) => i + 1);
      const grudge = majoritiesRing(nodes);
      const views = nodes.map((node) => nodes.filter((other) => !grudge.get(node)!.includes(other)).join(','));
      for (const view of views) expect(view.split(',').length).toBe(Math.floor(n / 2) + 1);
      expect(new Set(views).size).toBe(n);
      if ((Math.floor(n / 2) + 1) % 2 === 1) for (const [dst, srcs] of grudge) for (const src of srcs) expect(grudge.get(src)).toContain(dst);
    }
  });
});

describe('fault kinds record the right policy', () => {
  it('oneWay cuts one direction only; between both; withNetworkAccess drops runner cuts', async () => {
    const { partition, last } = setup();
    await partition.oneWay('ow', ['n1', 'n2'], 'n3').apply();
    expect([...last().cuts].sort()).toEqual(['1>3', '2>3']);
    const { partition: p2, last: last2 } = setup();
    await p2.between('b', 'n1', 'n2').apply();
    expect([...last2().cuts].sort()).toEqual(['1>2', '2>1']);
    const { partition: p3, last: last3 } = setup(2);
    await p3.isolateNode('iso', 'n1').withNetworkAccess().apply();
    expect([...last3().cuts].sort()).toEqual(['1>2', '2>1']);
  });

  it('loss composes as independent drops and validates its arguments', async () => {
    const { registry, plan, last } = setup(2);
    await defineLoss(registry, plan, 'a', { from: 'n1', to: 'n2', percent: 30 }).apply();
    await defineLoss(registry, plan, 'b', { from: 'n1', to: 'n2', percent: 50 }).apply();
    expect(last().losses.get('1>2')).toBeCloseTo(65, 9);
    expect(() => defineLoss(registry, plan, 'c', { from: 'n1', to: 'n2', percent: Number.NaN })).toThrow(SpecError);
    expect(() => defineLoss(registry, plan, 'c', { from: 'nope', to: 'n2', percent: 5 })).toThrow(/unknown node/);
  });

  it('writeUnion and withoutRunner on recorded policies', () => {
    const target = new FakeMatrix(4);
    writeUnion([RecordedPolicy.record(4, cutOneWay([0, 1], [2])), RecordedPolicy.record(4, withoutRunner(cutOneWay([0, 3], [2])))], target);
    expect([...target.cuts].sort()).toEqual(['0>2', '1>2', '3>2']);
  });

  it('shapes need enough nodes and a usable seed', () => {
    expect(() => setup(2).partition.bridge('b')).toThrow(/at least 3 nodes/);
    expect(() => setup(1).partition.halves('h')).toThrow(/at least 2 nodes/);
    expect(() => setup().partition.randomHalves('r', Number.NaN)).toThrow(/seed/);
  });
});
