/**
 * Waiting until a planned time with sub-millisecond accuracy: a timer for all
 * but the last ~1.5 ms (timers fire late by up to a millisecond or so), then
 * yielding to the event loop (setImmediate) until the monotonic clock reaches
 * the time. The spin is short and only happens when something is planned.
 */
import { setImmediate as immediate, setTimeout as sleep } from 'node:timers/promises';

const SPIN_NS = 3_000_000;

/** Resolve at `at` (ns on the `now` clock); rejects with the signal's reason when aborted. */
export async function sleepUntil(now: () => number, at: number, signal?: AbortSignal): Promise<void> {
  let remaining = at - now();
  if (remaining <= 0) return;
  if (remaining > SPIN_NS) {
    await sleep(Math.floor((remaining - SPIN_NS) / 1e6), undefined, signal ? { signal } : undefined);
  }
  for (remaining = at - now(); remaining > 0; remaining = at - now()) {
    signal?.throwIfAborted();
    await immediate();
  }
}
