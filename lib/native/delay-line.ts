/**
 * The addon's delay line (native/delay_engine.cc, native/delay_line.cc,
 * bpf/delay.bpf.c): an XDP program on the bridge-side veth of each delayed
 * source sends the frames of delayed pairs into an AF_XDP socket; a thread of
 * the addon holds them until due and transmits them on the destination's
 * bridge-side veth. The pair map is shared memory: pointing a pair at a profile
 * (apply) or back at 0 (heal) is one store, no syscall.
 */
import { StateError } from '../errors.js';
import { addon, type DelayLineCounters, type DelayNativeEngine, type DelayProfileParams } from './addon.js';
import { callNative, callNativeSync, isGoneError } from './errors.js';
import { checkMaxNodes, checkNodeAddress, PairCells } from './pair-map.js';

export type { DelayLineCounters, DelayProfileParams };

/** Profile ids are 1..65535 (0 = not delayed). */
export const MAX_DELAY_PROFILE = 0xffff;

export class DelayLine {
  readonly maxNodes: number;
  #native: DelayNativeEngine | undefined;
  /** The pair map: each pair's profile id. */
  readonly #cells: PairCells;
  /** Bridge-side veths with the program attached (detached at close), with their namespace. */
  readonly #attached = new Map<string, string>();

  private constructor(native: DelayNativeEngine) {
    this.#native = native;
    this.maxNodes = native.maxNodes;
    this.#cells = new PairCells(native.pairBuffer(), this.maxNodes);
  }

  /** Load the program and start the line's thread, for `maxNodes` node indexes (runner included). */
  static async load(maxNodes: number): Promise<DelayLine> {
    checkMaxNodes('delay line', maxNodes);
    return new DelayLine(await callNative(() => addon().delayLoadLine(maxNodes)));
  }

  get closed(): boolean {
    return this.#native === undefined;
  }

  setNodeAddress(ipv4: string, index: number): void {
    const native = this.#open('set node address');
    checkNodeAddress('delay line', ipv4, index, this.maxNodes);
    callNativeSync(() => native.setNodeAddress(ipv4, index));
  }

  setProfile(id: number, profile: DelayProfileParams): void {
    const native = this.#open('set profile');
    callNativeSync(() => native.setProfile(id, profile));
  }

  /**
   * Make node `node`'s bridge-side veth (in `netns`, default the host namespace) part of the line: an AF_XDP
   * socket on it (frames from the node enter there, frames to it leave there) and
   * the program attached, in that order, so no frame is redirected to a missing socket.
   */
  async addLink(ifname: string, node: number, netns = ''): Promise<void> {
    const native = this.#open('add link');
    await callNative(() => native.addLink(ifname, node, netns));
    if (!this.#attached.has(ifname)) {
      this.#attached.set(ifname, netns);
      await callNative(() => addon().xdpAttach(native.progFd, netns, ifname));
    }
  }

  /** Frames leaving `ifname` in `netns` carry full checksums and one MTU at most (the line copies bytes). */
  async completeFrames(netns: string, ifname: string): Promise<void> {
    this.#open('complete frames');
    await callNative(() => addon().linkDisableTxOffload(netns, ifname));
  }

  /** Delay src → dst by profile `id` (0 = not delayed). A store into shared memory. */
  setPair(src: number, dst: number, id: number): void {
    if (this.#native === undefined) throw new StateError('delay line: setPair after close()', { hint: 'the run is over' });
    this.#cells.set(src, dst, id);
  }

  pairProfile(src: number, dst: number): number {
    this.#open('pair profile');
    return this.#cells.get(src, dst);
  }

  counters(): DelayLineCounters {
    const native = this.#open('counters');
    return callNativeSync(() => native.counters());
  }

  /**
   * Detach the program from every link still there, then stop the thread and free
   * sockets, umem, maps and program. Idempotent. Returns the errors of detaching
   * (a link already gone is not one).
   */
  async close(): Promise<unknown[]> {
    const native = this.#native;
    this.#native = undefined;
    if (native === undefined) return [];
    const errors: unknown[] = [];
    await Promise.all(
      [...this.#attached].map(async ([ifname, netns]) => {
        try {
          await callNative(() => addon().xdpDetach(native.progFd, netns, ifname));
        } catch (error) {
          if (!isGoneError(error)) errors.push(error);
        }
      }),
    );
    this.#attached.clear();
    await callNative(() => native.close());
    return errors;
  }

  #open(what: string): DelayNativeEngine {
    if (!this.#native) throw new StateError(`delay line: ${what} after close()`, { hint: 'the run is over; faults cannot change now' });
    return this.#native;
  }
}
