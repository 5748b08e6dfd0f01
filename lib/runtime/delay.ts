/**
 * A sleep that ends early when `signal` aborts, rejecting with the signal's own
 * reason (e.g. "interrupted by SIGINT") rather than a generic AbortError.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export async function delay(ms: number, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  try {
    await sleep(ms, undefined, { signal });
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw error;
  }
}
