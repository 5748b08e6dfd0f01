/**
 * Slow-link faults (bandwidth, delay) send a pair's packets through a traffic
 * class on the destination's link. The classes of a fault are created when the
 * fault is defined (TrafficShaper, implemented by the runtime over the addon);
 * applying or healing it only points the pair's cell of the class map at one
 * of them (a store into shared memory), through the ledger below.
 *
 * Composition: a pair may be under several slow-link faults of the same kind;
 * the one with the lowest rank wins (for bandwidth the lowest rate: two
 * bottlenecks in a row deliver the slower one's rate), the others stay
 * registered and take over when it is healed. A delay and a bandwidth limit on
 * the same pair are refused (NotSupportedError when the second is applied)
 * rather than silently dropping one of them: the addon's delay line transmits
 * held frames straight onto the destination's link (AF_XDP's transmit skips the
 * link's qdisc, so the HTB class would never see them), and the netem engine
 * would need one class holding both a rate and a netem leaf, which is not built.
 */
import { NotSupportedError } from '../errors.js';
import type { Fault, FaultHook } from './registry.js';

export interface ShapedPair {
  readonly src: number;
  readonly dst: number;
}

/** What a class does to its packets; the runtime turns it into an HTB class and its leaf. */
export interface ClassSpec {
  /** Bytes per second (delay classes use a rate far above any veth's). */
  readonly rateBytes: number;
  /** What the addon's delay line does to the pair's frames (delay engine "delay-line"). */
  readonly delay?: {
    delayNs: number;
    jitterNs: number;
    distribution: 'uniform' | 'normal' | 'pareto';
    duplicatePercent: number;
    reorderPercent: number;
  };
  /** A netem leaf instead of a FIFO (delay engine "netem"). */
  readonly netem?: {
    delayNs: number;
    jitterNs: number;
    distribution: 'uniform' | 'normal' | 'pareto';
    duplicatePercent: number;
    reorderPercent: number;
  };
}

export interface TrafficShaper {
  /** One class per pair (on the pair's destination link, or a delay-line profile); resolves with their ids, in pair order. */
  createClasses(pairs: readonly ShapedPair[], spec: ClassSpec): Promise<number[]>;
  /** Point src → dst at class `minor` of dst's link (0 = unshaped). Synchronous, no syscall. */
  setPair(src: number, dst: number, minor: number): void;
}

interface Entry {
  readonly cell: number;
  readonly src: number;
  readonly dst: number;
  readonly minor: number;
}

interface Registered {
  readonly kind: string;
  readonly shaper: TrafficShaper;
  readonly rank: number;
  readonly entries: readonly Entry[];
  readonly minorByCell: ReadonlyMap<number, number>;
}

export class PairClassLedger {
  readonly #nodes: number;
  readonly #faults = new WeakMap<Fault, Registered>();
  /** Active owners per cell, in apply order. */
  readonly #owners = new Map<number, Registered[]>();

  constructor(nodes: number) {
    this.#nodes = nodes;
  }

  /** Give the registry this as a hook: it follows the applies and heals of registered faults. */
  readonly hook: FaultHook = (fault, change) => {
    const registered = this.#faults.get(fault);
    if (registered === undefined) return;
    if (change === 'apply') this.#apply(registered, fault);
    else this.#heal(registered);
  };

  /** A slow-link fault whose classes now exist: `minors[i]` is the class of `pairs[i]`. */
  register(fault: Fault, kind: string, rank: number, shaper: TrafficShaper, pairs: readonly ShapedPair[], minors: readonly number[]): void {
    const entries = pairs.map((p, i) => ({ cell: p.src * this.#nodes + p.dst, src: p.src, dst: p.dst, minor: minors[i]! }));
    this.#faults.set(fault, { kind, shaper, rank, entries, minorByCell: new Map(entries.map((e) => [e.cell, e.minor])) });
  }

  #apply(registered: Registered, fault: Fault): void {
    for (const entry of registered.entries) {
      const other = this.#owners.get(entry.cell)?.find((owner) => owner.kind !== registered.kind);
      if (other !== undefined) {
        throw new NotSupportedError(
          `${fault.kind} "${fault.name}": a pair cannot be under a ${registered.kind} and a ${other.kind} fault at once: ` +
            'delayed frames reach the destination link past its qdisc (AF_XDP transmit), where the rate limit lives',
          { hint: `heal the ${other.kind} fault on that pair first; loss and partitions compose with either` },
        );
      }
    }
    for (const entry of registered.entries) {
      const owners = this.#owners.get(entry.cell) ?? [];
      owners.push(registered);
      this.#owners.set(entry.cell, owners);
      this.#write(entry, owners, registered.shaper);
    }
  }

  #heal(registered: Registered): void {
    for (const entry of registered.entries) {
      const owners = (this.#owners.get(entry.cell) ?? []).filter((owner) => owner !== registered);
      if (owners.length === 0) this.#owners.delete(entry.cell);
      else this.#owners.set(entry.cell, owners);
      this.#write(entry, owners, registered.shaper);
    }
  }

  /**
   * The cell goes to the lowest-ranked active owner (the latest applied on a tie), or back to
   * unshaped. Owners of a cell are all of one kind, so they share `shaper`.
   */
  #write(entry: Entry, owners: readonly Registered[], shaper: TrafficShaper): void {
    let best: Registered | undefined;
    for (const owner of owners) if (best === undefined || owner.rank <= best.rank) best = owner;
    const minor = best === undefined ? 0 : best.minorByCell.get(entry.cell)!;
    shaper.setPair(entry.src, entry.dst, minor);
  }
}
