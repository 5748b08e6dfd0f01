/**
 * The composable generators, named after Jepsen's (jepsen.generator): mix,
 * sequence, phases, stagger, timeLimit, limit, repeat, each, until, sleep.
 * Each takes anything `toGenerator` accepts and checks its arguments at once,
 * so a mistake is a SpecError before the run issues anything.
 */
import { SpecError } from '../errors.js';
import type { HistoryEvent, ProcessId } from '../history/types.js';
import { PENDING, Sequence, toGenerator, type GenContext, type Generator, type GeneratorLike, type Op, type Pending } from './generator.js';

const MS = 1_000_000;

function checkPositive(value: unknown, name: string, where: string, integer = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new SpecError(`${where}: ${name} must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(value)}`, {
      hint: `e.g. ${where.replace(/\(.*$/, '')}(${integer ? 100 : 10}, …)`,
    });
  }
  return value;
}

/** A random choice among generators for every operation (exhausted ones drop out). */
class Mix implements Generator {
  readonly #alive: Generator[];
  constructor(readonly items: readonly Generator[]) {
    this.#alive = [...items];
  }
  next(ctx: GenContext): Op | Pending | undefined {
    if (this.#alive.length === 0) return undefined;
    const start = ctx.random.int(this.#alive.length);
    let pending = false;
    for (let k = 0; k < this.#alive.length; ) {
      const index = (start + k) % this.#alive.length;
      const op = this.#alive[index]!.next(ctx);
      if (op === PENDING) {
        pending = true;
        k++;
      } else if (op === undefined) {
        this.#alive.splice(index, 1);
        if (this.#alive.length === 0) break;
      } else {
        return op;
      }
    }
    return pending ? PENDING : undefined;
  }
  update(event: HistoryEvent): void {
    for (const item of this.#alive) item.update?.(event);
  }
  fresh(): Generator {
    return new Mix(this.items.map((g) => g.fresh()));
  }
}

/** Spread operations at a total rate: random gaps between 0 and twice the mean (Jepsen's stagger). */
class Stagger implements Generator {
  #nextSlot = -1;
  constructor(
    readonly meanNs: number,
    readonly inner: Generator,
  ) {}
  next(ctx: GenContext): Op | Pending | undefined {
    const op = this.inner.next(ctx);
    if (op === undefined || op === PENDING) return op;
    const slot = Math.max(this.#nextSlot, ctx.time, op.at ?? 0);
    this.#nextSlot = slot + ctx.timing.next() * 2 * this.meanNs;
    return { ...op, at: slot };
  }
  update(event: HistoryEvent): void {
    this.inner.update?.(event);
  }
  fresh(): Generator {
    return new Stagger(this.meanNs, this.inner.fresh());
  }
}

/** Exhausted `ns` after it was first asked. */
class TimeLimit implements Generator {
  #end = -1;
  constructor(
    readonly ns: number,
    readonly inner: Generator,
  ) {}
  next(ctx: GenContext): Op | Pending | undefined {
    if (this.#end < 0) this.#end = ctx.time + this.ns;
    if (ctx.time >= this.#end) return undefined;
    const op = this.inner.next(ctx);
    if (op === PENDING) {
      ctx.wakeAt(this.#end);
      return op;
    }
    if (op !== undefined && op.at !== undefined && op.at >= this.#end) return undefined;
    return op;
  }
  update(event: HistoryEvent): void {
    this.inner.update?.(event);
  }
  fresh(): Generator {
    return new TimeLimit(this.ns, this.inner.fresh());
  }
}

class Limit implements Generator {
  #issued = 0;
  constructor(
    readonly count: number,
    readonly inner: Generator,
  ) {}
  next(ctx: GenContext): Op | Pending | undefined {
    if (this.#issued >= this.count) return undefined;
    const op = this.inner.next(ctx);
    if (op !== undefined && op !== PENDING) this.#issued++;
    return op;
  }
  update(event: HistoryEvent): void {
    this.inner.update?.(event);
  }
  fresh(): Generator {
    return new Limit(this.count, this.inner.fresh());
  }
}

/** Start over (a fresh copy) whenever exhausted, `times` times in all. */
class Repeat implements Generator {
  #round = 0;
  #current: Generator;
  constructor(
    readonly template: Generator,
    readonly times: number,
  ) {
    this.#current = template.fresh();
  }
  next(ctx: GenContext): Op | Pending | undefined {
    for (let emptyRounds = 0; this.#round < this.times; emptyRounds++) {
      const op = this.#current.next(ctx);
      if (op !== undefined) return op;
      if (emptyRounds > 0) return undefined; // a fresh copy had nothing at all: stop rather than spin
      this.#round++;
      if (this.#round < this.times) this.#current = this.template.fresh();
    }
    return undefined;
  }
  update(event: HistoryEvent): void {
    this.#current.update?.(event);
  }
  fresh(): Generator {
    return new Repeat(this.template, this.times);
  }
}

/** Every thread gets its own copy; exhausted when every thread's copy is. */
class Each implements Generator {
  readonly #copies = new Map<number | 'nemesis', Generator>();
  readonly #done = new Set<number | 'nemesis'>();
  /** The thread of each process seen (completions carry the process only). */
  readonly #threadOf = new Map<ProcessId, number | 'nemesis'>();
  #concurrency = 1;
  constructor(readonly template: Generator) {}
  next(ctx: GenContext): Op | Pending | undefined {
    this.#concurrency = ctx.thread === 'nemesis' ? 1 : ctx.concurrency;
    this.#threadOf.set(ctx.process, ctx.thread);
    if (!this.#done.has(ctx.thread)) {
      let copy = this.#copies.get(ctx.thread);
      if (copy === undefined) this.#copies.set(ctx.thread, (copy = this.template.fresh()));
      const op = copy.next(ctx);
      if (op !== undefined) return op;
      this.#done.add(ctx.thread);
    }
    return this.#done.size >= this.#concurrency ? undefined : PENDING;
  }
  update(event: HistoryEvent): void {
    const thread = this.#threadOf.get(event.process);
    if (thread !== undefined) this.#copies.get(thread)?.update?.(event);
  }
  fresh(): Generator {
    return new Each(this.template);
  }
}

/** Exhausted once a completion satisfies `predicate` (e.g. Jepsen's until-ok: `(e) => e.type === 'ok'`). */
class Until implements Generator {
  #done = false;
  constructor(
    readonly predicate: (event: HistoryEvent) => boolean,
    readonly inner: Generator,
  ) {}
  next(ctx: GenContext): Op | Pending | undefined {
    return this.#done ? undefined : this.inner.next(ctx);
  }
  update(event: HistoryEvent): void {
    if (!this.#done && event.type !== 'invoke' && this.predicate(event)) this.#done = true;
    this.inner.update?.(event);
  }
  fresh(): Generator {
    return new Until(this.predicate, this.inner.fresh());
  }
}

/** Nothing for `ns`, then exhausted (a pause between phases). */
class Sleep implements Generator {
  #end = -1;
  constructor(readonly ns: number) {}
  next(ctx: GenContext): Pending | undefined {
    if (this.#end < 0) this.#end = ctx.time + this.ns;
    if (ctx.time >= this.#end) return undefined;
    ctx.wakeAt(this.#end);
    return PENDING;
  }
  fresh(): Generator {
    return new Sleep(this.ns);
  }
}

function list(items: readonly GeneratorLike[], where: string): Generator[] {
  if (!Array.isArray(items) || items.length === 0) {
    throw new SpecError(`${where}: needs at least one generator`, { hint: `e.g. ${where.replace(/\(.*$/, '')}([{ f: 'read' }, { f: 'write', value: 1 }])` });
  }
  return items.map((item, i) => toGenerator(item, `${where}[${i}]`));
}

/** For every operation, a random (seeded) choice among `generators`. */
export function mix(generators: readonly GeneratorLike[]): Generator {
  return new Mix(list(generators, 'mix()'));
}

/** One after another, each until exhausted (no barrier between them). */
export function sequence(...generators: GeneratorLike[]): Generator {
  return new Sequence(list(generators, 'sequence()'));
}

/** One after another; each phase starts only when the previous one is exhausted and every operation has completed. */
export function phases(...generators: GeneratorLike[]): Generator {
  return new Sequence(list(generators, 'phases()'), true);
}

/** At most `opsPerSecond` operations per second in total, at random intervals (mean 1/rate, up to twice it). */
export function stagger(opsPerSecond: number, generator: GeneratorLike): Generator {
  checkPositive(opsPerSecond, 'opsPerSecond', 'stagger()');
  return new Stagger(1e9 / opsPerSecond, toGenerator(generator, 'stagger()'));
}

/** Exhausted `ms` milliseconds after it is first asked for an operation. */
export function timeLimit(ms: number, generator: GeneratorLike): Generator {
  checkPositive(ms, 'ms', 'timeLimit()');
  return new TimeLimit(ms * MS, toGenerator(generator, 'timeLimit()'));
}

/** At most `count` operations. */
export function limit(count: number, generator: GeneratorLike): Generator {
  checkPositive(count, 'count', 'limit()', true);
  return new Limit(count, toGenerator(generator, 'limit()'));
}

/** Repeat a generator (or one operation) `times` times, forever by default. */
export function repeat(generator: GeneratorLike, times = Infinity): Generator {
  if (times !== Infinity) checkPositive(times, 'times', 'repeat()', true);
  return new Repeat(toGenerator(generator, 'repeat()'), times);
}

/** Every client thread runs its own copy of `generator` (Jepsen's each-thread). */
export function each(generator: GeneratorLike): Generator {
  return new Each(toGenerator(generator, 'each()'));
}

/** Until a completion satisfies `predicate`. */
export function until(predicate: (event: HistoryEvent) => boolean, generator: GeneratorLike): Generator {
  if (typeof predicate !== 'function') {
    throw new SpecError('until(): predicate must be a function of a completion event', { hint: "e.g. until((e) => e.type === 'ok', gen)" });
  }
  return new Until(predicate, toGenerator(generator, 'until()'));
}

/** Issue nothing for `ms` milliseconds (e.g. a pause in `phases`). */
export function sleep(ms: number): Generator {
  checkPositive(ms, 'ms', 'sleep()');
  return new Sleep(ms * MS);
}
