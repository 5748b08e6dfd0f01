/**
 * t.network.bandwidth: a rate limit per direction and per ordered pair. Each
 * pair (src, dst) gets its own HTB class on dst's host-side veth, where every
 * packet to dst leaves the bridge; the run's classifier (bpf/shape.bpf.c) sends
 * the pair's packets into it while the fault is applied. Classes are created
 * when the fault is defined; apply() waits for them once, then applying and
 * healing are stores into the classifier's map.
 */
import { SpecError } from '../errors.js';
import type { ClusterPlan } from '../spec/plan.js';
import { requireEngine, type KernelTrafficSupport } from './capabilities.js';
import { callOf, faultName, NetworkFault, type NetworkFaultHandle } from './network-fault.js';
import { checkDisjoint, describeGroup, resolveGroup, type NodeSelector } from './node-groups.js';
import type { Fault, FaultRegistry } from './registry.js';
import type { ClassSpec, PairClassLedger, ShapedPair, TrafficShaper } from './traffic-classes.js';

export interface BandwidthOptions {
  /** Sending node(s). */
  from: NodeSelector;
  /** Receiving node(s). */
  to: NodeSelector;
  /**
   * The rate of each ordered pair from → to: a string with a tc unit ('1mbit', '500kbit', '2gbit',
   * '100kbps' = bytes, 'bit' and 'bps' alone too) or a number of bytes per second.
   */
  rate: string | number;
}

const UNITS: Record<string, number> = {
  bit: 1 / 8,
  kbit: 1e3 / 8,
  mbit: 1e6 / 8,
  gbit: 1e9 / 8,
  bps: 1,
  kbps: 1e3,
  mbps: 1e6,
  gbps: 1e9,
};

/** Lowest and highest rates accepted, bytes/s: 8 kbit/s and 10 Gbit/s. */
export const MIN_RATE_BYTES = 1_000;
export const MAX_RATE_BYTES = 1.25e9;

/** A rate in bytes per second, from '1mbit'-style text or a number of bytes/s. */
export function parseRate(rate: unknown, where: string): number {
  let bytes: number;
  if (typeof rate === 'number') {
    bytes = rate;
  } else if (typeof rate === 'string') {
    const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(rate);
    const factor = match ? UNITS[match[2]!.toLowerCase()] : undefined;
    if (!match || factor === undefined) {
      throw new SpecError(`${where}: rate ${JSON.stringify(rate)} is not a rate`, {
        hint: `write a number with a unit (${Object.keys(UNITS).join(', ')}), e.g. '1mbit', or a number of bytes per second`,
      });
    }
    bytes = Number(match[1]) * factor;
  } else {
    throw new SpecError(`${where}: rate is missing`, { hint: "e.g. { from: 'n1', to: 'n2', rate: '1mbit' }" });
  }
  if (!Number.isFinite(bytes) || bytes < MIN_RATE_BYTES || bytes > MAX_RATE_BYTES) {
    throw new SpecError(`${where}: rate ${JSON.stringify(rate)} is out of range`, {
      hint: `give 8kbit (${MIN_RATE_BYTES} bytes/s) to 10gbit (${MAX_RATE_BYTES} bytes/s)`,
    });
  }
  return Math.round(bytes);
}

/** What the slow-link faults of a run share: the registry, the class ledger and the engines. */
export interface SlowLinks {
  readonly registry: FaultRegistry;
  readonly ledger: PairClassLedger;
  /** HTB classes on the destinations' links (bandwidth, and delay by netem). */
  readonly shaper: () => TrafficShaper;
  /** The addon's AF_XDP delay line (delay where the kernel has no sch_netem). */
  readonly delayLine: () => TrafficShaper;
}

/** The handle of a slow-link fault: apply() first waits for the fault's classes (once). */
export class SlowLinkFault extends NetworkFault {
  readonly #ready: Promise<void>;

  /** `again`: withNetworkAccess() — slow links never cut the runner, so a new, identical fault (with classes of its own). */
  constructor(registry: FaultRegistry, fault: Fault, ready: Promise<void>, again: () => NetworkFaultHandle) {
    super(registry, fault, again);
    this.#ready = ready;
    ready.catch(() => undefined); // reported by apply(); never an unhandled rejection
  }

  override async apply(): Promise<void> {
    await this.#ready;
    return super.apply();
  }
}

/** Every ordered pair from → to. */
export function pairsOf(from: readonly number[], to: readonly number[]): ShapedPair[] {
  const pairs: ShapedPair[] = [];
  for (const src of from) for (const dst of to) pairs.push({ src, dst });
  return pairs;
}

/** Define a slow-link fault: register it, and start creating its classes now. */
export function defineSlowLink(
  links: SlowLinks,
  definition: {
    name: string;
    kind: string;
    params: Record<string, unknown>;
    pairs: ShapedPair[];
    spec: ClassSpec;
    rank: number;
    engine?: 'shaper' | 'delayLine';
  },
): NetworkFaultHandle {
  const make = (): NetworkFaultHandle => {
    const fault = links.registry.define(definition.name, definition.kind, definition.params, () => undefined);
    const shaper = definition.engine === 'delayLine' ? links.delayLine() : links.shaper();
    const ready = shaper.createClasses(definition.pairs, definition.spec).then((minors) => {
      links.ledger.register(fault, definition.kind, definition.rank, shaper, definition.pairs, minors);
    });
    return new SlowLinkFault(links.registry, fault, ready, make);
  };
  return make();
}

/** Arguments first (a typo is a SpecError on any kernel), then the engine (NotSupportedError without htb/cls_bpf). */
export function defineBandwidth(
  links: SlowLinks,
  plan: ClusterPlan,
  kernel: KernelTrafficSupport | undefined,
  given: string | undefined,
  options: BandwidthOptions,
): NetworkFaultHandle {
  const where = callOf('bandwidth', given);
  if (typeof options !== 'object' || options === null) {
    throw new SpecError(`${where}: options are missing`, { hint: "e.g. t.network.bandwidth('thin', { from: 'n1', to: 'n2', rate: '1mbit' })" });
  }
  const rateBytes = parseRate(options.rate, where);
  const from = resolveGroup(plan, options.from, 'from', where);
  const to = resolveGroup(plan, options.to, 'to', where);
  checkDisjoint(from, to, where);
  requireEngine(kernel, 'bandwidth', where);
  const name = faultName(links.registry, given, 'bandwidth', where);
  return defineSlowLink(links, {
    name,
    kind: 'bandwidth',
    params: { from: describeGroup(from), to: describeGroup(to), rate: options.rate, rate_bytes: rateBytes },
    pairs: pairsOf(from.indexes, to.indexes),
    spec: { rateBytes },
    rank: rateBytes,
  });
}
