/**
 * SIGINT/SIGTERM/SIGHUP during a run: handlers exist only while a run is active. The
 * first signal aborts the run (its teardown then completes) and marks the
 * process to exit non-zero (128 + signal number, like a shell); a second one
 * means "get me out" and exits at once, leaving leftovers to the janitor.
 */
import { constants } from 'node:os';
import type { Logger } from 'pino';

// SIGHUP too: a closed terminal must not leave a cluster behind.
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type InterruptSignal = (typeof SIGNALS)[number];

export function exitCodeFor(signal: InterruptSignal): number {
  return 128 + constants.signals[signal];
}

export interface InterruptGuard {
  /** Resolves with the signal when the first one arrives (never rejects). */
  readonly interrupted: Promise<InterruptSignal>;
  readonly received: InterruptSignal | undefined;
  /** Remove the handlers (end of run). */
  dispose(): void;
}

export function guardInterrupts(logger: Logger, onInterrupt: (signal: InterruptSignal) => void): InterruptGuard {
  let received: InterruptSignal | undefined;
  let resolveInterrupted: (signal: InterruptSignal) => void = () => undefined;
  const interrupted = new Promise<InterruptSignal>((resolve) => (resolveInterrupted = resolve));
  const handler = (signal: InterruptSignal) => {
    if (received !== undefined) {
      logger.error({ signal }, 'second interrupt: exiting before teardown finished; leftovers are removed by the janitor');
      process.exit(exitCodeFor(signal));
    }
    received = signal;
    process.exitCode = exitCodeFor(signal);
    logger.warn({ signal }, 'interrupted: tearing down (interrupt again to exit at once)');
    onInterrupt(signal);
    resolveInterrupted(signal);
  };
  for (const signal of SIGNALS) process.on(signal, handler);
  return {
    interrupted,
    get received() {
      return received;
    },
    dispose() {
      for (const signal of SIGNALS) process.off(signal, handler);
    },
  };
}
