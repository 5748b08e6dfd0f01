/**
 * Random histories from a sequential execution (so linearizable by
 * construction): clients invoke operations, each takes effect atomically at a
 * random moment between its invoke and completion, and completes with what the
 * real object returned. Seeded; shared by the property tests and the bench.
 */
import type { HistoryEvent } from '../../lib/history/types.js';
import { Random } from '../../lib/workload/random.js';

/** Seeded floats in [0, 1): the workload's own stream, so tests replay like runs do. */
export function rng(seed: number): () => number {
  const stream = new Random(seed);
  return () => stream.next();
}

export type GenModel = 'register' | 'register-cas' | 'kv' | 'set' | 'queue' | 'counter';

export interface GenOptions {
  model: GenModel;
  seed: number;
  ops: number;
  clients: number;
  /** Probability that a mutating operation ends in `info` (it took effect or not, at random). */
  infoRate?: number;
  /** kv: number of keys. */
  keys?: number;
  /** End with a read on a quiescent history (every op completed first). */
  finalRead?: boolean;
}

interface Pending {
  process: number;
  f: string;
  value: unknown;
  key?: string;
  applied: boolean;
  output: unknown;
  info: boolean;
}

type Obj = { state: Map<string, unknown> };

function apply(model: GenModel, obj: Obj, op: Pending): unknown {
  const key = op.key ?? '';
  const cur = obj.state.get(key);
  switch (model) {
    case 'register':
    case 'register-cas':
      if (op.f === 'read') return cur ?? null;
      if (op.f === 'write') obj.state.set(key, op.value);
      if (op.f === 'cas') {
        const [from, to] = op.value as [unknown, unknown];
        if ((cur ?? null) !== from) return 'fail';
        obj.state.set(key, to);
      }
      return op.value;
    case 'kv':
      if (op.f === 'get') return (cur as string | undefined) ?? '';
      obj.state.set(key, op.f === 'put' ? op.value : `${(cur as string | undefined) ?? ''}${op.value as string}`);
      return op.value;
    case 'set': {
      const set = (cur as Set<number> | undefined) ?? new Set<number>();
      obj.state.set(key, set);
      if (op.f === 'read') return [...set];
      set.add(op.value as number);
      return op.value;
    }
    case 'queue': {
      const queue = (cur as number[] | undefined) ?? [];
      obj.state.set(key, queue);
      if (op.f === 'dequeue') return queue.length === 0 ? null : queue.shift();
      queue.push(op.value as number);
      return op.value;
    }
    case 'counter':
      if (op.f === 'read') return (cur as number | undefined) ?? 0;
      obj.state.set(key, ((cur as number | undefined) ?? 0) + (op.value as number));
      return op.value;
  }
}

function newOp(model: GenModel, random: () => number, counter: { next: number }, keys: number, obj: Obj): Omit<Pending, 'process'> {
  const unique = () => (counter.next += 1);
  const base = { applied: false, output: undefined, info: false };
  const read = random() < 0.5;
  switch (model) {
    case 'register':
      return read ? { ...base, f: 'read', value: null } : { ...base, f: 'write', value: unique() };
    case 'register-cas': {
      const r = random();
      if (r < 0.4) return { ...base, f: 'read', value: null };
      if (r < 0.7) return { ...base, f: 'write', value: Math.floor(random() * 5) };
      return { ...base, f: 'cas', value: [Math.floor(random() * 5), Math.floor(random() * 5)] };
    }
    case 'kv': {
      const key = String(Math.floor(random() * keys));
      if (read) return { ...base, f: 'get', value: null, key };
      return random() < 0.2 ? { ...base, f: 'put', value: `p${unique()};`, key } : { ...base, f: 'append', value: `a${unique()};`, key };
    }
    case 'set':
      return random() < 0.3 ? { ...base, f: 'read', value: null } : { ...base, f: 'add', value: unique() };
    case 'queue': {
      const depth = ((obj.state.get('') as number[] | undefined) ?? []).length;
      return random() < (depth > 3 ? 0.6 : 0.35) ? { ...base, f: 'dequeue', value: null } : { ...base, f: 'enqueue', value: unique() };
    }
    case 'counter':
      return read ? { ...base, f: 'read', value: null } : { ...base, f: 'add', value: 1 + Math.floor(random() * 5) };
  }
}

const MUTATORS = new Set(['write', 'cas', 'put', 'append', 'add', 'enqueue']);

export function generateHistory(options: GenOptions): HistoryEvent[] {
  const random = rng(options.seed);
  const obj: Obj = { state: new Map() };
  const events: HistoryEvent[] = [];
  const counter = { next: 0 };
  const slots: Array<Pending | undefined> = new Array(options.clients).fill(undefined);
  const processOf = Array.from({ length: options.clients }, (_, i) => i);
  let nextProcess = options.clients;
  let invoked = 0;
  const emit = (e: Omit<HistoryEvent, 'index' | 'time'>) => {
    const event: HistoryEvent = { index: events.length, time: (events.length + 1) * 1000, ...e };
    events.push(event);
  };
  const step = (slot: number) => {
    const op = slots[slot];
    if (op === undefined) {
      if (invoked >= options.ops) return;
      invoked += 1;
      const fresh: Pending = { ...newOp(options.model, random, counter, options.keys ?? 1, obj), process: processOf[slot]! };
      fresh.info = MUTATORS.has(fresh.f) && random() < (options.infoRate ?? 0);
      slots[slot] = fresh;
      emit({ process: fresh.process, type: 'invoke', f: fresh.f, value: fresh.value, ...(fresh.key === undefined ? {} : { key: fresh.key }) });
      return;
    }
    if (!op.applied && !(op.info && random() < 0.5)) {
      op.applied = true;
      op.output = apply(options.model, obj, op);
      if (!op.info) return;
    }
    const keyed = op.key === undefined ? {} : { key: op.key };
    if (op.info) {
      emit({ process: op.process, type: 'info', f: op.f, value: op.value, error: 'timeout', ...keyed });
      processOf[slot] = nextProcess++;
    } else if (op.output === 'fail') {
      emit({ process: op.process, type: 'fail', f: op.f, value: op.value, ...keyed });
    } else {
      emit({ process: op.process, type: 'ok', f: op.f, value: op.output, ...keyed });
    }
    slots[slot] = undefined;
  };
  while (invoked < options.ops || slots.some((s) => s !== undefined)) step(Math.floor(random() * options.clients));
  if (options.finalRead) {
    const f = { register: 'read', 'register-cas': 'read', kv: 'get', set: 'read', queue: 'dequeue', counter: 'read' }[options.model];
    const keys = options.model === 'kv' ? Array.from({ length: options.keys ?? 1 }, (_, i) => String(i)) : [undefined];
    for (const key of keys) {
      const op: Pending = { process: processOf[0]!, f, value: null, applied: true, output: undefined, info: false, ...(key === undefined ? {} : { key }) };
      op.output = apply(options.model, obj, op);
      const keyed = key === undefined ? {} : { key };
      emit({ process: op.process, type: 'invoke', f, value: null, ...keyed });
      emit({ process: op.process, type: 'ok', f, value: op.output, ...keyed });
    }
  }
  return events;
}
