/**
 * The workload's seeded randomness. One seed per run (logged, replayable with
 * PAKOSTII_SEED) is split into independent streams by label — one per client
 * thread, one for the nemesis, one for timing — so what a thread issues does
 * not depend on how the threads interleave, and drawing a delay never shifts
 * the choice of an operation.
 */
import { randomBytes } from 'node:crypto';
import { SpecError } from '../errors.js';

/** A seed as people type it: a safe integer or a string. */
export type Seed = number | string;

export const SEED_ENV = 'PAKOSTII_SEED';

/** 32-bit FNV-1a of a string (labels and string seeds). */
function hash32(text: string, start = 0x811c9dc5): number {
  let hash = start >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** splitmix32: turns correlated seeds (0, 1, 2 …) into unrelated states. */
function mix32(x: number): number {
  let z = (x + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** A deterministic stream (sfc32): the same seed and label give the same numbers on every platform. */
export class Random {
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  readonly #seedText: string;

  constructor(seed: Seed, label = '') {
    this.#seedText = `${String(seed)}/${label}`;
    const h = hash32(this.#seedText);
    this.#a = mix32(h);
    this.#b = mix32(h ^ 0x6a09e667);
    this.#c = mix32(h ^ 0xbb67ae85);
    this.#d = 1;
    for (let i = 0; i < 12; i++) this.next();
  }

  /** A float in [0, 1). */
  next(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [min, max]. */
  between(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new SpecError('random pick from an empty list', { hint: 'give at least one choice' });
    return items[this.int(items.length)]!;
  }

  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  /** An independent stream derived from this one's seed and a label. */
  fork(label: string): Random {
    return new Random(this.#seedText, label);
  }
}

/** A fresh random seed (an integer people can type back). */
export function randomSeed(): number {
  return randomBytes(6).readUIntBE(0, 6);
}

/**
 * The seed of a run: PAKOSTII_SEED when set (replaying a failure), else the
 * option, else a fresh one. `source` says which, for the log line.
 */
export function resolveSeed(option: Seed | undefined, env: NodeJS.ProcessEnv = process.env): { seed: Seed; source: 'env' | 'option' | 'random' } {
  const fromEnv = env[SEED_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    return { seed: /^-?\d{1,15}$/.test(fromEnv) ? Number(fromEnv) : fromEnv, source: 'env' };
  }
  if (option !== undefined) return { seed: checkSeed(option), source: 'option' };
  return { seed: randomSeed(), source: 'random' };
}

export function checkSeed(seed: unknown, where = 'workload'): Seed {
  if ((typeof seed === 'number' && Number.isSafeInteger(seed)) || (typeof seed === 'string' && seed.length > 0)) return seed;
  throw new SpecError(`${where}: seed must be a safe integer or a non-empty string, got ${JSON.stringify(seed)}`, {
    hint: 'e.g. seed: 42 (or leave it out for a random one; PAKOSTII_SEED=… replays a run)',
  });
}
