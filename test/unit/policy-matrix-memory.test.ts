/**
 * Memory of fault policies on a large run: every defined fault keeps its own
 * PolicyMatrix (so apply is one copy). At 4,096 node indexes a full matrix is
 * 66 MiB, almost all of it loss cells; a cut-only fault must not pay for them.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { isolateGroup } from '../../lib/faults/isolate-az.js';
import { FaultRegistry } from '../../lib/faults/registry.js';
import { POLICY_LAYOUT, PolicyMatrix } from '../../lib/native/policy-matrix.js';

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

  it('a loss makes the loss cells; removing it keeps the image consistent', () => {
    const matrix = new PolicyMatrix(NODES);
    matrix.cut(1, 2);
    expect(matrix.byteLength).toBeLessThan(4 * MiB);
    expect(matrix.lossThresholdOf(1, 3)).toBe(0);
    matrix.setLoss(1, 3, 0); // no loss to remove: still no loss cells
    expect(matrix.byteLength).toBeLessThan(4 * MiB);
    matrix.setLoss(1, 3, 50);
    expect(matrix.byteLength).toBe(POLICY_LAYOUT.bufferWords(NODES) * 8);
    expect(matrix.hasLoss).toBe(true);
    expect(matrix.isCut(1, 2)).toBe(true); // the bitmap moved into the full image
    expect(matrix.words[0]).toBe(POLICY_LAYOUT.flagHasLoss);
    matrix.setLoss(1, 3, 0);
    expect(matrix.hasLoss).toBe(false);
    expect(matrix.words[0]).toBe(0);
    matrix.clear();
    expect(matrix.isCut(1, 2)).toBe(false);
  });
});
