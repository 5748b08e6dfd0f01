/**
 * Generators: what operations to issue, and when. A generator is asked for the
 * next operation of one thread at a time (`next(ctx)`), and answers with an
 * operation, `PENDING` (nothing for this thread now: ask again after the next
 * completion or at `ctx.wakeAt`), or `undefined` (exhausted, for everyone).
 * Completions are fed back through `update(event)`. `fresh()` makes a copy in
 * its initial state (for `each` and `repeat`).
 *
 * Plain values are generators too: a function `(ctx) => op | undefined` is
 * called for every operation; an object `{ f, value }` is one operation; an
 * array is a sequence. Randomness comes from `ctx.random`, the asking
 * thread's own seeded stream, so a seed fixes every thread's operations
 * whatever the timing.
 */
import { SpecError } from '../errors.js';
import type { HistoryEvent, ProcessId } from '../history/types.js';
import type { Random } from './random.js';

/** One operation to issue. */
export interface Op {
  f: string;
  value?: unknown;
  /** Jepsen's kv `:key`, when it is not part of `value`. */
  key?: string;
  /** Do not issue before this time (ns since the run started); set by `stagger` and nemesis schedules. */
  at?: number;
}

/** What a generator sees when asked. */
export interface GenContext {
  /** Now, ns since the run started. */
  readonly time: number;
  /** The asking process (`'nemesis'` for the nemesis). */
  readonly process: ProcessId;
  /** The asking thread: 0 … concurrency-1, or 'nemesis'. Stable across retired processes. */
  readonly thread: number | 'nemesis';
  /** The node the process talks to ('' for the nemesis). */
  readonly node: string;
  /** The thread's own seeded stream for choosing operations. */
  readonly random: Random;
  /** A seeded stream for timing (stagger): separate so delays never shift the choice of operations. */
  readonly timing: Random;
  /** Client operations in flight right now (all threads). */
  readonly inFlight: number;
  /** Number of client threads. */
  readonly concurrency: number;
  /** A generator that answers PENDING until a time sets this (the earliest wins). */
  wakeAt(time: number): void;
}

export const PENDING: unique symbol = Symbol('pending');
export type Pending = typeof PENDING;

export interface Generator {
  next(ctx: GenContext): Op | Pending | undefined;
  update?(event: HistoryEvent): void;
  fresh(): Generator;
}

/** What the API accepts as a generator. */
export type GeneratorLike = Generator | Op | ((ctx: GenContext) => Op | Pending | undefined) | readonly GeneratorLike[];

export function isGenerator(value: unknown): value is Generator {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Generator).next === 'function' &&
    typeof (value as Generator).fresh === 'function'
  );
}

function isOp(value: unknown): value is Op {
  return typeof value === 'object' && value !== null && typeof (value as Op).f === 'string' && (value as Op).f.length > 0;
}

/** One operation, once. */
class Once implements Generator {
  #done = false;
  constructor(readonly op: Op) {}
  next(): Op | undefined {
    if (this.#done) return undefined;
    this.#done = true;
    return { ...this.op };
  }
  fresh(): Generator {
    return new Once(this.op);
  }
}

/** A function called for every operation (it keeps its own state, if any). */
class FromFunction implements Generator {
  constructor(readonly fn: (ctx: GenContext) => Op | Pending | undefined) {}
  next(ctx: GenContext): Op | Pending | undefined {
    const op = this.fn(ctx);
    if (op === undefined || op === PENDING) return op;
    if (!isOp(op)) throw new SpecError(`generator function returned ${describe(op)}, not an operation`, { hint: "return { f: 'read', value: null }, PENDING or undefined" });
    return op;
  }
  fresh(): Generator {
    return this;
  }
}

/** Turn anything the API accepts into a Generator; a clear SpecError otherwise. */
export function toGenerator(value: unknown, where = 'generator'): Generator {
  if (isGenerator(value)) return value;
  if (typeof value === 'function') return new FromFunction(value as (ctx: GenContext) => Op | Pending | undefined);
  if (Array.isArray(value)) return new Sequence(value.map((item, i) => toGenerator(item, `${where}[${i}]`)));
  if (isOp(value)) return new Once(value);
  throw new SpecError(`${where}: ${describe(value)} is not a generator`, {
    hint: "give an operation { f: 'read' }, a function (ctx) => op, an array, or a combinator such as gen.mix([...])",
  });
}

/**
 * Generators one after another: the next starts when the current one is
 * exhausted. With `barrier` (`phases`), also only once no operation is in flight.
 */
export class Sequence implements Generator {
  #current = 0;
  constructor(
    readonly items: readonly Generator[],
    readonly barrier = false,
  ) {}
  next(ctx: GenContext): Op | Pending | undefined {
    while (this.#current < this.items.length) {
      const op = this.items[this.#current]!.next(ctx);
      if (op !== undefined) return op;
      if (this.barrier && ctx.inFlight > 0) return PENDING;
      this.#current++;
    }
    return undefined;
  }
  update(event: HistoryEvent): void {
    this.items[this.#current]?.update?.(event);
  }
  fresh(): Generator {
    return new Sequence(
      this.items.map((g) => g.fresh()),
      this.barrier,
    );
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'object') {
    try {
      return JSON.stringify(value)?.slice(0, 80) ?? typeof value;
    } catch {
      return 'an object';
    }
  }
  return `${typeof value} ${String(value).slice(0, 40)}`;
}
