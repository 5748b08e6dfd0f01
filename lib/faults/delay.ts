/**
 * t.network.delay: added one-way latency from → to, with optional jitter (a
 * distribution around the delay), duplication and reordering. Two engines, one
 * API (capabilities.ts picks): a netem leaf under a per-pair HTB class on the
 * destination's link where the kernel has sch_netem, else the addon's delay line
 * (AF_XDP, lib/runtime/delay-line-shaper.ts). Either way the pieces are made at
 * define and apply/heal are map writes like every other fault. A kernel with
 * neither gets NotSupportedError naming what is missing.
 */
import { SpecError } from '../errors.js';
import type { ClusterPlan } from '../spec/plan.js';
import { defineSlowLink, MAX_RATE_BYTES, pairsOf, type SlowLinks } from './bandwidth.js';
import { requireEngine, type KernelTrafficSupport } from './capabilities.js';
import { callOf, faultName, type NetworkFaultHandle } from './network-fault.js';
import { checkDisjoint, describeGroup, resolveGroup, type NodeSelector } from './node-groups.js';

export type DelayDistribution = 'uniform' | 'normal' | 'pareto';

export interface DelayOptions {
  from: NodeSelector;
  to: NodeSelector;
  /** Added one-way latency, ms (> 0, at most 60 s). */
  ms: number;
  /** Random variation around ms (≥ 0, ≤ ms). */
  jitterMs?: number;
  /** Shape of the jitter: 'uniform' (default, ms ± jitterMs), 'normal' or 'pareto' (deviation jitterMs). */
  distribution?: DelayDistribution;
  /** Share of packets sent twice, 0–100. */
  duplicatePercent?: number;
  /** Share of packets sent at once, ahead of the delayed ones, 0–100. */
  reorderPercent?: number;
}

const MAX_DELAY_MS = 60_000;

function checkNumber(value: unknown, what: string, min: number, max: number, where: string, hint: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new SpecError(`${where}: ${what} must be a number from ${min} to ${max}, got ${JSON.stringify(value)}`, { hint });
  }
  return value;
}

export interface CheckedDelay {
  from: ReturnType<typeof resolveGroup>;
  to: ReturnType<typeof resolveGroup>;
  ms: number;
  jitterMs: number;
  distribution: DelayDistribution;
  duplicatePercent: number;
  reorderPercent: number;
}

/** Every argument, checked before anything else happens. */
export function checkDelay(plan: ClusterPlan, options: DelayOptions, where: string): CheckedDelay {
  if (typeof options !== 'object' || options === null) {
    throw new SpecError(`${where}: options are missing`, { hint: "e.g. t.network.delay('slow', { from: 'n1', to: 'n2', ms: 100 })" });
  }
  const from = resolveGroup(plan, options.from, 'from', where);
  const to = resolveGroup(plan, options.to, 'to', where);
  checkDisjoint(from, to, where);
  const ms = checkNumber(options.ms, 'ms', 0, MAX_DELAY_MS, where, 'the added one-way delay in milliseconds, e.g. 100');
  const jitterMs = checkNumber(options.jitterMs ?? 0, 'jitterMs', 0, ms, where, 'jitter must not exceed the delay');
  const distribution = options.distribution ?? 'uniform';
  if (!['uniform', 'normal', 'pareto'].includes(distribution)) {
    throw new SpecError(`${where}: distribution must be 'uniform', 'normal' or 'pareto', got ${JSON.stringify(distribution)}`, { hint: "e.g. 'normal'" });
  }
  const duplicatePercent = checkNumber(options.duplicatePercent ?? 0, 'duplicatePercent', 0, 100, where, 'a percentage, e.g. 1');
  const reorderPercent = checkNumber(options.reorderPercent ?? 0, 'reorderPercent', 0, 100, where, 'a percentage, e.g. 25');
  if (ms === 0 && jitterMs === 0 && duplicatePercent === 0) {
    throw new SpecError(`${where}: the fault does nothing (ms, jitterMs and duplicatePercent are 0)`, { hint: 'give ms > 0' });
  }
  if (reorderPercent > 0 && ms === 0) throw new SpecError(`${where}: reordering needs a delay`, { hint: 'packets jump ahead of delayed ones: give ms > 0' });
  return { from, to, ms, jitterMs, distribution, duplicatePercent, reorderPercent };
}

export function defineDelay(
  links: SlowLinks,
  plan: ClusterPlan,
  kernel: KernelTrafficSupport | undefined,
  given: string | undefined,
  options: DelayOptions,
): NetworkFaultHandle {
  const where = callOf('delay', given);
  const d = checkDelay(plan, options, where);
  const engine = requireEngine(kernel, 'delay', where).engine;
  const profile = {
    delayNs: Math.round(d.ms * 1e6),
    jitterNs: Math.round(d.jitterMs * 1e6),
    distribution: d.distribution,
    duplicatePercent: d.duplicatePercent,
    reorderPercent: d.reorderPercent,
  };
  const name = faultName(links.registry, given, 'delay', where);
  return defineSlowLink(links, {
    name,
    kind: 'delay',
    params: {
      from: describeGroup(d.from),
      to: describeGroup(d.to),
      ms: d.ms,
      jitter_ms: d.jitterMs,
      distribution: d.distribution,
      duplicate_percent: d.duplicatePercent,
      reorder_percent: d.reorderPercent,
      engine,
    },
    pairs: pairsOf(d.from.indexes, d.to.indexes),
    spec: engine === 'netem' ? { rateBytes: MAX_RATE_BYTES, netem: profile } : { rateBytes: MAX_RATE_BYTES, delay: profile },
    engine: engine === 'netem' ? 'shaper' : 'delayLine',
    // The longest delay wins on a pair (a slower path dominates).
    rank: -d.ms,
  });
}
