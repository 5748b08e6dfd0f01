/**
 * Traffic control of a run, native half (native/qdisc.cc, native/shape.cc):
 * the traffic-class classifier (bpf/shape.bpf.c) whose class map JS writes
 * directly, the root HTB qdisc + cls_bpf filter on a host-side veth, HTB
 * classes with their leaf qdiscs, and the probe of what the kernel offers.
 * Setting a pair's class is a store into shared memory (no syscall).
 */
import { isIPv4 } from 'node:net';
import { SpecError, StateError } from '../errors.js';
import { addon, type ShapeNativeEngine, type TrafficClass, type NetemParams, type TrafficControlSupport } from './addon.js';
import { callNative, callNativeSync } from './errors.js';

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
  /** u32 view of the class map: cell c's minor is at index 2c (u64 slots, little endian). */
  readonly #cells: Uint32Array;

  private constructor(native: ShapeNativeEngine) {
    this.#native = native;
    this.maxNodes = native.maxNodes;
    this.#cells = new Uint32Array(native.classBuffer(), 0, this.maxNodes * this.maxNodes * 2);
  }

  /** Load (not attach) the classifier for `maxNodes` node indexes (runner included). */
  static async load(maxNodes: number): Promise<ShapeEngine> {
    if (!Number.isInteger(maxNodes) || maxNodes < 1 || maxNodes > 4096) {
      throw new SpecError(`shaping engine: invalid maxNodes ${maxNodes}`, { hint: 'use an integer from 1 to 4096' });
    }
    const native = await callNative(() => addon().shapeLoadEngine(maxNodes));
    return new ShapeEngine(native);
  }

  get closed(): boolean {
    return this.#native === undefined;
  }

  setNodeAddress(ipv4: string, index: number): void {
    const native = this.#open('set node address');
    if (!isIPv4(ipv4)) throw new SpecError(`shaping engine: "${ipv4}" is not an IPv4 address`, { hint: 'give a dotted quad' });
    if (!Number.isInteger(index) || index < 0 || index >= this.maxNodes) {
      throw new SpecError(`shaping engine: node index ${index} out of range`, { hint: `0..${this.maxNodes - 1}` });
    }
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
    const cells = this.#cells;
    if (this.#native === undefined) throw new StateError('shaping engine: setPair after close()', { hint: 'the run is over' });
    cells[(src * this.maxNodes + dst) * 2] = minor;
  }

  /** The class of src → dst now (0 = unshaped). */
  pairClass(src: number, dst: number): number {
    this.#open('pair class');
    return this.#cells[(src * this.maxNodes + dst) * 2]!;
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
