/**
 * Nemesis: a schedule of faults over time, recorded in the same history as the
 * clients' operations (process `'nemesis'`, with each fault's planned and
 * actual time). A Nemesis makes its schedule (a generator whose operations
 * carry their planned time `at`), performs one operation at a time, and heals
 * everything it did when asked — always, at the end of the workload.
 */
import { messageOf } from '../errors.js';
import type { Logger } from 'pino';
import type { HistoryRecorder } from '../history/recorder.js';
import type { NetworkFaultHandle } from '../faults/network-fault.js';
import type { ContainersHandle } from '../faults/process-faults.js';
import { PENDING, type GenContext, type Generator, type Op, type Pending } from './generator.js';
import type { Random } from './random.js';
import { sleepUntil } from './timing.js';

/** What a nemesis can break: the run's nodes, network faults and containers. */
export interface NemesisEnv {
  readonly nodes: readonly string[];
  /** The services of a node, in spec order. */
  services(node: string): readonly string[];
  readonly partition: {
    isolateNode(name: string, node: string): NetworkFaultHandle;
    randomHalves(name: string, seed: number | string): NetworkFaultHandle;
    majoritiesRing(name: string, seed?: number | string): NetworkFaultHandle;
    halves(name: string): NetworkFaultHandle;
    bridge(name: string): NetworkFaultHandle;
    between(name: string, groupA: string | string[], groupB: string | string[]): NetworkFaultHandle;
  };
  readonly containers: Pick<ContainersHandle, 'kill' | 'stop' | 'start' | 'pause' | 'resume'>;
  readonly logger: Logger;
}

export interface Nemesis {
  readonly name: string;
  /** Check options against the cluster (a SpecError before anything runs) and make the schedule. */
  schedule(env: NemesisEnv): Generator;
  /** Perform one scheduled operation; resolves with the completion's value. */
  invoke(op: Op, env: NemesisEnv): Promise<unknown>;
  /** Undo whatever is still in effect (heal, restart, resume); resolves with what was done. */
  heal(env: NemesisEnv): Promise<unknown>;
}

/** Several nemeses on one timeline: always the earliest planned operation next. */
export function composeNemesis(...parts: Nemesis[]): Nemesis {
  const owner = new WeakMap<Op, Nemesis>();
  return {
    name: parts.map((p) => p.name).join('+'),
    schedule(env) {
      return new Earliest(parts.map((p) => ({ nemesis: p, generator: p.schedule(env) })), owner);
    },
    invoke(op, env) {
      const nemesis = owner.get(op);
      if (nemesis === undefined) return Promise.reject(new Error(`no nemesis scheduled ${op.f}`));
      return nemesis.invoke(op, env);
    },
    async heal(env) {
      // Every part heals even when an earlier one failed; the failures are raised together afterwards.
      const healed: unknown[] = [];
      const errors: unknown[] = [];
      for (const part of parts) {
        try {
          healed.push(await part.heal(env));
        } catch (error) {
          errors.push(error);
        }
      }
      if (errors.length > 0) throw new AggregateError(errors, `nemesis heal failed: ${errors.map(messageOf).join('; ')}`);
      return healed.flat();
    },
  };
}

class Earliest implements Generator {
  readonly #peeked: Array<Op | undefined | Pending> = [];
  readonly #randoms: Random[] = [];
  constructor(
    readonly parts: ReadonlyArray<{ nemesis: Nemesis; generator: Generator }>,
    readonly owner: WeakMap<Op, Nemesis>,
  ) {}
  next(ctx: GenContext): Op | Pending | undefined {
    let best = -1;
    let pending = false;
    this.parts.forEach((part, i) => {
      this.#randoms[i] ??= ctx.random.fork(`part ${i}`);
      let op = this.#peeked[i];
      if (op === undefined || op === PENDING) {
        op = part.generator.next({ ...ctx, random: this.#randoms[i]!, wakeAt: ctx.wakeAt });
        this.#peeked[i] = op;
      }
      if (op === PENDING) pending = true;
      else if (op !== undefined && (best < 0 || (op.at ?? 0) < ((this.#peeked[best] as Op).at ?? 0))) best = i;
    });
    if (best < 0) return pending ? PENDING : undefined;
    const op = this.#peeked[best] as Op;
    this.#peeked[best] = PENDING; // ask again next time
    this.owner.set(op, this.parts[best]!.nemesis);
    return op;
  }
  fresh(): Generator {
    return new Earliest(this.parts.map((p) => ({ nemesis: p.nemesis, generator: p.generator.fresh() })), this.owner);
  }
}

/** Drives a nemesis schedule on process 'nemesis' until stopped. */
export class NemesisRunner {
  readonly #nemesis: Nemesis;
  readonly #env: NemesisEnv;
  readonly #recorder: HistoryRecorder;
  readonly #generator: Generator;
  readonly #random: Random;
  readonly #stop = new AbortController();
  #done: Promise<void> | undefined;
  /** |actual − planned| of each scheduled operation, ns (for the timing report and the bench). */
  readonly timingErrorsNs: number[] = [];

  constructor(nemesis: Nemesis, env: NemesisEnv, recorder: HistoryRecorder, random: Random) {
    this.#nemesis = nemesis;
    this.#env = env;
    this.#recorder = recorder;
    this.#random = random;
    this.#generator = nemesis.schedule(env);
  }

  start(signal: AbortSignal): void {
    const onAbort = (): void => this.#stop.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    this.#done = this.#loop().finally(() => signal.removeEventListener('abort', onAbort));
  }

  /** Stop scheduling; resolves once the operation in flight (if any) completed. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#done;
  }

  /** Heal everything, recorded as one nemesis operation `heal`. */
  async heal(): Promise<void> {
    const recorder = this.#recorder;
    recorder.invoke('nemesis', 'heal', null);
    try {
      const value = await this.#nemesis.heal(this.#env);
      recorder.ok('nemesis', value ?? null);
    } catch (error) {
      recorder.info('nemesis', null, { error: messageOf(error) });
      throw error;
    }
  }

  async #loop(): Promise<void> {
    const recorder = this.#recorder;
    const stop = this.#stop.signal;
    let wakeAt = Infinity;
    const ctx = {
      time: 0,
      process: 'nemesis' as const,
      thread: 'nemesis' as const,
      node: '',
      random: this.#random,
      timing: this.#random.fork('timing'),
      inFlight: 0,
      concurrency: 1,
      wakeAt: (time: number) => {
        wakeAt = Math.min(wakeAt, time);
      },
    };
    while (!stop.aborted) {
      ctx.time = recorder.now();
      wakeAt = Infinity;
      const op = this.#generator.next(ctx);
      if (op === undefined) return;
      try {
        // A fault's planned time is part of the history: these waits are precise (timing.ts). A
        // wake-up time is usually the next operation's planned time, so that wait is precise too.
        if (op === PENDING) {
          await sleepUntil(recorder, Number.isFinite(wakeAt) ? wakeAt : ctx.time + 100e6, stop, Number.isFinite(wakeAt));
          continue;
        }
        if (op.at !== undefined) await sleepUntil(recorder, op.at, stop, true);
      } catch {
        return; // stopped
      }
      const planned = op.at ?? recorder.now();
      const invoked = recorder.invoke('nemesis', op.f, op.value ?? null, { planned: Math.round(planned) });
      this.timingErrorsNs.push(Math.abs(invoked.time - planned));
      try {
        const value = await this.#nemesis.invoke(op, this.#env);
        recorder.ok('nemesis', value === undefined ? op.value ?? null : value);
      } catch (error) {
        recorder.info('nemesis', op.value ?? null, { error: messageOf(error) });
        this.#env.logger.warn({ err: error, f: op.f }, 'nemesis operation failed');
      }
    }
  }
}
