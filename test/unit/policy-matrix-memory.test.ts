/**
 * Memory of fault policies on a large run: every defined fault keeps its own
 * PolicyMatrix (so apply is a copy into the map). At 4,096 node indexes a full
 * matrix is 66 MiB, almost all of it loss cells; neither a cut-only fault nor a
 * fault with loss on some pairs may pay for all of them.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { lossOneWay } from '../../lib/faults/cuts.js';
import { isolateGroup } from '../../lib/faults/isolate-az.js';
import { RecordedPolicy, type PolicyFill } from '../../lib/faults/policy.js';
import { writeUnion } from '../../lib/faults/compose.js';
import { FaultRegistry } from '../../lib/faults/registry.js';
import { lossThreshold, POLICY_LAYOUT, PolicyMatrix } from '../../lib/native/policy-matrix.js';

const NODES = POLICY_LAYOUT.maxNodes;
const MiB = 1024 * 1024;

describe('policy memory on a 4,096-node run', () => {
  it('ten defined isolations cost ~2 MiB each, not 66 MiB', () => {
    const committed: PolicyMatrix[] = [];
    const before = process.memoryUsage().arrayBuffers;
    const registry = new FaultRegistry({ commit: (m: PolicyMatrix) => committed.push(m) }, () => new PolicyMatrix(NODES), pino({ level: 'silent' }));
    const faults = Array.from({ length: 10 }, (_, i) => registry.define(`iso ${i}`, 'isolateNode', {}, isolateGroup([i + 1], NODES)));
    const perFault = (process.memoryUsage().arrayBuffers - before) / faults.length;
    console.log(`policy memory per defined cut fault at ${NODES} nodes: ${(perFault / MiB).toFixed(1)} MiB (a full matrix: ${((POLICY_LAYOUT.bufferWords(NODES) * 8) / MiB).toFixed(1)} MiB)`);
    expect(perFault).toBeLessThan(4 * MiB);
    registry.apply(faults[0]!);
    expect(committed.at(-1)!.isCut(1, 2)).toBe(true);
    registry.close();
  });

  it('ten defined faults with loss (a node isolated, plus 30 % loss to and from it) cost well under 4 MiB each, not 66 MiB', () => {
    const committed: PolicyMatrix[] = [];
    const registry = new FaultRegistry({ commit: (m: PolicyMatrix) => committed.push(m) }, () => new PolicyMatrix(NODES), pino({ level: 'silent' }));
    const others = (i: number) => Array.from({ length: NODES }, (_, n) => n).filter((n) => n !== i);
    // One dense row (node → all) and 4,095 rows of one cell each (all → node).
    const lossy = (i: number): PolicyFill => (p) => {
      isolateGroup([i], NODES)(p);
      lossOneWay([i], others(i), 30)(p);
      lossOneWay(others(i), [i], 30)(p);
    };
    const before = process.memoryUsage();
    const faults = Array.from({ length: 10 }, (_, i) => registry.define(`lossy ${i}`, 'loss', {}, lossy(i + 1)));
    const after = process.memoryUsage();
    const perFault = (after.arrayBuffers - before.arrayBuffers + after.heapUsed - before.heapUsed) / faults.length;
    expect(perFault).toBeLessThan(4 * MiB);
    registry.apply(faults[0]!);
    const applied = committed.at(-1)!;
    console.log(`policy held by a fault with loss at ${NODES} nodes: ${(applied.byteLength / MiB).toFixed(2)} MiB (a full matrix: ${((POLICY_LAYOUT.bufferWords(NODES) * 8) / MiB).toFixed(1)} MiB)`);
    expect(applied.byteLength).toBeLessThan(3 * MiB);
    expect(applied.lossThresholdOf(1, 4000)).toBe(lossThreshold(30));
    expect(applied.lossThresholdOf(4000, 1)).toBe(lossThreshold(30));
    expect(applied.lossThresholdOf(2, 3)).toBe(0);
    registry.close();
  });

  it('sparse and dense loss rows give the image the program reads, and composition stays independent drops', () => {
    const matrix = new PolicyMatrix(NODES);
    matrix.cut(1, 2);
    matrix.setLoss(1, 3, 0); // no loss to remove: nothing made
    expect(matrix.hasLoss).toBe(false);
    expect(matrix.byteLength).toBeLessThan(3 * MiB);
    matrix.setLoss(1, 3, 50); // a sparse row
    for (let d = 0; d < NODES; d++) if (d !== 5) matrix.setLoss(5, d, 100); // a dense row
    expect(matrix.hasLoss).toBe(true);
    expect(matrix.byteLength).toBeLessThan(3 * MiB);
    const image = matrix.words;
    const lossStart = (1 + NODES * POLICY_LAYOUT.rowWords(NODES)) * 2;
    expect(image[0]).toBe(POLICY_LAYOUT.flagHasLoss);
    expect(image[lossStart + 1 * NODES + 3]).toBe(lossThreshold(50));
    expect(image[lossStart + 5 * NODES + 7]).toBe(POLICY_LAYOUT.lossAll);
    expect(image[lossStart + 5 * NODES + 5]).toBe(0);
    expect(image.reduce((n, v, i) => n + (i >= lossStart && v !== 0 ? 1 : 0), 0)).toBe(1 + NODES - 1);
    expect(matrix.isCut(1, 2)).toBe(true);
    // Removing every loss, sparse and dense, leaves no loss flag.
    matrix.setLoss(1, 3, 0);
    for (let d = 0; d < NODES; d++) matrix.setLoss(5, d, 0);
    expect(matrix.hasLoss).toBe(false);
    expect(matrix.words[0]).toBe(0);
    matrix.clear();
    expect(matrix.isCut(1, 2)).toBe(false);

    // Two faults' losses on one pair compose as independent drops (30 % and 50 % → 65 %).
    const a = RecordedPolicy.record(NODES, lossOneWay([1], [2], 30));
    const b = RecordedPolicy.record(NODES, lossOneWay([1], [2], 50));
    writeUnion([a, b], matrix);
    expect(matrix.lossThresholdOf(1, 2)).toBe(lossThreshold(65));
  });
});

describe('committing a cut-only policy', () => {
  it('allocates no record of written loss cells (one shared empty record)', () => {
    const policy = new PolicyMatrix(8);
    policy.cut(1, 2);
    const image = new Uint32Array(POLICY_LAYOUT.bufferWords(8));
    const first = policy.writeLossInto(image);
    expect(first).toBe(policy.writeLossInto(image));
    expect(first).toEqual({ cells: [], rows: [] });
    expect(Object.isFrozen(first.cells)).toBe(true);
  });
});
