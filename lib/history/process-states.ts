/**
 * Each process's state in a recorder: idle, an operation in flight (the index
 * of its invoke event), or retired after an `info`. Small client numbers (the
 * runner's 0, 1, 2, …) live in a flat array, checked and changed several times
 * per operation without hashing; anything else (the nemesis, a large or odd
 * number) in a map.
 */
import type { ProcessId } from './types.js';

/** A process with no operation in flight. */
export const IDLE = -1;
/** A client process retired after an info: it may not invoke again. */
export const RETIRED = -2;
/** Client numbers below this are kept in the flat array. */
const FLAT_LIMIT = 1 << 20;

export class ProcessStates {
  /** By small client number: IDLE, RETIRED or the invoke's index, all + 1 (so a fresh array's 0 is IDLE). */
  #flat = new Int32Array(256);
  readonly #other = new Map<ProcessId, number>();

  /** IDLE, RETIRED or the index of the process's in-flight invoke event. */
  get(process: ProcessId): number {
    if (isFlat(process)) return process < this.#flat.length ? this.#flat[process]! - 1 : IDLE;
    return this.#other.get(process) ?? IDLE;
  }

  /** Sets the state (IDLE, RETIRED or an invoke's index). */
  set(process: ProcessId, state: number): void {
    if (isFlat(process)) {
      if (process >= this.#flat.length) {
        const bigger = new Int32Array(Math.max(process + 1, this.#flat.length * 2));
        bigger.set(this.#flat);
        this.#flat = bigger;
      }
      this.#flat[process] = state + 1;
    } else if (state === IDLE) {
      this.#other.delete(process);
    } else {
      this.#other.set(process, state);
    }
  }
}

const isFlat = (process: ProcessId): process is number => typeof process === 'number' && (process | 0) === process && process >= 0 && process < FLAT_LIMIT;
