/**
 * What a fault *is*: a function that fills a policy (cuts and losses between
 * node indexes). It runs once, when the fault handle is created; the result is
 * kept as compact arrays so applying or healing a fault only replays numbers
 * into one PolicyMatrix and commits it (faults are data, never programs).
 */
import { SpecError } from '../errors.js';

/** Node index of the runner's namespace (port forwards, t.http, probes). Cluster nodes are 1..n. */
export const RUNNER_INDEX = 0;

/** The part of PolicyMatrix a fault kind writes to. */
export interface PolicyWriter {
  /** Number of node indexes, runner included. */
  readonly nodes: number;
  /** Drop every packet from `src` to `dst`. */
  cut(src: number, dst: number): void;
  /** Drop `percent` (0..100) of packets from `src` to `dst`. */
  setLoss(src: number, dst: number, percent: number): void;
}

/** A fault kind: writes its policy. Must be pure: same inputs, same writes. */
export type PolicyFill = (policy: PolicyWriter) => void;

/** A fault's precomputed policy: cuts as flat src,dst pairs; losses as src,dst,percent triples. */
export class RecordedPolicy implements PolicyWriter {
  readonly nodes: number;
  #cuts: number[] = [];
  #losses: number[] = [];
  cuts: Uint16Array = new Uint16Array(0);
  losses: Float64Array = new Float64Array(0);

  private constructor(nodes: number) {
    this.nodes = nodes;
  }

  static record(nodes: number, fill: PolicyFill): RecordedPolicy {
    const policy = new RecordedPolicy(nodes);
    fill(policy);
    policy.cuts = Uint16Array.from(policy.#cuts);
    policy.losses = Float64Array.from(policy.#losses);
    policy.#cuts = [];
    policy.#losses = [];
    return policy;
  }

  #check(src: number, dst: number, what: string): void {
    const ok = (i: number) => Number.isInteger(i) && i >= 0 && i < this.nodes;
    if (!ok(src) || !ok(dst)) {
      throw new SpecError(`${what}(${src}, ${dst}): node index out of range 0..${this.nodes - 1}`, {
        hint: 'fault kinds must only use node indexes of this run (0 is the runner)',
      });
    }
  }

  cut(src: number, dst: number): void {
    this.#check(src, dst, 'cut');
    if (src !== dst) this.#cuts.push(src, dst);
  }

  setLoss(src: number, dst: number, percent: number): void {
    this.#check(src, dst, 'setLoss');
    if (!(percent >= 0 && percent <= 100)) {
      throw new SpecError(`setLoss(${src}, ${dst}, ${percent}): loss must be a percentage from 0 to 100`, { hint: 'e.g. 30 for 30 %' });
    }
    if (src !== dst && percent > 0) this.#losses.push(src, dst, percent);
  }

  /** Replay into `target` (the combined matrix of all active faults). */
  writeTo(target: PolicyWriter): void {
    const cuts = this.cuts;
    for (let i = 0; i < cuts.length; i += 2) target.cut(cuts[i]!, cuts[i + 1]!);
    const losses = this.losses;
    for (let i = 0; i < losses.length; i += 3) target.setLoss(losses[i]!, losses[i + 1]!, losses[i + 2]!);
  }
}
