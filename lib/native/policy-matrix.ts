/**
 * A whole network policy as plain data, laid out word for word like one buffer
 * of the XDP program's policy map (bpf/pakostii_shared.h), so that
 * FaultEngine.commit() is typed-array copies into the map.
 *
 * Layout, in u64 words (the u32 view below is little endian: a u64 word w is
 * u32 entries 2w and 2w+1):
 *   word 0                       header: flags (HAS_LOSS) in the low u32
 *   words 1 .. nodes*rowWords    drop bitmap, row = src, bit = dst
 *   then one u32 per cell        loss threshold of src*nodes + dst
 *
 * Only the header and bitmap are held as an image (2 MiB at 4,096 nodes). The
 * loss cells (nodes² u32: 64 MiB at 4,096 nodes) are held per source row, and
 * only for rows with a loss: a row starts as a map dst → threshold and becomes
 * a dense Uint32Array once it has more than nodes/DENSE_ROW_FRACTION cells
 * (where the map would cost more than the row). A run keeps one matrix per
 * defined fault: a loss between a few nodes, or from one node to all, costs
 * kilobytes, and only a loss between large groups approaches the full size.
 */
import { SpecError } from '../errors.js';

/** Mirrors of bpf/pakostii_shared.h. */
export const POLICY_LAYOUT = Object.freeze({
  headerWords: 1,
  flagHasLoss: 1,
  lossAll: 0xffffffff,
  maxNodes: 4096,
  rowWords: (nodes: number): number => Math.ceil(nodes / 64),
  bufferWords: (nodes: number): number =>
    1 + nodes * Math.ceil(nodes / 64) + Math.ceil((nodes * nodes) / 2),
});

const TWO_POW_32 = 2 ** 32;

/** The u32 loss threshold for `percent`: drop when a random u32 < threshold. */
export function lossThreshold(percent: number): number {
  if (percent <= 0) return 0;
  if (percent >= 100) return POLICY_LAYOUT.lossAll;
  return Math.min(POLICY_LAYOUT.lossAll - 1, Math.max(1, Math.round((percent / 100) * TWO_POW_32)));
}

/** A row turns dense past nodes / this many cells (a map entry costs several times a u32 cell). */
const DENSE_ROW_FRACTION = 8;

/** Loss cells of one source row: sparse (dst → threshold) or dense (one u32 per dst). */
type LossRow = Map<number, number> | Uint32Array;

/** Where a commit wrote loss cells into a buffer, so the next commit into it zeroes exactly those. @internal */
export interface WrittenLoss {
  /** u32 offsets of single cells. */
  readonly cells: readonly number[];
  /** u32 offsets of whole rows (nodes cells each). */
  readonly rows: readonly number[];
}

/** What a commit without loss wrote: shared, so that a cut-only commit allocates nothing. */
const NO_LOSS_WRITTEN: WrittenLoss = Object.freeze({ cells: Object.freeze([]), rows: Object.freeze([]) });

export class PolicyMatrix {
  /** Node indexes covered, runner (0) included. */
  readonly nodes: number;
  /** u64 words per drop-bitmap row. */
  readonly rowWords: number;
  /** Header + drop bitmap, as in the map's buffer. */
  readonly bitmapImage: Uint32Array;
  /** u32 offset of the loss cells in a buffer. */
  readonly #lossStart: number;
  /** Per source row, made at its first loss. */
  #lossRows: Array<LossRow | undefined> | undefined;
  #lossCells = 0;
  /** Cells held in each dense row (to know when a row is empty again). */
  readonly #denseCounts = new Map<number, number>();

  constructor(nodes: number) {
    if (!Number.isInteger(nodes) || nodes < 1 || nodes > POLICY_LAYOUT.maxNodes) {
      throw new SpecError(`policy matrix: invalid node count ${nodes}`, {
        hint: `use an integer from 1 to ${POLICY_LAYOUT.maxNodes} (node indexes, runner included)`,
      });
    }
    this.nodes = nodes;
    this.rowWords = POLICY_LAYOUT.rowWords(nodes);
    this.#lossStart = (POLICY_LAYOUT.headerWords + nodes * this.rowWords) * 2;
    this.bitmapImage = new Uint32Array(this.#lossStart);
  }

  /** A full buffer image (u32 view of PK_BUFFER_WORDS(nodes) u64 words), made on each call: for tests and tools, not the fault path. */
  get words(): Uint32Array {
    const image = new Uint32Array(POLICY_LAYOUT.bufferWords(this.nodes) * 2);
    image.set(this.bitmapImage);
    this.writeLossInto(image);
    return image;
  }

  /** Bytes this matrix holds now (map entries estimated at 16 bytes). */
  get byteLength(): number {
    let bytes = this.bitmapImage.byteLength + (this.#lossRows ? this.nodes * 8 : 0);
    for (const row of this.#lossRows ?? []) if (row) bytes += row instanceof Uint32Array ? row.byteLength : row.size * 16;
    return bytes;
  }

  /** True when some cell has a non-zero loss: the program then looks thresholds up. */
  get hasLoss(): boolean {
    return this.#lossCells > 0;
  }

  /** Drop packets from `src` to `dst` (node indexes). */
  cut(src: number, dst: number): void {
    this.#check('cut', src, dst);
    this.bitmapImage[this.#bitIndex(src, dst)]! |= 1 << (dst & 31);
  }

  /** Undo cut(src, dst). */
  uncut(src: number, dst: number): void {
    this.#check('uncut', src, dst);
    this.bitmapImage[this.#bitIndex(src, dst)]! &= ~(1 << (dst & 31));
  }

  isCut(src: number, dst: number): boolean {
    this.#check('isCut', src, dst);
    return ((this.bitmapImage[this.#bitIndex(src, dst)]! >>> (dst & 31)) & 1) === 1;
  }

  /** Drop `percent` (0..100) of packets from `src` to `dst`; 0 removes the loss. */
  setLoss(src: number, dst: number, percent: number): void {
    this.#check('setLoss', src, dst);
    if (!Number.isFinite(percent) || percent < 0 || percent > 100) {
      throw new SpecError(`policy matrix: setLoss(${src}, ${dst}): invalid percent ${percent}`, {
        hint: 'give a loss percentage from 0 to 100',
      });
    }
    const after = lossThreshold(percent);
    const row = this.#lossRows?.[src];
    if (after === 0 && row === undefined) return; // nothing to remove
    const rows = (this.#lossRows ??= new Array<LossRow | undefined>(this.nodes));
    let before: number;
    if (row instanceof Uint32Array) {
      before = row[dst]!;
      row[dst] = after;
      const count = this.#denseCounts.get(src)! + (after !== 0 ? 1 : 0) - (before !== 0 ? 1 : 0);
      if (count === 0) {
        rows[src] = undefined;
        this.#denseCounts.delete(src);
      } else this.#denseCounts.set(src, count);
    } else {
      const sparse = row ?? new Map<number, number>();
      before = sparse.get(dst) ?? 0;
      if (after === 0) sparse.delete(dst);
      else sparse.set(dst, after);
      if (sparse.size === 0) rows[src] = undefined;
      else if (sparse.size > this.nodes / DENSE_ROW_FRACTION) {
        const dense = new Uint32Array(this.nodes);
        for (const [d, t] of sparse) dense[d] = t;
        rows[src] = dense;
        this.#denseCounts.set(src, sparse.size);
      } else rows[src] = sparse;
    }
    this.#lossCells += (after !== 0 ? 1 : 0) - (before !== 0 ? 1 : 0);
    this.bitmapImage[0] = this.#lossCells > 0 ? POLICY_LAYOUT.flagHasLoss : 0;
  }

  /** The loss threshold (u32) of a cell, as the program sees it. */
  lossThresholdOf(src: number, dst: number): number {
    this.#check('lossThresholdOf', src, dst);
    const row = this.#lossRows?.[src];
    if (row === undefined) return 0;
    return row instanceof Uint32Array ? row[dst]! : (row.get(dst) ?? 0);
  }

  /**
   * Write the loss cells into a buffer image whose loss region is zero (or was
   * zeroed where the previous commit wrote), and say where they went. @internal
   */
  writeLossInto(target: Uint32Array): WrittenLoss {
    const rows = this.#lossRows;
    if (!rows || this.#lossCells === 0) return NO_LOSS_WRITTEN;
    const written = { cells: [] as number[], rows: [] as number[] };
    for (let src = 0; src < rows.length; src++) {
      const row = rows[src];
      if (row === undefined) continue;
      const base = this.#lossStart + src * this.nodes;
      if (row instanceof Uint32Array) {
        target.set(row, base);
        written.rows.push(base);
      } else {
        for (const [dst, threshold] of row) {
          target[base + dst] = threshold;
          written.cells.push(base + dst);
        }
      }
    }
    return written;
  }

  /** No cut, no loss. */
  clear(): void {
    this.bitmapImage.fill(0);
    this.#lossRows = undefined;
    this.#denseCounts.clear();
    this.#lossCells = 0;
  }

  #bitIndex(src: number, dst: number): number {
    return (POLICY_LAYOUT.headerWords + src * this.rowWords) * 2 + (dst >>> 5);
  }

  #check(op: string, src: number, dst: number): void {
    const n = this.nodes;
    if (!Number.isInteger(src) || !Number.isInteger(dst) || src < 0 || dst < 0 || src >= n || dst >= n) {
      throw new SpecError(`policy matrix: ${op}(${src}, ${dst}): node index out of range`, {
        hint: `node indexes go from 0 (the runner) to ${n - 1}`,
      });
    }
  }
}
