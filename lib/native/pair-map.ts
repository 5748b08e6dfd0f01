/**
 * What the per-pair engines (shape-engine.ts: a traffic class per pair,
 * delay-line.ts: a delay profile per pair) share: a BPF map with one u64 cell
 * per ordered pair of node indexes (src * maxNodes + dst), mapped into JS so
 * pointing a pair somewhere is one store, and the checks on what they are given.
 */
import { isIPv4 } from 'node:net';
import { SpecError } from '../errors.js';

/** Largest maxNodes these engines are built for (their maps hold maxNodes² cells). */
export const MAX_PAIR_NODES = 4096;

export function checkMaxNodes(engine: string, maxNodes: number): void {
  if (!Number.isInteger(maxNodes) || maxNodes < 1 || maxNodes > MAX_PAIR_NODES) {
    throw new SpecError(`${engine}: invalid maxNodes ${maxNodes}`, { hint: `use an integer from 1 to ${MAX_PAIR_NODES}` });
  }
}

export function checkNodeAddress(engine: string, ipv4: string, index: number, maxNodes: number): void {
  if (!isIPv4(ipv4)) throw new SpecError(`${engine}: "${ipv4}" is not an IPv4 address`, { hint: 'give a dotted quad' });
  if (!Number.isInteger(index) || index < 0 || index >= maxNodes) {
    throw new SpecError(`${engine}: node index ${index} out of range`, { hint: `0..${maxNodes - 1}` });
  }
}

/** The cells of a mapped pair map. Values are u32 (the low half of each little-endian u64 cell; the high half stays 0). */
export class PairCells {
  readonly #cells: Uint32Array;
  readonly #maxNodes: number;

  constructor(buffer: ArrayBuffer, maxNodes: number) {
    this.#maxNodes = maxNodes;
    this.#cells = new Uint32Array(buffer, 0, maxNodes * maxNodes * 2);
  }

  get(src: number, dst: number): number {
    return this.#cells[(src * this.#maxNodes + dst) * 2]!;
  }

  set(src: number, dst: number, value: number): void {
    this.#cells[(src * this.#maxNodes + dst) * 2] = value;
  }
}
