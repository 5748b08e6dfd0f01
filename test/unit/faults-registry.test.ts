/**
 * Fault registry, isolateAZ and generated fault names as pure logic, against a fake engine that
 * records each committed matrix (the kernel side is proven in test/e2e).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { StateError } from '../../lib/errors.js';
import { PartitionFaults } from '../../lib/faults/partition.js';
import { FaultRegistry } from '../../lib/faults/registry.js';
import { FaultTimeline, parseTimeline } from '../../lib/faults/timeline.js';
import { planCluster } from '../../lib/spec/plan.js';
import { spec } from '../../lib/index.js';

class FakeMatrix {
  readonly cuts = new Set<string>();
  constructor(readonly nodes: number) {}
  cut(src: number, dst: number) {
    this.cuts.add(`${src}>${dst}`);
  }
  setLoss() {}
  clear() {
    this.cuts.clear();
  }
}

function setup() {
  const cluster = spec.newCluster();
  ['a1', 'b1', 'b2'].forEach((n) => cluster.addNode(spec.newNode(n).withAZ(n.startsWith('a') ? 'az1' : 'az2')));
  const plan = planCluster(cluster); // indexes: runner 0, a1 1, b1 2, b2 3
  const commits: string[][] = [];
  const registry = new FaultRegistry({ commit: (m: FakeMatrix) => commits.push([...m.cuts].sort()) }, () => new FakeMatrix(4), pino({ level: 'silent' }));
  return { partition: new PartitionFaults(registry, plan), registry, commits };
}

const both = (x: number, y: number) => [`${x}>${y}`, `${y}>${x}`];

describe('isolateAZ', () => {
  it('cuts the AZ from the other nodes and the runner, both ways; nothing until apply', async () => {
    const { partition, commits } = setup();
    const iso = partition.isolateAZ('iso', 'az1');
    expect(commits).toEqual([]);
    await iso.apply();
    expect(commits.at(-1)).toEqual([...both(1, 0), ...both(1, 2), ...both(1, 3)].sort());
    expect(iso.active).toBe(true);
    await iso.heal();
    expect(commits.at(-1)).toEqual([]);
    expect(iso.active).toBe(false);
  });

  it('withNetworkAccess keeps the runner connected and returns a separate handle', async () => {
    const { partition, commits } = setup();
    const iso = partition.isolateAZ('iso', 'az2');
    const open = iso.withNetworkAccess();
    expect(open).not.toBe(iso);
    expect(open.name).toBe('iso');
    await open.apply();
    expect(commits.at(-1)).toEqual([...both(2, 1), ...both(3, 1)].sort());
    expect(iso.active).toBe(false);
  });

  it('active faults are combined; healing one keeps the other', async () => {
    const { partition, commits } = setup();
    const x = partition.isolateAZ('x', 'az1').withNetworkAccess();
    const y = partition.isolateAZ('y', 'az2');
    await x.apply();
    await y.apply();
    expect(commits.at(-1)).toContain('0>2');
    expect(commits.at(-1)).toContain('1>2');
    await y.heal();
    expect(commits.at(-1)).toEqual([...both(1, 2), ...both(1, 3)].sort());
  });

  it('apply twice and heal before apply are StateErrors; the engine is not touched', async () => {
    const { partition, commits } = setup();
    const iso = partition.isolateAZ('iso', 'az1');
    await expect(iso.heal()).rejects.toBeInstanceOf(StateError);
    await expect(iso.heal()).rejects.toThrow(/isolateAZ "iso" is not applied/);
    await iso.apply();
    await expect(iso.apply()).rejects.toThrow(/isolateAZ "iso" is already applied/);
    expect(commits).toHaveLength(1);
  });

  it('close() heals everything and refuses new applies', async () => {
    const { partition, registry, commits } = setup();
    await partition.isolateAZ('a', 'az1').apply();
    await partition.isolateAZ('b', 'az2').apply();
    expect(registry.close().map((f) => f.name)).toEqual(['a', 'b']);
    expect(commits.at(-1)).toEqual([]);
    await expect(partition.isolateAZ('c', 'az1').apply()).rejects.toThrow(/the test has finished/);
  });

  it('a failing commit leaves the fault inactive', async () => {
    const cluster = spec.newCluster().addNode(spec.newNode('n1').withAZ('z')).addNode(spec.newNode('n2'));
    const registry = new FaultRegistry({ commit: () => { throw new Error('map write failed'); } }, () => new FakeMatrix(3), pino({ level: 'silent' }));
    const iso = new PartitionFaults(registry, planCluster(cluster)).isolateAZ('i', 'z');
    await expect(iso.apply()).rejects.toThrow('map write failed');
    expect(iso.active).toBe(false);
  });
});

describe("every-pair selectors: 'all' and overlapping groups", () => {
  class LossMatrix extends FakeMatrix {
    readonly losses = new Set<string>();
    override setLoss(src?: number, dst?: number, percent?: number) {
      this.losses.add(`${src}>${dst}:${percent}`);
    }
  }
  function lossSetup() {
    const cluster = spec.newCluster();
    ['a1', 'b1', 'b2'].forEach((n) => cluster.addNode(spec.newNode(n)));
    const plan = planCluster(cluster);
    const commits: Array<{ cuts: string[]; losses: string[] }> = [];
    const registry = new FaultRegistry(
      { commit: (m: LossMatrix) => commits.push({ cuts: [...m.cuts].sort(), losses: [...m.losses].sort() }) },
      () => new LossMatrix(4),
      pino({ level: 'silent' }),
    );
    return { partition: new PartitionFaults(registry, plan), registry, plan, commits };
  }
  const nodePairs = ['1>2', '1>3', '2>1', '2>3', '3>1', '3>2'];

  it("between('all', 'all') cuts every node from every other one, never the runner", async () => {
    const { partition, commits } = lossSetup();
    await partition.between('total', 'all', 'all').apply();
    expect(commits.at(-1)!.cuts).toEqual(nodePairs);
  });

  it('overlapping groups cut every pair between them, a node never from itself', async () => {
    const { partition, commits } = lossSetup();
    await partition.oneWay('overlap', ['a1', 'b1'], ['b1', 'b2']).apply();
    expect(commits.at(-1)!.cuts).toEqual(['1>2', '1>3', '2>3']);
    expect(() => partition.between('self', 'a1', 'a1')).toThrow(/no pair of nodes/);
  });

  it("loss { between: 'all' } is every ordered pair, both ways; from/to may overlap", async () => {
    const { registry, plan, commits } = lossSetup();
    const { defineLoss } = await import('../../lib/faults/loss.js');
    await defineLoss(registry, plan, 'everywhere', { between: 'all', percent: 5 }).apply();
    expect(commits.at(-1)!.losses).toEqual(nodePairs.map((p) => `${p}:5`));
    const overlap = defineLoss(registry, plan, 'some', { from: ['a1', 'b1'], to: ['a1', 'b1'], percent: 10 });
    expect(overlap.params).toEqual({ from: ['a1', 'b1'], to: ['a1', 'b1'], percent: 10 });
    expect(() => defineLoss(registry, plan, 'both', { between: 'all', from: 'a1', percent: 5 } as never)).toThrow(/either between or from\/to/);
  });
});

describe('one-off faults without a name', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  function timelineSetup() {
    const cluster = spec.newCluster();
    ['a1', 'b1', 'b2'].forEach((n) => cluster.addNode(spec.newNode(n).withAZ(n.startsWith('a') ? 'az1' : 'az2')));
    const plan = planCluster(cluster);
    const dir = mkdtempSync(join(tmpdir(), 'pakostii-names-'));
    dirs.push(dir);
    const timeline = new FaultTimeline(dir, pino({ level: 'silent' }));
    const registry = new FaultRegistry({ commit: () => undefined }, () => new FakeMatrix(4), pino({ level: 'silent' }), timeline.onNetworkEvent);
    return { partition: new PartitionFaults(registry, plan), registry, plan, timeline, dir };
  }

  it('every partition shape, cut, and loss gets "<kind> <n>"; the timeline records it', async () => {
    const { partition, registry, plan, timeline, dir } = timelineSetup();
    try {
      const { defineLoss } = await import('../../lib/faults/loss.js');
      const unnamed = [
        partition.isolateAZ('az1'),
        partition.isolateNode('b1'),
        partition.between('a1', ['b1', 'b2']),
        partition.oneWay('a1', 'b1'),
        partition.halves(),
        partition.randomHalves(7),
        partition.majoritiesRing(),
        partition.majoritiesRing(undefined, 7),
        partition.bridge(),
        defineLoss(registry, plan, undefined, { between: 'all', percent: 5 }),
      ];
      expect(unnamed.map((f) => f.name)).toEqual([
        'isolateAZ 1',
        'isolateNode 1',
        'between 1',
        'oneWay 1',
        'halves 1',
        'randomHalves 1',
        'majoritiesRing 1',
        'majoritiesRing 2',
        'bridge 1',
        'loss 1',
      ]);
      // The arguments mean the same without the name.
      expect(partition.isolateNode('b1').params).toEqual(partition.isolateNode('named', 'b1').params);
      expect(partition.majoritiesRing(undefined, 7).params).toEqual(partition.majoritiesRing('r', 7).params);
      expect(partition.oneWay('a1', 'b1').params).toEqual({ from: 'a1', to: 'b1' });
      for (const fault of unnamed) {
        await fault.apply();
        await fault.heal();
      }
      timeline.close();
      const entries = parseTimeline(readFileSync(join(dir, 'faults.jsonl'), 'utf8'));
      expect(entries.filter((e) => e.event === 'apply').map((e) => e.name)).toEqual(unnamed.map((f) => f.name));
      expect(entries.find((e) => e.name === 'oneWay 1')).toMatchObject({ kind: 'oneWay', params: { from: 'a1', to: 'b1' } });
    } finally {
      timeline.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('generated names never collide: with each other, with the test’s own names, across kinds', async () => {
    const { partition, registry, plan } = timelineSetup();
    const { defineLoss } = await import('../../lib/faults/loss.js');
    const taken = partition.between('between 2', 'a1', 'b1');
    const names = [
      partition.between('a1', 'b1').name,
      partition.between('a1', 'b2').name,
      partition.between('b1', 'b2').name,
      defineLoss(registry, plan, undefined, { from: 'a1', to: 'b1', percent: 1 }).name,
      defineLoss(registry, plan, undefined, { from: 'a1', to: 'b1', percent: 1 }).name,
    ];
    expect(names).toEqual(['between 1', 'between 3', 'between 4', 'loss 1', 'loss 2']);
    expect(new Set([taken.name, ...names]).size).toBe(names.length + 1);
    // A variant keeps its fault's generated name; it does not take a new one.
    const cut = partition.isolateNode('a1');
    expect(cut.withNetworkAccess().name).toBe(cut.name);
    expect(partition.isolateNode('a1').name).toBe('isolateNode 2');
  });

  it('a rejected definition takes no number; an empty name is still an error', () => {
    const { partition } = timelineSetup();
    expect(() => partition.between('a1', 'nope')).toThrow(/between\(\)/);
    expect(() => partition.oneWay('a1', 'a1')).toThrow(/no pair of nodes/);
    expect(partition.between('a1', 'b1').name).toBe('between 1');
    expect(() => partition.isolateNode('', 'a1')).toThrow(/fault name must be a non-empty string/);
    expect(() => partition.halves('  ')).toThrow(/fault name must be a non-empty string/);
  });
});
