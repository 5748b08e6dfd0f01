/**
 * Image pull progress: one cli-progress bar per image on a terminal, throttled
 * log lines otherwise (CI logs should not fill with redraws). Local images
 * (already present) produce no progress at all.
 */
import cliProgress from 'cli-progress';
import type { Logger } from 'pino';
import type { PullProgress } from '../containerd/index.js';

const LOG_EVERY_MS = 2_000;

export interface PullReporter {
  onProgress(p: PullProgress): void;
  done(): void;
}

export function createPullReporter(logger: Logger, tty = Boolean(process.stderr.isTTY)): PullReporter {
  if (tty) {
    const bars = new cliProgress.MultiBar(
      { format: 'pulling {ref} [{bar}] {percentage}% {value}/{total} bytes', hideCursor: true, clearOnComplete: false },
      cliProgress.Presets.shades_classic,
    );
    const byRef = new Map<string, cliProgress.SingleBar>();
    return {
      onProgress(p) {
        let bar = byRef.get(p.ref);
        if (!bar) {
          bar = bars.create(Math.max(p.bytesTotal, 1), 0, { ref: p.ref });
          byRef.set(p.ref, bar);
        }
        bar.setTotal(Math.max(p.bytesTotal, 1));
        bar.update(p.bytesDone, { ref: p.ref });
      },
      done() {
        bars.stop();
      },
    };
  }
  const lastLogged = new Map<string, number>();
  return {
    onProgress(p) {
      const now = Date.now();
      const complete = p.bytesTotal > 0 && p.bytesDone >= p.bytesTotal;
      if (!complete && now - (lastLogged.get(p.ref) ?? 0) < LOG_EVERY_MS) return;
      lastLogged.set(p.ref, now);
      logger.info({ image: p.ref, bytes_done: p.bytesDone, bytes_total: p.bytesTotal }, complete ? 'image pulled' : 'pulling image');
    },
    done() {},
  };
}
