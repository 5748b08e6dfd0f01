/**
 * The run's fault engine: one XDP program (bpf/fault.bpf.c) whose policy lives
 * in two mmapped map buffers that this class writes directly. Applying or
 * healing any fault is commit(policy): copy the policy into the inactive buffer,
 * flip the active index. No syscall, no program load, a few microseconds.
 *
 * Atomicity: the program reads the active index once per packet and judges the
 * packet on that buffer only, so a packet sees the whole old or the whole new
 * policy. The control word is a seqlock (see bpf/fault.bpf.c, judge()): the
 * sequence is odd while a buffer is being filled, and a packet whose judgment
 * overlapped the rewrite of *its* buffer (possible when two commits follow each
 * other within the ~100 ns the program needs) is judged again, up to
 * PK_SEQ_RETRIES times. Residual race: a packet that overlaps that many
 * back-to-back commits keeps its last verdict, which may mix two policies; it
 * needs commits faster than one per program run, which a test never does.
 * Ordering: JS Atomics.store is sequentially consistent and the program's loads
 * are ordered on x86 (TSO); a weakly ordered CPU would need a read barrier there.
 */
import { isIPv4 } from 'node:net';
import { SpecError, StateError } from '../errors.js';
import { addon, type XdpNativeEngine } from './addon.js';
import { callNative, callNativeSync } from './errors.js';
import { POLICY_LAYOUT, PolicyMatrix, type WrittenLoss } from './policy-matrix.js';

export interface NodeCounters {
  passed: bigint;
  dropped: bigint;
}

export interface FaultEngineOptions {
  /** Node indexes the program covers, runner (index 0) included. */
  maxNodes: number;
}

// Offsets of the control word (u32 units), mirrors of pakostii_shared.h.
const CTL_ACTIVE = 0;
const CTL_SEQ = 1;

export const XDP_ACTION = Object.freeze({ aborted: 0, drop: 1, pass: 2 });

const NO_LOSS: WrittenLoss = Object.freeze({ cells: [], rows: [] });

export class FaultEngine {
  readonly maxNodes: number;
  /** Time the kernel took to verify and load the program, in ms. */
  readonly loadMs: number;
  #native: XdpNativeEngine | undefined;
  readonly #control: Int32Array;
  readonly #buffers: readonly [Uint32Array, Uint32Array];
  /** Where each buffer holds loss cells (written by its last commit): the next commit into it zeroes exactly those. */
  readonly #written: [WrittenLoss, WrittenLoss] = [NO_LOSS, NO_LOSS];
  #seq = 0;

  private constructor(native: XdpNativeEngine) {
    this.#native = native;
    this.maxNodes = native.maxNodes;
    this.loadMs = native.loadMs;
    const words = POLICY_LAYOUT.bufferWords(this.maxNodes) * 2;
    const policy = native.policyBuffer();
    this.#buffers = [new Uint32Array(policy, 0, words), new Uint32Array(policy, words * 4, words)];
    this.#control = new Int32Array(native.controlBuffer(), 0, 2);
    this.#seq = Atomics.load(this.#control, CTL_SEQ);
  }

  /** Load (not attach) the program, sized for `maxNodes` node indexes (runner included). */
  static async load(options: FaultEngineOptions): Promise<FaultEngine> {
    const { maxNodes } = options;
    if (!Number.isInteger(maxNodes) || maxNodes < 1 || maxNodes > POLICY_LAYOUT.maxNodes) {
      throw new SpecError(`fault engine: invalid maxNodes ${maxNodes}`, {
        hint: `use an integer from 1 to ${POLICY_LAYOUT.maxNodes} (nodes + 1 for the runner)`,
      });
    }
    const native = await callNative(() => addon().xdpLoadEngine(maxNodes));
    return new FaultEngine(native);
  }

  /** True once close() ran. */
  get closed(): boolean {
    return this.#native === undefined;
  }

  /** fd of the loaded program, for provisionNodeLink's in-namespace attach. */
  get progFd(): number {
    return this.#open('prog fd').progFd;
  }

  /** A policy sized for this engine. */
  createPolicy(): PolicyMatrix {
    return new PolicyMatrix(this.maxNodes);
  }

  /** Map an IPv4 address to a node index (done at provisioning, not on the fault path). */
  setNodeAddress(ipv4: string, index: number): void {
    const native = this.#open('set node address');
    checkIpv4('setNodeAddress', ipv4);
    if (!Number.isInteger(index) || index < 0 || index >= this.maxNodes) {
      throw new SpecError(`fault engine: setNodeAddress(${ipv4}): node index ${index} out of range`, {
        hint: `node indexes go from 0 (the runner) to ${this.maxNodes - 1}`,
      });
    }
    callNativeSync(() => native.setNodeAddress(ipv4, index));
  }

  /** Forget an address: its packets pass unjudged again (counted as "outside"). */
  removeNodeAddress(ipv4: string): void {
    const native = this.#open('remove node address');
    checkIpv4('removeNodeAddress', ipv4);
    callNativeSync(() => native.setNodeAddress(ipv4, -1));
  }

  /**
   * Write `policy` into the inactive buffer, then flip the active index: atomic for
   * packets, synchronous, no syscall. Seqlock writer side; see the file comment.
   */
  commit(policy: PolicyMatrix): void {
    this.#open('commit');
    if (policy.nodes !== this.maxNodes) {
      throw new SpecError(`fault engine: commit of a ${policy.nodes}-node policy to a ${this.maxNodes}-node engine`, {
        hint: 'create the policy with engine.createPolicy() or new PolicyMatrix(engine.maxNodes)',
      });
    }
    const control = this.#control;
    const next = (control[CTL_ACTIVE]! & 1) ^ 1;
    const seq = this.#seq;
    Atomics.store(control, CTL_SEQ, (seq + 1) | 0);
    const target = this.#buffers[next]!;
    target.set(policy.bitmapImage);
    // Zero the losses an earlier policy left in this buffer, then write this one's: work in
    // proportion to the losses, never the whole nodes² region.
    const old = this.#written[next]!;
    for (const at of old.cells) target[at] = 0;
    for (const base of old.rows) target.fill(0, base, base + this.maxNodes);
    this.#written[next] = policy.writeLossInto(target);
    Atomics.store(control, CTL_ACTIVE, next);
    this.#seq = (seq + 2) | 0;
    Atomics.store(control, CTL_SEQ, this.#seq);
  }

  /** Per node index (0..maxNodes-1): packets passed/dropped at its ingress. */
  counters(): NodeCounters[] {
    const raw = callNativeSync(() => this.#open('counters').counters());
    const out: NodeCounters[] = [];
    for (let i = 0; i < this.maxNodes; i++) out.push({ passed: raw[2 * i]!, dropped: raw[2 * i + 1]! });
    return out;
  }

  /** Packets whose destination is no node of the run (they are never dropped). */
  outsideCounters(): NodeCounters {
    const raw = callNativeSync(() => this.#open('counters').counters());
    return { passed: raw[2 * this.maxNodes]!, dropped: raw[2 * this.maxNodes + 1]! };
  }

  /** Attach the program to `ifname` inside `netns` ("" = the host namespace), in generic XDP mode. */
  async attach(netns: string, ifname: string): Promise<void> {
    const fd = this.progFd;
    await callNative(() => addon().xdpAttach(fd, netns, ifname));
  }

  /** Detach the program from `ifname` inside `netns`, if it is the one attached. */
  async detach(netns: string, ifname: string): Promise<void> {
    const fd = this.progFd;
    await callNative(() => addon().xdpDetach(fd, netns, ifname));
  }

  /**
   * Test hook: BPF_PROG_TEST_RUN of one Ethernet frame against the live maps; the
   * program sees its first `visible` bytes. Returns the XDP action (XDP_ACTION).
   * @internal
   */
  testRun(frame: Uint8Array, visible = frame.length): number {
    const native = this.#open('test run');
    return callNativeSync(() => native.testRun(frame, visible));
  }

  /** Test hook: `repeat` runs of one frame on a pool thread (JS stays free to commit). @internal */
  async testRunRepeat(frame: Uint8Array, repeat: number): Promise<{ action: number; durationNs: number }> {
    const native = this.#open('test run');
    return callNative(() => native.testRunRepeat(frame, repeat));
  }

  /** Close the program and maps (an attached program lives on until its interfaces go). Idempotent. */
  close(): void {
    const native = this.#native;
    this.#native = undefined;
    native?.close();
  }

  #open(what: string): XdpNativeEngine {
    if (!this.#native) {
      throw new StateError(`fault engine: ${what} after close()`, { hint: 'the run is over; faults cannot change now' });
    }
    return this.#native;
  }
}

function checkIpv4(op: string, ipv4: string): void {
  if (!isIPv4(ipv4)) throw new SpecError(`fault engine: ${op}: "${ipv4}" is not an IPv4 address`, { hint: 'give a dotted quad like 198.18.0.5' });
}
