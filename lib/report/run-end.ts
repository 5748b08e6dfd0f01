/**
 * The end of a run: write report.html and print the terminal summary. Never
 * throws — a report that cannot be written is a warning, not a failed test.
 */
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { writeReport } from './index.js';

export async function reportAtRunEnd(artifactsDir: string, log: Logger): Promise<void> {
  // A run that failed before its artifacts directory existed has nothing to show.
  if (!existsSync(artifactsDir)) return;
  try {
    const written = await writeReport(artifactsDir);
    if (written.hasHistory) log.info({ report: written.path }, `run summary\n${written.summary.join('\n')}`);
    else log.info({ report: written.path }, 'report written');
  } catch (error) {
    log.warn({ err: error, artifacts_dir: artifactsDir }, 'cannot write the run report (rebuild it with `pakostii report <artifacts-dir>`)');
  }
}
