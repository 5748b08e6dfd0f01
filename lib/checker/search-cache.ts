/**
 * The search's memory of visited configurations: (set of linearized
 * operations, state id). The set is split in two bitsets: operations with a
 * known outcome (which must all be linearized) and optional ones (unknown
 * outcome: may take effect or never). A configuration is pruned when one with
 * the same required set and state and a SUBSET of its optional operations was
 * visited: everything the larger one can still do, the smaller one can too
 * (its unused optional operations stay available or are simply never applied).
 *
 * Bitsets live in one growing Uint32Array slab, chained per 53-bit hash of the
 * required set and the state; comparisons are exact, so a hash collision can
 * never prune a branch.
 */

/** V8 Maps hold at most 2^24 entries; stay clear of it. */
const MAX_MAP_ENTRIES = 16_000_000;
/** Bytes a Map slot with a number key and value costs, roughly. */
const MAP_SLOT_BYTES = 40;

export class CacheFullError extends Error {}

export class SearchCache {
  private slab: Uint32Array;
  private used = 0;
  private readonly heads = new Map<number, number>();
  private readonly entryWords: number;

  constructor(
    private readonly requiredWords: number,
    private readonly optionalWords: number,
    private readonly memoryLimitBytes: number,
  ) {
    this.entryWords = 2 + requiredWords + optionalWords;
    this.slab = new Uint32Array(Math.max(1024, this.entryWords * 256));
  }

  get bytes(): number {
    return this.slab.byteLength + this.heads.size * MAP_SLOT_BYTES;
  }

  get size(): number {
    return this.used / this.entryWords;
  }

  /**
   * Adds the configuration; false when it is already covered (see above).
   * `h1`/`h2` hash the required set. Throws {@link CacheFullError} past the memory limit.
   */
  add(required: Uint32Array, optional: Uint32Array, stateId: number, h1: number, h2: number): boolean {
    const key = ((h1 ^ Math.imul(stateId, 0x9e3779b1)) >>> 0) * 0x200000 + ((h2 ^ Math.imul(stateId, 0x85ebca6b)) & 0x1fffff);
    const first = this.heads.get(key);
    const { slab, requiredWords, optionalWords } = this;
    for (let at = first === undefined ? -1 : first; at >= 0; at = slab[at + 1]! - 1) {
      if (slab[at] !== stateId) continue;
      let covers = true;
      for (let w = 0; w < requiredWords; w += 1) {
        if (slab[at + 2 + w] !== required[w]) {
          covers = false;
          break;
        }
      }
      if (!covers) continue;
      const base = at + 2 + requiredWords;
      for (let w = 0; w < optionalWords; w += 1) {
        if ((slab[base + w]! & ~optional[w]!) !== 0) {
          covers = false;
          break;
        }
      }
      if (covers) return false;
    }
    const at = this.allocate();
    this.slab[at] = stateId;
    this.slab[at + 1] = first === undefined ? 0 : first + 1;
    this.slab.set(required, at + 2);
    this.slab.set(optional, at + 2 + requiredWords);
    this.heads.set(key, at);
    return true;
  }

  private allocate(): number {
    const at = this.used;
    this.used += this.entryWords;
    if (this.used > this.slab.length) {
      const grown = Math.max(this.slab.length * 2, this.used);
      if (grown * 4 + this.heads.size * MAP_SLOT_BYTES > this.memoryLimitBytes || this.heads.size >= MAX_MAP_ENTRIES) {
        throw new CacheFullError(`the search reached its memory cap (${Math.round(this.memoryLimitBytes / 2 ** 20)} MiB)`);
      }
      const next = new Uint32Array(grown);
      next.set(this.slab);
      this.slab = next;
    }
    return at;
  }
}
