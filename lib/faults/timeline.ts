/**
 * The fault timeline: `<artifacts>/faults.jsonl`, one JSON object per line for
 * every network fault applied or healed (teardown heals included, auto: true)
 * and every process fault (kill, stop, start, restart, pause, resume). Each
 * line carries a monotonic timestamp (process.hrtime.bigint(), ns, as a
 * decimal string: JSON has no 64-bit integers) to order and measure events, and
 * the wall clock (ISO 8601) to line them up with container logs.
 *
 * Lines are stamped when the event happens and written with one write(2) to a
 * descriptor kept open with O_APPEND, at the end of the event-loop turn the
 * event happened in (setImmediate), and synchronously at close() and on process
 * exit. So apply()/heal() stay map writes only (writing inline cost ~6 µs of a
 * ~6.5 µs apply here), a burst of toggles costs one write, and the file is
 * complete up to the last event unless the process is SIGKILLed in the very
 * turn of that event.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ARTIFACT_FILE_MODE } from '../history/types.js';
import type { FaultEvent, FaultTime } from './registry.js';

export const TIMELINE_FILE = 'faults.jsonl';

export type TimelineEventType = 'apply' | 'heal' | 'process' | 'process_failed' | 'process_ready';

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
  /** Entries not yet written: stamped now, serialised in flush() (JSON and ISO dates cost ~2 µs). */
  #pending: Array<{ at: FaultTime; entry: Omit<TimelineEntry, 'mono' | 'wall'> }> = [];
  #flushScheduled = false;
  readonly #flushOnExit = (): void => this.flush();

  constructor(artifactsDir: string, logger: Logger) {
    this.path = join(artifactsDir, TIMELINE_FILE);
    this.#logger = logger;
  }

  /** Create the (empty) file, so a run without faults still has one, and keep it open. */
  create(): void {
    mkdirSync(join(this.path, '..'), { recursive: true });
    this.#fd ??= openSync(this.path, 'a', ARTIFACT_FILE_MODE);
  }

  /** Write what is pending now (also run on process exit). */
  flush(): void {
    this.#flushScheduled = false;
    if (this.#pending.length === 0) return;
    const text = this.#pending.map(({ at, entry }) => `${JSON.stringify(line(at, entry))}\n`).join('');
    this.#pending = [];
    try {
      this.#fd ??= openSync(this.path, 'a', ARTIFACT_FILE_MODE);
      writeSync(this.#fd, text);
    } catch (error) {
      // The fault itself took effect; a lost timeline line must not fail the test.
      if (!this.#warned) this.#logger.warn({ err: error, path: this.path }, 'cannot write the fault timeline');
      this.#warned = true;
    }
  }

  /** After teardown: flushes; later events (there should be none) reopen the file. */
  close(): void {
    this.flush();
    process.off('exit', this.#flushOnExit);
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
  }

  /** The FaultRegistry observer: must not throw. */
  readonly onNetworkEvent = (event: FaultEvent): void => {
    this.#write(event.at, {
      event: event.type,
      name: event.fault.name,
      kind: event.fault.kind,
      params: { ...event.fault.details },
      ...(event.type === 'heal' ? { auto: event.auto } : {}),
    });
  };

  process(at: FaultTime, name: string, kind: string, params: Record<string, unknown>, error?: unknown): void {
    this.#write(at, {
      event: error === undefined ? 'process' : 'process_failed',
      name,
      kind,
      params,
      ...(error === undefined ? {} : { error: error instanceof Error ? error.message : String(error) }),
    });
  }

  /** A started/restarted service passed its readiness probe again (start/restart with awaitReady). */
  ready(at: FaultTime, name: string, kind: string, params: Record<string, unknown>): void {
    this.#write(at, { event: 'process_ready', name, kind, params });
  }

  #write(at: FaultTime, entry: Omit<TimelineEntry, 'mono' | 'wall'>): void {
    this.#pending.push({ at, entry });
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    if (process.listeners('exit').indexOf(this.#flushOnExit) < 0) process.on('exit', this.#flushOnExit);
    setImmediate(() => this.flush());
  }
}

/** Field order of a line: event, timestamps, then the rest. */
function line(at: FaultTime, entry: Omit<TimelineEntry, 'mono' | 'wall'>): TimelineEntry {
  const { event, ...rest } = entry;
  return { event, ...stamp(at), ...rest };
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
