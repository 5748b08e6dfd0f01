/**
 * The union of several active faults as one policy: a pair is cut when any
 * fault cuts it; losses on the same pair compose as independent drops
 * (30 % and 50 % → 65 %), which is what two separate lossy links in a row
 * would do. Replaying the faults one after the other would instead let the
 * last loss written win.
 */
import type { PolicyWriter, RecordedPolicy } from './policy.js';

export function writeUnion(policies: readonly RecordedPolicy[], target: PolicyWriter): void {
  const passRate = new Map<number, number>(); // cell src*nodes+dst → fraction of packets kept
  const nodes = target.nodes;
  for (const policy of policies) {
    const cuts = policy.cuts;
    for (let i = 0; i < cuts.length; i += 2) target.cut(cuts[i]!, cuts[i + 1]!);
    const losses = policy.losses;
    for (let i = 0; i < losses.length; i += 3) {
      const cell = losses[i]! * nodes + losses[i + 1]!;
      passRate.set(cell, (passRate.get(cell) ?? 1) * (1 - losses[i + 2]! / 100));
    }
  }
  for (const [cell, kept] of passRate) {
    target.setLoss(Math.floor(cell / nodes), cell % nodes, Math.min(100, Math.max(0, (1 - kept) * 100)));
  }
}
