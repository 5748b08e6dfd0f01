/**
 * Waiting until a planned time with sub-millisecond accuracy: a Node timer for
 * all but the last few ms (timers fire on a millisecond loop clock, and a
 * sleeping process can wake a millisecond or more late), then the event loop
 * is polled until the time comes.
 *
 * All waiters in that last stretch share one poller: one setImmediate per
 * event-loop turn checks every deadline. A promise and an immediate per waiter
 * per turn (a dozen client threads and the nemesis each polling on their own)
 * allocated so fast that young-generation collections came every few ms, and a
 * nemesis deadline that fell into one was missed by its length.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** How long before the time the poller takes over from the timer. */
const POLL_NS = 3_000_000;

interface Waiter {
  /** performance.now() (ms) at which the waiter is due. */
  readonly dueMs: number;
  readonly resolve: () => void;
}

/** Waiters in their last POLL_NS, polled each turn. */
let polled: Waiter[] = [];
let polling = false;

/** Resolve at `at` (ns on the `now` clock), never before; rejects with the signal's reason when aborted. */
export async function sleepUntil(now: () => number, at: number, signal?: AbortSignal): Promise<void> {
  let remaining = at - now();
  if (remaining <= 0) return;
  if (remaining > POLL_NS) {
    // An aborted timer rejects with an AbortError; the signal's own reason is what callers are promised.
    await sleep(Math.floor((remaining - POLL_NS) / 1e6), undefined, signal ? { signal } : undefined).catch((error: unknown) => {
      signal?.throwIfAborted();
      throw error;
    });
  }
  // The poller runs on performance.now(); a few ns of difference from `now` take one more round.
  for (remaining = at - now(); remaining > 0; remaining = at - now()) {
    signal?.throwIfAborted();
    await due(performance.now() + remaining / 1e6, signal);
  }
}

/** Resolves in the first event-loop turn at or after `dueMs` (or rejects when `signal` aborts). */
function due(dueMs: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal === undefined) {
      polled.push({ dueMs, resolve });
    } else {
      const onAbort = (): void => {
        polled = polled.filter((w) => w !== waiter);
        reject(signal.reason);
      };
      const waiter: Waiter = {
        dueMs,
        resolve: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      polled.push(waiter);
    }
    if (!polling) {
      polling = true;
      setImmediate(poll);
    }
  });
}

function poll(): void {
  const now = performance.now();
  let kept = 0;
  for (const waiter of polled) {
    // resolve() runs nothing now: the waiter's continuation is a microtask, after this callback.
    if (waiter.dueMs <= now) waiter.resolve();
    else polled[kept++] = waiter;
  }
  polled.length = kept;
  polling = kept > 0;
  if (polling) setImmediate(poll);
}
