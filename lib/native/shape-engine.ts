/**
 * Traffic control of a run, native half (native/qdisc.cc, native/shape.cc):
 * the traffic-class classifier (bpf/shape.bpf.c) whose class map JS writes
 * directly, the root HTB qdisc + cls_bpf filter on a host-side veth, HTB
 * classes with their leaf qdiscs, and the probe of what the kernel offers.
 * Setting a pair's class is a store into shared memory (no syscall).
 */
import { StateError } from '../errors.js';
import { addon, type ShapeNativeEngine, type TrafficClass, type NetemParams, type TrafficControlSupport } from './addon.js';
import { callNative, callNativeSync } from './errors.js';
import { checkMaxNodes, checkNodeAddress, PairCells } from './pair-map.js';

/** Probe the kernel once: htb, tbf, netem, cls_bpf, AF_XDP. Creates nothing that outlives the call. */
export async function probeTrafficControl(): Promise<TrafficControlSupport> {
  return callNative(() => addon().tcProbeKinds());
}

/** The RTM_NEWQDISC request the netem engine sends for `spec` (tests parse it back). @internal */
export function netemRequest(spec: NetemParams & { ifindex?: number; parent?: number; handle?: number }): Uint8Array {
  return callNativeSync(() => addon().tcNetemRequest(spec));
}

export class ShapeEngine {
  readonly maxNodes: number;
  #native: ShapeNativeEngine | undefined;
  /** The class map: each pair's class minor. */
  readonly #cells: PairCells;

  private constructor(native: ShapeNativeEngine) {
    this.#native = native;
    this.maxNodes = native.maxNodes;
    this.#cells = new PairCells(native.classBuffer(), this.maxNodes);
  }

  /** Load (not attach) the classifier for `maxNodes` node indexes (runner included). */
  static async load(maxNodes: number): Promise<ShapeEngine> {
    checkMaxNodes('shaping engine', maxNodes);
    const native = await callNative(() => addon().shapeLoadEngine(maxNodes));
    return new ShapeEngine(native);
  }

  get closed(): boolean {
    return this.#native === undefined;
  }

  setNodeAddress(ipv4: string, index: number): void {
    const native = this.#open('set node address');
    checkNodeAddress('shaping engine', ipv4, index, this.maxNodes);
    callNativeSync(() => native.setNodeAddress(ipv4, index));
  }

  /** Root HTB 1: plus the classifier on `ifname` in `netns` (default: the host namespace). */
  async setupLink(ifname: string, netns = ''): Promise<void> {
    const fd = this.#open('setup link').progFd;
    await callNative(() => addon().tcSetupShaping(ifname, fd, netns));
  }

  /** HTB classes under 1: of `ifname` in `netns`, with their leaves, in one hop. */
  async addClasses(ifname: string, classes: TrafficClass[], netns = ''): Promise<void> {
    this.#open('add classes');
    await callNative(() => addon().tcAddClasses(ifname, classes, netns));
  }

  /** Delete the root qdisc of `ifname` in `netns` (classes, leaves and the filter go with it). */
  async removeLink(ifname: string, netns = ''): Promise<void> {
    await callNative(() => addon().tcRemoveRoot(ifname, netns));
  }

  /** Send src → dst through class `minor` of dst's link (0 = unshaped). A store into shared memory. */
  setPair(src: number, dst: number, minor: number): void {
    if (this.#native === undefined) throw new StateError('shaping engine: setPair after close()', { hint: 'the run is over' });
    this.#cells.set(src, dst, minor);
  }

  /** The class of src → dst now (0 = unshaped). */
  pairClass(src: number, dst: number): number {
    this.#open('pair class');
    return this.#cells.get(src, dst);
  }

  /** Unmap and unload (filters still attached keep the program until their qdisc goes). Idempotent. */
  close(): void {
    const native = this.#native;
    this.#native = undefined;
    native?.close();
  }

  #open(what: string): ShapeNativeEngine {
    if (!this.#native) throw new StateError(`shaping engine: ${what} after close()`, { hint: 'the run is over; faults cannot change now' });
    return this.#native;
  }
}
