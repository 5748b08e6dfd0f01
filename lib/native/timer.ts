/**
 * Waking at a precise time without spinning (native/timer.cc): a thread of the
 * addon sleeps until the deadline with 1 ns timer slack and settles the wait on
 * the JS thread. Node's timers fire on a millisecond loop clock, and polling the
 * event loop for the last stretch kept a core busy and the garbage collector
 * fed. Only pending waits keep the process alive.
 */
import { addon } from './addon.js';

/**
 * Resolves once process.hrtime.bigint() >= `ns` (never before); rejects with
 * `signal.reason` when the signal aborts first, and the wait is dropped.
 */
export function wakeAtMono(ns: bigint | number, signal?: AbortSignal): Promise<void> {
  if (signal === undefined) return addon().timerWake(ns).promise.then(ignore);
  if (signal.aborted) return Promise.reject(signal.reason as unknown);
  const wait = addon().timerWake(ns);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      wait.cancel();
      reject(signal.reason as unknown);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    void wait.promise.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

/**
 * Spins this thread until process.hrtime.bigint() >= `ns`, for at most 10 ms; whether `ns` was
 * reached. Holds the event loop: only for the last stretch of a wait that must be exact.
 */
export function spinUntilMono(ns: bigint | number): boolean {
  return addon().timerSpinUntil(ns);
}

function ignore(): void {}
