/**
 * SIGINT/SIGTERM/SIGHUP during a run: handlers exist only while a run is active. The
 * first signal aborts the run (its teardown then completes) and marks the
 * process to exit non-zero (128 + signal number, like a shell).
 *
 * A signal within REPEAT_WINDOW_MS of the first is the same interrupt
 * delivered twice, not a person asking again: `npx`/`npm exec` relays the
 * terminal's SIGINT to its child, which the terminal already sent to the whole
 * process group (~40 ms apart). It is ignored, so teardown is never cut short
 * by one Ctrl-C. A later, deliberate second interrupt only says teardown is
 * under way (it already kills containers without a grace period); a third
 * exits at once, naming what is left and the command that removes it.
 */
import { constants } from 'node:os';
import type { Logger } from 'pino';

// SIGHUP too: a closed terminal must not leave a cluster behind.
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type InterruptSignal = (typeof SIGNALS)[number];

export function exitCodeFor(signal: InterruptSignal): number {
  return 128 + constants.signals[signal];
}

/** Signals this soon after the first are its echo (npm relaying the terminal's signal), not a new request. */
export const REPEAT_WINDOW_MS = 1000;

export interface InterruptGuard {
  /** Resolves with the signal when the first one arrives (never rejects). */
  readonly interrupted: Promise<InterruptSignal>;
  readonly received: InterruptSignal | undefined;
  /** Remove the handlers (end of run). */
  dispose(): void;
}

export function guardInterrupts(logger: Logger, runId: string, onInterrupt: (signal: InterruptSignal) => void): InterruptGuard {
  let received: InterruptSignal | undefined;
  let firstAt = 0;
  let deliberate = 0;
  let resolveInterrupted: (signal: InterruptSignal) => void = () => undefined;
  const interrupted = new Promise<InterruptSignal>((resolve) => (resolveInterrupted = resolve));
  // `pakostii cleanup` removes every run whose process is gone, this one included once we exit.
  const cleanupCommand = `sudo npx pakostii cleanup (run ${runId})`;
  const handler = (signal: InterruptSignal) => {
    if (received !== undefined) {
      if (performance.now() - firstAt < REPEAT_WINDOW_MS) {
        logger.debug({ signal }, 'repeated interrupt ignored (the same Ctrl-C relayed by a wrapper such as npx)');
        return;
      }
      deliberate += 1;
      if (deliberate === 1) {
        logger.warn({ signal }, `still tearing down (containers are killed, not stopped); interrupt once more to exit now and leave the rest to: ${cleanupCommand}`);
        return;
      }
      logger.error(
        { signal, left_behind: `run ${runId}: whatever teardown had not removed yet (namespaces, links, containers, scratch files)`, remove_with: cleanupCommand },
        `exiting before teardown finished; remove what is left with: ${cleanupCommand}`,
      );
      process.exit(exitCodeFor(signal));
    }
    received = signal;
    firstAt = performance.now();
    process.exitCode = exitCodeFor(signal);
    logger.warn({ signal }, 'interrupted: tearing down (interrupt twice more to exit at once)');
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
