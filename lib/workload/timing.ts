/**
 * Waiting until a planned time with sub-millisecond accuracy, on the addon's
 * timer thread (lib/native/timer.ts). Node's timers fire on a millisecond loop
 * clock, and polling the event loop for the last few ms kept a core busy and
 * allocated so fast that young-generation collections came every few ms: a
 * nemesis deadline that fell into one was missed by its length.
 */
import { wakeAtMono } from '../native/index.js';

/** A run's clock: ns since `startedMono` (a process.hrtime.bigint() reading), as the recorder keeps it. */
export interface RunClock {
  readonly startedMono: bigint;
  now(): number;
}

/** Resolve at `at` (ns on `clock`), never before; rejects with the signal's reason when aborted. */
export async function sleepUntil(clock: RunClock, at: number, signal?: AbortSignal): Promise<void> {
  // The clock's own reading decides: it may round a few ns differently from the timer's.
  while (clock.now() < at) await wakeAtMono(clock.startedMono + BigInt(Math.ceil(at)), signal);
}
