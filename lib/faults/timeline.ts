/**
 * The fault timeline: `<artifacts>/faults.jsonl`, one JSON object per line for
 * every network fault applied or healed (teardown heals included, auto: true)
 * and every process fault (kill, stop, start, restart, pause, resume). Each
 * line carries a monotonic timestamp (process.hrtime.bigint(), ns, as a
 * decimal string: JSON has no 64-bit integers) to order and measure events, and
 * the wall clock (ISO 8601) to line them up with container logs.
 *
 * Lines are written synchronously, as events happen, to a descriptor opened
 * once with O_APPEND: the file is complete up to the last event even if the
 * runner crashes right after it (the data is in the kernel once write(2)
 * returns), and a network fault costs one write(2) on top of its map flip —
 * ~3 µs, where reopening the file per line (appendFileSync) costs ~10 µs,
 * more than the whole of the rest of apply().
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { FaultEvent, FaultTime } from './registry.js';

export const TIMELINE_FILE = 'faults.jsonl';

export type TimelineEventType = 'apply' | 'heal' | 'process' | 'process_failed';

/** One line of faults.jsonl. */
export interface TimelineEntry {
  event: TimelineEventType;
  /** process.hrtime.bigint() in ns, decimal string. */
  mono: string;
  /** Wall clock, ISO 8601. */
  wall: string;
  /** Fault name (network) or "<node>/<service>" (process). */
  name: string;
  /** e.g. "isolateAZ", "loss", "kill", "pause". */
  kind: string;
  params: Record<string, unknown>;
  /** Network heals done by teardown rather than by the test. */
  auto?: boolean;
  /** process_failed: why. */
  error?: string;
}

export class FaultTimeline {
  readonly path: string;
  readonly #logger: Logger;
  #warned = false;
  #fd: number | undefined;

  constructor(artifactsDir: string, logger: Logger) {
    this.path = join(artifactsDir, TIMELINE_FILE);
    this.#logger = logger;
  }

  /** Create the (empty) file, so a run without faults still has one, and keep it open. */
  create(): void {
    mkdirSync(join(this.path, '..'), { recursive: true });
    this.#fd ??= openSync(this.path, 'a', 0o644);
  }

  /** After teardown: later events (there should be none) reopen the file. */
  close(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
  }

  /** The FaultRegistry observer: must not throw. */
  readonly onNetworkEvent = (event: FaultEvent): void => {
    this.#write({
      event: event.type,
      ...stamp(event.at),
      name: event.fault.name,
      kind: event.fault.kind,
      params: { ...event.fault.details },
      ...(event.type === 'heal' ? { auto: event.auto } : {}),
    });
  };

  process(at: FaultTime, name: string, kind: string, params: Record<string, unknown>, error?: unknown): void {
    this.#write({
      event: error === undefined ? 'process' : 'process_failed',
      ...stamp(at),
      name,
      kind,
      params,
      ...(error === undefined ? {} : { error: error instanceof Error ? error.message : String(error) }),
    });
  }

  #write(entry: TimelineEntry): void {
    try {
      this.#fd ??= openSync(this.path, 'a', 0o644);
      writeSync(this.#fd, `${JSON.stringify(entry)}\n`);
    } catch (error) {
      // The fault itself took effect; a lost timeline line must not fail the test.
      if (!this.#warned) this.#logger.warn({ err: error, path: this.path }, 'cannot write the fault timeline');
      this.#warned = true;
    }
  }
}

function stamp(at: FaultTime): { mono: string; wall: string } {
  return { mono: at.mono.toString(), wall: at.wall.toISOString() };
}

/** Parse faults.jsonl (for tests and tools). */
export function parseTimeline(text: string): TimelineEntry[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as TimelineEntry);
}
