/**
 * The Wing–Gong–Lowe search (as in porcupine): walk the history's call and
 * return events in time order, linearize the earliest calls first, backtrack
 * when a return is reached whose operation is not linearized yet, and prune
 * configurations (linearized set, state) already explored.
 *
 * Operations with an unknown outcome have no return event: they may take
 * effect at any point after their call, or never — the search succeeds once
 * every operation with a known outcome is linearized.
 */
import type { Model, OperationInput } from './model.js';
import { CacheFullError, SearchCache } from './search-cache.js';
import { StateTable } from './state-table.js';

export interface SearchOp {
  input: OperationInput;
  /** The ok completion's value; undefined when the outcome is unknown. */
  output: unknown;
  /** Position of the call and return in the history; `ret` is Infinity for unknown outcomes. */
  call: number;
  ret: number;
}

export interface SearchLimits {
  /** Date.now() past which the search gives up. */
  deadline: number;
  memoryLimitBytes: number;
  signal?: AbortSignal | undefined;
}

export type SearchOutcome<State> =
  | { kind: 'linearizable'; explored: number }
  | {
      kind: 'violation';
      explored: number;
      /** The longest linearizable prefix found: op indices in order, with the state after each. */
      prefix: number[];
      states: State[];
      /** The operation that could not be linearized after that prefix. */
      stuck: number;
    }
  | { kind: 'unknown'; explored: number; reason: string };

/** xorshift32 for reproducible Zobrist keys. */
function zobrist(count: number, seed: number): Uint32Array {
  const keys = new Uint32Array(count);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < count; i += 1) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    keys[i] = x >>> 0;
  }
  return keys;
}

export function wglSearch<State>(model: Model<State>, ops: readonly SearchOp[], limits: SearchLimits): SearchOutcome<State> {
  const n = ops.length;
  const head = 2 * n;
  const next = new Int32Array(2 * n + 1).fill(-1);
  const prev = new Int32Array(2 * n + 1).fill(-1);
  // Events in time order: node 2i is op i's call, 2i+1 its return (known outcomes only).
  const events: Array<[time: number, node: number]> = [];
  for (let i = 0; i < n; i += 1) {
    events.push([ops[i]!.call, 2 * i]);
    if (Number.isFinite(ops[i]!.ret)) {
      events.push([ops[i]!.ret, 2 * i + 1]);
    }
  }
  events.sort((a, b) => a[0] - b[0]);
  let last = head;
  for (const [, node] of events) {
    next[last] = node;
    prev[node] = last;
    last = node;
  }
  // Bit position of each op in its bitset: required ops (known outcome) and optional ones counted apart.
  const required1 = new Uint8Array(n);
  const slot = new Int32Array(n);
  let requiredCount = 0;
  let optionalCount = 0;
  for (let i = 0; i < n; i += 1) {
    if (Number.isFinite(ops[i]!.ret)) {
      required1[i] = 1;
      slot[i] = requiredCount++;
    } else slot[i] = optionalCount++;
  }
  const unlink = (node: number): void => {
    next[prev[node]!] = next[node]!;
    if (next[node]! >= 0) prev[next[node]!] = prev[node]!;
  };
  const relink = (node: number): void => {
    next[prev[node]!] = node;
    if (next[node]! >= 0) prev[next[node]!] = node;
  };

  const requiredBits = new Uint32Array(Math.max(1, Math.ceil(requiredCount / 32)));
  const optionalBits = new Uint32Array(Math.max(1, Math.ceil(optionalCount / 32)));
  const z1 = zobrist(n, 0x2545f491);
  const z2 = zobrist(n, 0x9e3779b9);
  const cache = new SearchCache(requiredBits.length, optionalBits.length, limits.memoryLimitBytes);
  const table = new StateTable(model);
  let state = model.init();
  let stateId = table.intern(state);
  let h1 = 0;
  let h2 = 0;
  const stackOp = new Int32Array(n);
  const stackState: State[] = new Array<State>(n);
  const stackStateId = new Int32Array(n);
  let depth = 0;
  let remaining = requiredCount;
  let best: { prefix: number[]; states: State[]; stuck: number } | undefined;
  let explored = 0;
  let cur = next[head]!;
  // At each configuration, first try the operations that must take effect, then the optional ones:
  // a linearizable history rarely needs an optional op early, and trying it first sends the search astray.
  let optionalPhase = false;
  try {
    for (;;) {
      if (remaining === 0) return { kind: 'linearizable', explored };
      explored += 1;
      if ((explored & 0xfff) === 0) {
        if (Date.now() > limits.deadline) return { kind: 'unknown', explored, reason: 'the time budget ran out' };
        if (limits.signal?.aborted) return { kind: 'unknown', explored, reason: 'the check was cancelled' };
      }
      if ((cur & 1) === 0) {
        const i = cur >> 1;
        if ((required1[i] === 1) === optionalPhase) {
          cur = next[cur]!;
          continue;
        }
        const op = ops[i]!;
        const [ok, after] = model.step(state, op.input, op.output);
        if (ok) {
          const afterId = table.intern(after);
          const isRequired = required1[i] === 1;
          const bits = isRequired ? requiredBits : optionalBits;
          const word = slot[i]! >>> 5;
          const mask = 1 << (slot[i]! & 31);
          bits[word] = bits[word]! | mask;
          const k1 = isRequired ? h1 ^ z1[i]! : h1;
          const k2 = isRequired ? h2 ^ z2[i]! : h2;
          // An optional op that leaves the state as it was can only narrow what follows.
          if ((isRequired || afterId !== stateId) && cache.add(requiredBits, optionalBits, afterId, k1, k2)) {
            stackOp[depth] = i;
            stackState[depth] = state;
            stackStateId[depth] = stateId;
            depth += 1;
            state = after;
            stateId = afterId;
            h1 = k1;
            h2 = k2;
            unlink(2 * i);
            if (isRequired) {
              unlink(2 * i + 1);
              remaining -= 1;
            }
            cur = next[head]!;
            optionalPhase = false;
            continue;
          }
          bits[word] = bits[word]! & ~mask;
        }
        cur = next[cur]!;
        continue;
      }
      // A return whose operation is not linearized: nothing left to try at this depth.
      if (!optionalPhase) {
        optionalPhase = true;
        cur = next[head]!;
        continue;
      }
      if (best === undefined || depth > best.prefix.length) {
        const prefix = Array.from(stackOp.subarray(0, depth));
        const states = [...stackState.slice(1, depth), state];
        best = { prefix, states, stuck: cur >> 1 };
      }
      if (depth === 0) return { kind: 'violation', explored, ...best };
      depth -= 1;
      const i = stackOp[depth]!;
      state = stackState[depth]!;
      stateId = stackStateId[depth]!;
      const bits = required1[i] === 1 ? requiredBits : optionalBits;
      bits[slot[i]! >>> 5] = bits[slot[i]! >>> 5]! & ~(1 << (slot[i]! & 31));
      if (required1[i] === 1) {
        h1 ^= z1[i]!;
        h2 ^= z2[i]!;
        relink(2 * i + 1);
        remaining += 1;
      }
      relink(2 * i);
      optionalPhase = required1[i] !== 1;
      cur = next[2 * i]!;
    }
  } catch (error) {
    if (error instanceof CacheFullError) return { kind: 'unknown', explored, reason: error.message };
    throw error;
  }
}
