/**
 * Waiting until a planned time with sub-millisecond accuracy, on the addon's
 * timer thread (lib/native/timer.ts). Node's timers fire on a millisecond loop
 * clock, and polling the event loop for the last few ms kept a core busy and
 * allocated so fast that young-generation collections came every few ms: a
 * nemesis deadline that fell into one was missed by its length.
 *
 * A precise wait (the nemesis's: a fault's planned time is part of the
 * history) has the timer wake the JS thread {@link SPIN_LEAD_NS} early and then
 * spins to the time in the addon. Waking the JS thread takes ~0.1 ms, which the
 * spin absorbs (median error ~10 µs instead of ~100 µs), and so does a
 * collection that starts before the wake-up; the spin allocates nothing, so no
 * collection can start in it. A full collection or a stalled vCPU longer than
 * the lead still makes the wait late. It holds the event loop for at most the
 * lead, once per fault: operations completing meanwhile are recorded up to that
 * much later, which only widens their intervals (a checker stays sound).
 */
import { spinUntilMono, wakeAtMono } from '../native/index.js';

/** A run's clock: ns since `startedMono` (a process.hrtime.bigint() reading), as the recorder keeps it. */
export interface RunClock {
  readonly startedMono: bigint;
  now(): number;
}

/**
 * How early a precise wait's timer wakes the JS thread, which spins the rest. Longer than a
 * young-generation collection here (3–5 ms on this VM): one that starts before the wake-up ends
 * before the planned time, and none can start during the spin. With 1 ms, p99 was ~2 ms.
 */
export const SPIN_LEAD_NS = 5_000_000;

/**
 * Resolve at `at` (ns on `clock`), never before; rejects with the signal's reason when aborted.
 * `precise`: resolve within microseconds of `at` (see above), at the cost of up to SPIN_LEAD_NS of spinning.
 */
export async function sleepUntil(clock: RunClock, at: number, signal?: AbortSignal, precise = false): Promise<void> {
  const wake = precise ? at - SPIN_LEAD_NS : at;
  // The clock's own reading decides: it may round a few ns differently from the timer's.
  while (clock.now() < wake) await wakeAtMono(clock.startedMono + BigInt(Math.ceil(wake)), signal);
  if (!precise) return;
  signal?.throwIfAborted();
  // In the addon: a JS loop on a clock makes a number per reading, which would feed the collector.
  // Looped, for a clock that reads a little behind process.hrtime.
  while (clock.now() < at) spinUntilMono(clock.startedMono + BigInt(Math.ceil(at)));
}
