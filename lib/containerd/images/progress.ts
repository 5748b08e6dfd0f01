/**
 * Byte progress of one image pull: total = config + layers of the chosen
 * manifest, content already in containerd counts as done from the start.
 * Reports are throttled (a call per 1 MiB chunk would flood a terminal bar)
 * but the final bytesDone === bytesTotal report is always delivered.
 */
import type { PullProgress } from '../types.js';

const MIN_INTERVAL_MS = 100;

export class PullProgressTracker {
  #done = 0;
  #lastReport = 0;
  #finished = false;
  constructor(
    readonly ref: string,
    readonly total: number,
    private readonly listener: ((p: PullProgress) => void) | undefined,
  ) {}

  add(bytes: number): void {
    this.#done = Math.min(this.total, this.#done + bytes);
    const now = Date.now();
    if (now - this.#lastReport >= MIN_INTERVAL_MS && this.#done < this.total) {
      this.#lastReport = now;
      this.#emit();
    }
  }

  /** Reports completion once (call after every blob is stored). */
  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#done = this.total;
    this.#emit();
  }

  get done(): number {
    return this.#done;
  }

  #emit(): void {
    try {
      this.listener?.({ ref: this.ref, bytesDone: this.#done, bytesTotal: this.total });
    } catch {
      // A failing progress display must not fail the pull.
    }
  }
}
