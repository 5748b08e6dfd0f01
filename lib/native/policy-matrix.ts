/**
 * A whole network policy as plain data, laid out word for word like one buffer
 * of the XDP program's policy map (bpf/pakostii_shared.h), so that
 * FaultEngine.commit() is a single typed-array copy.
 *
 * Layout, in u64 words (the u32 view below is little endian: a u64 word w is
 * u32 entries 2w and 2w+1):
 *   word 0                       header: flags (HAS_LOSS) in the low u32
 *   words 1 .. nodes*rowWords    drop bitmap, row = src, bit = dst
 *   then one u32 per cell        loss threshold of src*nodes + dst
 *
 * The loss cells (nodes² u32: 64 MiB at 4,096 nodes, against 2 MiB of bitmap)
 * exist only once some loss is set: a run keeps one matrix per defined fault,
 * and most faults are cuts.
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

export class PolicyMatrix {
  /** Node indexes covered, runner (0) included. */
  readonly nodes: number;
  /** u64 words per drop-bitmap row. */
  readonly rowWords: number;
  /** Header + drop bitmap: all a commit needs to copy while no loss is involved. */
  bitmapImage: Uint32Array;
  /** The whole buffer image, made at the first loss. */
  #full: Uint32Array | undefined;
  readonly #lossStart: number;
  #lossCells = 0;

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

  /** The buffer image (u32 view of PK_BUFFER_WORDS(nodes) u64 words), loss cells included (made now if none were). */
  get words(): Uint32Array {
    if (this.#full === undefined) {
      this.#full = new Uint32Array(POLICY_LAYOUT.bufferWords(this.nodes) * 2);
      this.#full.set(this.bitmapImage);
      this.bitmapImage = this.#full.subarray(0, this.#lossStart);
    }
    return this.#full;
  }

  /** Bytes this matrix holds now. */
  get byteLength(): number {
    return (this.#full ?? this.bitmapImage).byteLength;
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
    if (after === 0 && this.#full === undefined) return; // no loss cells yet: nothing to remove
    const words = this.words;
    const at = this.#lossStart + src * this.nodes + dst;
    const before = words[at]!;
    words[at] = after;
    this.#lossCells += (after !== 0 ? 1 : 0) - (before !== 0 ? 1 : 0);
    words[0] = this.#lossCells > 0 ? POLICY_LAYOUT.flagHasLoss : 0;
  }

  /** The loss threshold (u32) of a cell, as the program sees it. */
  lossThresholdOf(src: number, dst: number): number {
    this.#check('lossThresholdOf', src, dst);
    return this.#full === undefined ? 0 : this.#full[this.#lossStart + src * this.nodes + dst]!;
  }

  /** No cut, no loss. Only touches the loss cells when some were set. */
  clear(): void {
    if (this.#lossCells > 0) this.#full!.fill(0);
    else this.bitmapImage.fill(0);
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
