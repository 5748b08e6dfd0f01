/**
 * The run's traffic shaping, over the addon (lib/native/shape-engine.ts): the
 * classifier is loaded on the first slow-link fault, a destination's bridge-side
 * veth gets its root HTB qdisc and classifier when the first class on it is
 * created, and close() (teardown, after every fault was healed) deletes those
 * root qdiscs — classes, leaves and filters with them — and unloads the
 * classifier. Runs without slow-link faults never touch traffic control.
 */
import type { Logger } from 'pino';
import { SpecError } from '../errors.js';
import type { ClassSpec, ShapedPair, TrafficShaper } from '../faults/traffic-classes.js';
import type { TrafficClass } from '../native/addon.js';
import { ShapeEngine } from '../native/shape-engine.js';
import { isGoneError } from '../native/errors.js';
import { names } from '../host/names.js';
import type { NetworkManager } from './network-manager.js';
import { PairEngineLoader } from './pair-engine-loader.js';

/** Queue of a bandwidth class's leaf: 100 ms at the rate, at least 16 full frames. */
const LEAF_QUEUE_SECONDS = 0.1;
const MIN_LEAF_BYTES = 16 * 1_514;
/** Token bucket: 5 ms at the rate, at least two full frames (tc's default is rate/HZ + MTU); a shallower bucket loses rate to timer latency on a busy host. */
const BURST_SECONDS = 0.005;
const MIN_BURST_BYTES = 2 * 1_514;
const MAX_MINOR = 0xffff;

export function trafficClass(minor: number, spec: ClassSpec): TrafficClass {
  const rate = spec.rateBytes;
  return {
    minor,
    rateBytes: rate,
    burstBytes: Math.max(MIN_BURST_BYTES, Math.ceil(rate * BURST_SECONDS)),
    limitBytes: Math.max(MIN_LEAF_BYTES, Math.ceil(rate * LEAF_QUEUE_SECONDS)),
    ...(spec.netem ? { netem: spec.netem } : {}),
  };
}

export class RunTrafficShaper implements TrafficShaper {
  readonly #runId: string;
  readonly #network: NetworkManager;
  readonly #logger: Logger;
  readonly #engine: PairEngineLoader<ShapeEngine>;
  /** Per destination link: the chain of its netlink work (setup first, then classes in order). */
  readonly #links = new Map<string, Promise<void>>();
  readonly #nextMinor = new Map<string, number>();
  #closed = false;

  constructor(runId: string, network: NetworkManager, logger: Logger) {
    this.#runId = runId;
    this.#network = network;
    this.#logger = logger.child({ component: 'traffic_shaper' });
    this.#engine = new PairEngineLoader(network, (maxNodes) => ShapeEngine.load(maxNodes));
  }

  createClasses(pairs: readonly ShapedPair[], spec: ClassSpec): Promise<number[]> {
    if (this.#closed) return Promise.reject(new SpecError('traffic shaping: the run is over', { hint: 'define faults inside the test function' }));
    const engine = this.#engine.get();
    const minors: number[] = [];
    const byLink = new Map<string, ReturnType<typeof trafficClass>[]>();
    for (const pair of pairs) {
      const link = names.hostVeth(this.#runId, pair.dst);
      const minor = this.#nextMinor.get(link) ?? 1;
      if (minor > MAX_MINOR) {
        return Promise.reject(new SpecError(`traffic shaping: more than ${MAX_MINOR} slow-link classes toward one node`, { hint: 'define fewer slow-link faults' }));
      }
      this.#nextMinor.set(link, minor + 1);
      minors.push(minor);
      const list = byLink.get(link) ?? [];
      list.push(trafficClass(minor, spec));
      byLink.set(link, list);
    }
    const work = [...byLink].map(([link, classes]) => {
      const netns = this.#network.switchNetns;
      const previous = this.#links.get(link) ?? engine.then((e) => e.setupLink(link, netns));
      const next = previous.then(() => engine).then((e) => e.addClasses(link, classes, netns));
      this.#links.set(link, next.catch(() => undefined).then(() => previous)); // a failed batch does not poison the link
      return next;
    });
    return Promise.all(work).then(() => minors);
  }

  setPair(src: number, dst: number, minor: number): void {
    // Only called for faults whose classes exist, so the engine is loaded.
    this.#engine.loaded!.setPair(src, dst, minor);
  }

  /** Teardown: wait for work in flight, remove every root qdisc we added, unload. Returns the errors. */
  async close(): Promise<void> {
    this.#closed = true;
    const links = [...this.#links];
    const errors: unknown[] = [];
    await Promise.all(
      links.map(async ([link, chain]) => {
        try {
          await chain;
          await (await this.#engine.get()).removeLink(link, this.#network.switchNetns);
        } catch (error) {
          if (!isGoneError(error)) errors.push(error);
        }
      }),
    );
    if (this.#engine.started) {
      try {
        (await this.#engine.get()).close();
      } catch (error) {
        errors.push(error);
      }
    }
    this.#links.clear();
    if (links.length > 0) this.#logger.debug({ links: links.map(([l]) => l) }, 'traffic shaping removed');
    if (errors.length > 0) throw errors.length === 1 ? errors[0] : new AggregateError(errors, 'traffic shaping teardown failed');
  }
}
