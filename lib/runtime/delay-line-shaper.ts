/**
 * The run's delay line (lib/native/delay-line.ts) as a TrafficShaper: loaded on
 * the first delay fault the netem engine cannot carry. Defining a fault makes
 * its pieces now — one profile, an AF_XDP socket on the bridge-side veth of each
 * source and destination, the program on each source's veth, and complete
 * frames (no checksum or segmentation offload) on each source's eth0 — so that
 * applying and healing only point the pairs' cells at the profile or at 0.
 * close() (teardown, after every fault was healed) detaches the program, stops
 * the thread and frees sockets and umem.
 */
import type { Logger } from 'pino';
import { SpecError } from '../errors.js';
import type { ClassSpec, ShapedPair, TrafficShaper } from '../faults/traffic-classes.js';
import { DelayLine, MAX_DELAY_PROFILE, type DelayLineCounters } from '../native/delay-line.js';
import { names } from '../host/names.js';
import type { NetworkManager } from './network-manager.js';
import { PairEngineLoader } from './pair-engine-loader.js';

export class RunDelayLine implements TrafficShaper {
  readonly #runId: string;
  readonly #network: NetworkManager;
  readonly #logger: Logger;
  readonly #line: PairEngineLoader<DelayLine>;
  /** Node index → the work that made it part of the line (socket, program, offloads). */
  readonly #links = new Map<number, Promise<void>>();
  #nextProfile = 1;
  #closed = false;

  constructor(runId: string, network: NetworkManager, logger: Logger) {
    this.#runId = runId;
    this.#network = network;
    this.#logger = logger.child({ component: 'delay_line' });
    this.#line = new PairEngineLoader(network, (maxNodes) => DelayLine.load(maxNodes));
  }

  createClasses(pairs: readonly ShapedPair[], spec: ClassSpec): Promise<number[]> {
    if (this.#closed) return Promise.reject(new SpecError('delay line: the run is over', { hint: 'define faults inside the test function' }));
    if (spec.delay === undefined) return Promise.reject(new TypeError('delay line: a class without delay parameters'));
    if (this.#nextProfile > MAX_DELAY_PROFILE) {
      return Promise.reject(new SpecError(`delay line: more than ${MAX_DELAY_PROFILE} delay faults in one run`, { hint: 'define fewer delay faults' }));
    }
    const id = this.#nextProfile++;
    const line = this.#line.get();
    const sources = new Set(pairs.map((p) => p.src));
    const work = [...new Set([...sources, ...pairs.map((p) => p.dst)])].map((node) => this.#link(line, node, sources.has(node)));
    const profile = spec.delay;
    return Promise.all([line.then((l) => l.setProfile(id, profile)), ...work]).then(() => pairs.map(() => id));
  }

  setPair(src: number, dst: number, id: number): void {
    // Only called for faults whose pieces exist, so the line is loaded.
    this.#line.loaded!.setPair(src, dst, id);
  }

  /** The line's counters, or undefined when no delay fault used it. */
  counters(): DelayLineCounters | undefined {
    const line = this.#line.loaded;
    return line?.closed === false ? line.counters() : undefined;
  }

  /** Teardown: wait for work in flight, then detach, stop and free everything. */
  async close(): Promise<void> {
    this.#closed = true;
    if (!this.#line.started) return;
    await Promise.allSettled(this.#links.values());
    let line: DelayLine;
    try {
      line = await this.#line.get();
    } catch {
      return; // never loaded: nothing to free
    }
    const counters = line.counters();
    const errors = await line.close();
    this.#logger.debug({ counters }, 'delay line removed');
    if (errors.length > 0) throw errors.length === 1 ? errors[0] : new AggregateError(errors, 'delay line teardown failed');
  }

  /** Node `index` joins the line once; as a source its eth0 also sends complete frames (before any frame is taken). */
  #link(line: Promise<DelayLine>, index: number, source: boolean): Promise<void> {
    const key = source ? -1 - index : index;
    let done = this.#links.get(key);
    if (done === undefined) {
      const joined = this.#links.get(index) ?? line.then((l) => l.addLink(names.hostVeth(this.#runId, index), index, this.#network.switchNetns));
      this.#links.set(index, joined);
      done = source ? joined.then(() => line).then((l) => l.completeFrames(this.#netnsOf(index), names.nodeIf)) : joined;
      this.#links.set(key, done);
    }
    return done;
  }

  #netnsOf(index: number): string {
    if (index === 0) return this.#network.runnerNetns;
    const node = this.#network.nodes.find((n) => n.index === index);
    if (node === undefined) throw new Error(`delay line: no node with index ${index}`);
    return node.netns;
  }
}
