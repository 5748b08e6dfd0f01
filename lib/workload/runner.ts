/**
 * The client side of a workload: `concurrency` threads, each with one logical
 * process at a time and that process's client. A thread asks the generator for
 * its next operation, waits until the operation's planned time, records the
 * invoke, calls the client, and records the completion — a thrown error or a
 * timeout becomes `info`, which retires the process: the thread closes that
 * client and continues as process + concurrency with a fresh client (the old
 * operation may still be running inside the system), as in Jepsen.
 *
 * Over 300 lines because ClientPool is one state machine: its threads, process
 * retirement and client reopening share the pool's state and read best
 * together; the generator, client and timing contracts live apart.
 */
import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import { messageOf, PakostiiError } from '../errors.js';
import type { HistoryRecorder } from '../history/recorder.js';
import type { HistoryEvent } from '../history/types.js';
import { setImmediate as immediate } from 'node:timers/promises';
import type { Client, Completion, InvokeContext } from './client.js';
import { PENDING, type GenContext, type Generator, type Op } from './generator.js';
import type { Random } from './random.js';
import { sleepUntil } from './timing.js';

export interface ClientPoolOptions {
  recorder: HistoryRecorder;
  logger: Logger;
  /** The run's signal: aborting it stops every thread (in-flight operations end as info). */
  signal: AbortSignal;
  random: Random;
  client: Client<unknown>;
  /** The node of each thread (length = concurrency). */
  nodes: readonly string[];
  opTimeoutMs: number;
  /** The process number of thread 0 (later threads follow). */
  firstProcess: number;
}

interface Thread {
  readonly index: number;
  process: number;
  readonly node: string;
  client: unknown;
  opened: boolean;
  readonly random: Random;
  readonly timing: Random;
  /** The current process's abort controller (timeout or run interrupted; a timeout retires the process). */
  controller: AbortController | undefined;
  /** What invoke() gets for the current process. */
  context: InvokeContext | undefined;
  /** Settles the operation in flight with an info completion when the current process's controller aborts. */
  settleAborted: ((completion: Completion) => void) | undefined;
  /** Why the controller aborts, for the info's error. */
  abortReason: string;
  /** When the operation in flight times out (recorder clock, ns); Infinity when none is. */
  deadline: number;
}

const REOPEN_BACKOFF_MS = [100, 200, 500, 1000];
/**
 * A thread yields to the event loop once this long (ns) has passed since it last
 * did (a synchronous client never would): the nemesis's deadlines, timers and
 * I/O wait at most that long behind a busy dispatch loop.
 */
const YIELD_AFTER_NS = 200_000;

/** Thrown when a client cannot be opened before the workload starts. */
export class ClientOpenError extends PakostiiError {}

export class ClientPool {
  readonly #o: ClientPoolOptions;
  readonly #threads: Thread[];
  #inFlight = 0;
  #waiters: Array<() => void> = [];
  #wakeTimer: NodeJS.Timeout | undefined;
  #wakeTime = Infinity;
  #generator: Generator | undefined;
  /** Follows the run's signal; every waiting thread listens here, not on the run's signal. */
  readonly #stop = new AbortController();

  constructor(options: ClientPoolOptions) {
    this.#o = options;
    setMaxListeners(0, this.#stop.signal);
    this.#threads = options.nodes.map((node, index) => ({
      index,
      process: options.firstProcess + index,
      node,
      client: undefined,
      opened: false,
      random: options.random.fork(`thread ${index}`),
      timing: options.random.fork(`timing ${index}`),
      controller: undefined,
      context: undefined,
      settleAborted: undefined,
      abortReason: '',
      deadline: Infinity,
    }));
  }

  get concurrency(): number {
    return this.#threads.length;
  }

  /** Client operations in flight now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Open every thread's client; on any failure close the opened ones and throw, naming node and process. */
  async open(): Promise<void> {
    const results = await Promise.allSettled(this.#threads.map(async (th) => this.#openThread(th)));
    const failed = results.findIndex((r) => r.status === 'rejected');
    if (failed < 0) return;
    const th = this.#threads[failed]!;
    const reason = (results[failed] as PromiseRejectedResult).reason;
    await this.close();
    throw new ClientOpenError(`workload: client open failed for process ${th.process} on node "${th.node}": ${messageOf(reason)}`, {
      cause: reason,
      hint: 'check the client adapter\'s open(node, process) (addresses, ports, credentials); no operation was issued',
    });
  }

  /** Run `generator` on every thread until it is exhausted (or the run is aborted). */
  async run(generator: Generator): Promise<void> {
    this.#generator = generator;
    const onAbort = (): void => {
      this.#stop.abort(this.#o.signal.reason);
      for (const th of this.#threads) this.#abort(th, 'interrupted: the run was aborted');
      this.#notify();
    };
    if (this.#o.signal.aborted) onAbort();
    this.#o.signal.addEventListener('abort', onAbort, { once: true });
    // One timer checks every thread's deadline, at a tenth of the timeout (no timer per operation).
    const sweepMs = Math.min(100, Math.max(1, Math.floor(this.#o.opTimeoutMs / 10)));
    const sweeper = setInterval(() => this.#sweep(), sweepMs);
    try {
      // A thread that finds the generator exhausted wakes the ones waiting on PENDING, so they see it too.
      await Promise.all(this.#threads.map((th) => this.#loop(th, generator).finally(() => this.#notify())));
    } finally {
      this.#o.signal.removeEventListener('abort', onAbort);
      clearInterval(sweeper);
      clearTimeout(this.#wakeTimer);
      this.#wakeTime = Infinity;
      this.#generator = undefined;
      this.#notify();
    }
  }

  /** Close every open client (errors logged). */
  async close(): Promise<void> {
    await Promise.all(this.#threads.map((th) => this.#closeClient(th)));
  }

  async #openThread(th: Thread): Promise<void> {
    th.client = await this.#o.client.open(th.node, th.process);
    th.opened = true;
  }

  async #closeClient(th: Thread): Promise<void> {
    if (!th.opened) return;
    th.opened = false;
    const client = th.client;
    th.client = undefined;
    try {
      await this.#o.client.close?.(client);
    } catch (error) {
      this.#o.logger.warn({ err: error, process: th.process, node: th.node }, 'workload: client close failed');
    }
  }

  async #loop(th: Thread, generator: Generator): Promise<void> {
    const { recorder, signal } = this.#o;
    const inFlight = (): number => this.#inFlight;
    const ctx: GenContext & { time: number; process: number } = {
      time: 0,
      process: th.process,
      thread: th.index,
      node: th.node,
      random: th.random,
      timing: th.timing,
      get inFlight() {
        return inFlight();
      },
      concurrency: this.#threads.length,
      wakeAt: (time: number) => this.#wakeAt(time),
    };
    let yielded = recorder.now();
    while (!signal.aborted) {
      // ctx.time is the previous operation's: no clock read of its own per operation.
      if (ctx.time - yielded >= YIELD_AFTER_NS) {
        await immediate();
        yielded = recorder.now();
      }
      if (!th.opened && !(await this.#reopen(th))) return;
      ctx.time = recorder.now();
      ctx.process = th.process;
      const op = generator.next(ctx);
      if (op === undefined) return;
      if (op === PENDING) {
        await this.#waitForChange();
        continue;
      }
      if (op.at !== undefined && op.at > ctx.time) {
        try {
          await sleepUntil(recorder, op.at, this.#stop.signal);
        } catch {
          return; // aborted
        }
      }
      await this.#perform(th, op, generator);
    }
  }

  async #perform(th: Thread, op: Op, generator: Generator): Promise<void> {
    const { recorder, client, opTimeoutMs } = this.#o;
    const process = th.process;
    recorder.invoke(process, op.f, op.value === undefined ? null : op.value, op.key === undefined ? { node: th.node } : { node: th.node, key: op.key });
    this.#inFlight++;
    if (th.controller === undefined) this.#newController(th);
    th.deadline = recorder.now() + opTimeoutMs * 1e6;
    let completion: Completion;
    try {
      const result = client.invoke(th.client, op, th.context!);
      // A synchronous completion skips the race (and its promise).
      completion = checkCompletion(isPromiseLike(result) ? await this.#untilAborted(th, result) : result);
    } catch (error) {
      completion = { type: 'info', error: messageOf(error) };
    }
    th.settleAborted = undefined;
    th.deadline = Infinity;
    this.#inFlight--;
    const done = completion.error === undefined ? undefined : { error: completion.error };
    let event: HistoryEvent;
    if (completion.type === 'ok') event = recorder.ok(process, completion.value, done);
    else if (completion.type === 'fail') event = recorder.fail(process, completion.value, done);
    else {
      event = recorder.info(process, completion.value, done);
      this.#retire(th);
    }
    generator.update?.(event);
    this.#notify();
  }

  /** A controller (and its invoke context) for the thread's current process. */
  #newController(th: Thread): void {
    const controller = new AbortController();
    th.controller = controller;
    th.context = { signal: controller.signal, process: th.process, node: th.node };
    controller.signal.addEventListener(
      'abort',
      () => {
        if (th.controller === controller) th.settleAborted?.(this.#abortedCompletion(th));
      },
      { once: true },
    );
  }

  /**
   * `result`, or an info as soon as the process's controller aborts. Not Promise.race with one
   * promise per process: each race left a reaction on that promise until the process ended, so
   * every operation's race stayed reachable (and was copied by each young-generation collection).
   */
  #untilAborted(th: Thread, result: PromiseLike<unknown>): Promise<unknown> {
    if (th.controller!.signal.aborted) return Promise.resolve(this.#abortedCompletion(th));
    return new Promise((resolve, reject) => {
      th.settleAborted = resolve;
      result.then(resolve, reject);
    });
  }

  #abortedCompletion(th: Thread): Completion {
    return { type: 'info', error: th.abortReason };
  }

  #abort(th: Thread, reason: string): void {
    if (th.controller === undefined || th.controller.signal.aborted) return;
    th.abortReason = reason;
    th.controller.abort(new Error(reason));
  }

  /** Abort every operation past its deadline. */
  #sweep(): void {
    const now = this.#o.recorder.now();
    for (const th of this.#threads) if (th.deadline <= now) this.#abort(th, `timed out after ${this.#o.opTimeoutMs} ms`);
  }

  /** After an info: close the process's client and continue as a fresh process (with a fresh controller). */
  #retire(th: Thread): void {
    void this.#closeClient(th); // the old operation may still be running: do not wait for it
    th.process += this.#threads.length;
    th.controller = undefined;
    th.context = undefined;
  }

  /** Open a replacement process's client, retrying with backoff; false when the run was aborted or the generator ended meanwhile. */
  async #reopen(th: Thread): Promise<boolean> {
    for (let attempt = 0; !this.#o.signal.aborted; attempt++) {
      try {
        await this.#openThread(th);
        return true;
      } catch (error) {
        if (attempt === 0) this.#o.logger.warn({ err: error, process: th.process, node: th.node }, 'workload: client open failed; retrying');
        await new Promise((r) => setTimeout(r, REOPEN_BACKOFF_MS[Math.min(attempt, REOPEN_BACKOFF_MS.length - 1)]));
      }
    }
    return false;
  }

  #waitForChange(): Promise<void> {
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
      if (this.#o.signal.aborted) this.#notify();
    });
  }

  #wakeAt(time: number): void {
    if (time >= this.#wakeTime) return;
    this.#wakeTime = time;
    clearTimeout(this.#wakeTimer);
    const delayMs = Math.max(0, (time - this.#o.recorder.now()) / 1e6);
    this.#wakeTimer = setTimeout(() => {
      this.#wakeTime = Infinity;
      this.#notify();
    }, Math.ceil(delayMs));
  }

  #notify(): void {
    if (this.#waiters.length === 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Wake every waiting thread (the run was aborted, or something outside changed). */
  wakeAll(): void {
    this.#notify();
  }

  /** Whether a generator is running. */
  get running(): boolean {
    return this.#generator !== undefined;
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<Completion> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}

function checkCompletion(value: unknown): Completion {
  const c = value as Completion;
  if (typeof c === 'object' && c !== null && (c.type === 'ok' || c.type === 'fail' || c.type === 'info')) {
    return c.error === undefined || typeof c.error === 'string' ? c : { ...c, error: String(c.error) };
  }
  return { type: 'info', error: `client.invoke returned ${JSON.stringify(value)?.slice(0, 80)}, not { type: 'ok' | 'fail' | 'info' }` };
}
