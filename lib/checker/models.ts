/** The built-in models: register, kv, set, queue, counter. */
import { canonicalJson, formatValue, sameValue, type Model } from './model.js';

function isPair(value: unknown): value is [unknown, unknown] {
  return Array.isArray(value) && value.length === 2;
}

/**
 * A read/write/cas register, initially absent (`null`), one independent
 * register per event `key` (Jepsen's independent keys; no key = one register).
 * `read` returns the value (`null` when absent), `write` sets it, `cas [old new]`
 * sets it to new when it held old (a failed cas — a `fail` completion — changed nothing).
 */
export const registerModel: Model<unknown> = {
  name: 'register',
  functions: ['read', 'write', 'cas'],
  init: () => null,
  step(state, input, output) {
    switch (input.f) {
      case 'read':
        return [output === undefined || sameValue(output, state), state];
      case 'write':
        return [true, input.value];
      case 'cas':
        if (!isPair(input.value)) return [false, state];
        return sameValue(state, input.value[0]) ? [true, input.value[1]] : [false, state];
      default:
        return [false, state];
    }
  },
  partition: (input) => input.key ?? '',
  readOnly: (input) => input.f === 'read',
  hash: (state) => (typeof state === 'number' ? state : canonicalJson(state)),
  describe: (state) => (state === null ? 'absent' : formatValue(state)),
  describeOperation(input, output) {
    if (input.f === 'read') return `read() → ${output === undefined ? '?' : output === null ? 'absent' : formatValue(output)}`;
    if (input.f === 'cas' && isPair(input.value)) return `cas(${formatValue(input.value[0])} → ${formatValue(input.value[1])})`;
    return `${input.f}(${formatValue(input.value)})`;
  },
};

function kvText(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : canonicalJson(value);
}

/**
 * A key-value store, one independent object per key (the event's `key`):
 * `get` returns the value (`""` or `null` when absent), `put` sets it,
 * `append` concatenates onto it.
 */
export const kvModel: Model<string> = {
  name: 'kv',
  functions: ['get', 'put', 'append'],
  init: () => '',
  step(state, input, output) {
    switch (input.f) {
      case 'get':
        return [output === undefined || kvText(output) === state, state];
      case 'put':
        return [true, kvText(input.value)];
      case 'append':
        return [true, state + kvText(input.value)];
      default:
        return [false, state];
    }
  },
  partition: (input) => input.key ?? '',
  readOnly: (input) => input.f === 'get',
  hash: (state) => state,
  describe: (state) => (state === '' ? 'absent' : JSON.stringify(state)),
  describeOperation(input, output) {
    const key = JSON.stringify(input.key ?? '');
    if (input.f === 'get') return `get(${key}) → ${output === undefined ? '?' : JSON.stringify(kvText(output))}`;
    return `${input.f}(${key}, ${JSON.stringify(kvText(input.value))})`;
  },
};

/** A grow-only set: `add` an element, `read` returns all elements (any order). State: sorted canonical elements. */
export const setModel: Model<readonly string[]> = {
  name: 'set',
  functions: ['add', 'read'],
  init: () => [],
  step(state, input, output) {
    if (input.f === 'add') {
      const element = canonicalJson(input.value);
      if (state.includes(element)) return [true, state];
      return [true, [...state, element].sort()];
    }
    if (input.f === 'read') {
      if (output === undefined) return [true, state];
      if (!Array.isArray(output)) return [false, state];
      const read = [...new Set(output.map(canonicalJson))].sort();
      return [read.length === state.length && read.every((e, i) => e === state[i]), state];
    }
    return [false, state];
  },
  readOnly: (input) => input.f === 'read',
  hash: (state) => state.join('\u0000'),
  describe: (state) => `{${state.join(' ')}}`,
};

/** A FIFO queue: `enqueue` a value, `dequeue` returns the oldest (`null` when empty). */
export const queueModel: Model<readonly unknown[]> = {
  name: 'queue',
  functions: ['enqueue', 'dequeue'],
  init: () => [],
  step(state, input, output) {
    if (input.f === 'enqueue') return [true, [...state, input.value]];
    if (input.f === 'dequeue') {
      if (state.length === 0) return [output === undefined || output === null, state];
      if (output !== undefined && !sameValue(output, state[0])) return [false, state];
      return [true, state.slice(1)];
    }
    return [false, state];
  },
  hash: (state) => canonicalJson(state),
  describe: (state) => (state.length === 0 ? 'empty' : `[${state.map(formatValue).join(' ')}] (head first)`),
};

/** A counter from 0: `add n` (n may be negative), `read` returns the total. */
export const counterModel: Model<number> = {
  name: 'counter',
  functions: ['add', 'read'],
  init: () => 0,
  step(state, input, output) {
    if (input.f === 'add') return typeof input.value === 'number' ? [true, state + input.value] : [false, state];
    if (input.f === 'read') return [output === undefined || output === state, state];
    return [false, state];
  },
  readOnly: (input) => input.f === 'read',
  hash: (state) => state,
  describe: (state) => String(state),
};

export const BUILTIN_MODELS = {
  register: registerModel,
  kv: kvModel,
  set: setModel,
  queue: queueModel,
  counter: counterModel,
} as const;

export type BuiltinModelName = keyof typeof BUILTIN_MODELS;

export function isBuiltinModelName(name: string): name is BuiltinModelName {
  return Object.hasOwn(BUILTIN_MODELS, name);
}

