/**
 * t.network.loss: random packet loss in one direction, judged by the XDP
 * program at the destination's ingress against the engine's per-pair loss
 * threshold (a random u32 below it → drop). TCP retransmits through it; UDP
 * and ICMP lose that share of their packets.
 */
import { SpecError } from '../errors.js';
import type { ClusterPlan } from '../spec/plan.js';
import { lossOneWay } from './cuts.js';
import { callOf, faultName, networkFault, type NetworkFaultHandle } from './network-fault.js';
import { checkSomePair, describeGroup, resolveGroup, type NodeSelector } from './node-groups.js';
import type { FaultRegistry } from './registry.js';

/**
 * Either `from` → `to` (one way; the groups may overlap, a node never loses its
 * own packets), or `between` a group: every ordered pair of its nodes, both
 * ways ('all' = every pair of the cluster).
 */
export type LossOptions =
  | {
      /** Sending node(s). */
      from: NodeSelector;
      /** Receiving node(s). */
      to: NodeSelector;
      /** Share of the packets from → to that are dropped, 0 < percent ≤ 100. */
      percent: number;
      between?: undefined;
    }
  | { between: NodeSelector; percent: number; from?: undefined; to?: undefined };

/** `name` undefined: a generated one ("loss 1", …). */
export function defineLoss(registry: FaultRegistry, plan: ClusterPlan, given: string | undefined, options: LossOptions): NetworkFaultHandle {
  const where = callOf('loss', given);
  if (typeof options !== 'object' || options === null) {
    throw new SpecError(`${where}: options are missing`, { hint: 'e.g. t.network.loss("flaky", { from: "n1", to: "n2", percent: 30 })' });
  }
  const { percent } = options;
  if (typeof percent !== 'number' || !Number.isFinite(percent) || percent <= 0 || percent > 100) {
    throw new SpecError(`${where}: percent must be a number above 0 and at most 100, got ${JSON.stringify(percent)}`, {
      hint: 'e.g. 30 drops about 30 % of the packets; use partition.oneWay() for 100 %',
    });
  }
  if (options.between !== undefined && (options.from !== undefined || options.to !== undefined)) {
    throw new SpecError(`${where}: give either between or from/to, not both`, { hint: "e.g. { between: 'all', percent: 5 } or { from: 'n1', to: 'n2', percent: 5 }" });
  }
  const between = options.between === undefined ? undefined : resolveGroup(plan, options.between, 'between', where);
  const from = between ?? resolveGroup(plan, options.from as NodeSelector, 'from', where);
  const to = between ?? resolveGroup(plan, options.to as NodeSelector, 'to', where);
  checkSomePair(from, to, where);
  const name = faultName(registry, given, 'loss', where);
  return networkFault(registry, {
    name,
    kind: 'loss',
    params: between ? { between: options.between === 'all' ? 'all' : describeGroup(between), percent } : { from: describeGroup(from), to: describeGroup(to), percent },
    fill: lossOneWay(from.indexes, to.indexes, percent),
    touchesRunner: false,
  });
}
