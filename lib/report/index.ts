/**
 * The run report: `report.html` in a run's artifacts directory, built from the
 * files alone (run.json, history.jsonl, results.json, faults.jsonl, logs/), so
 * it works on old runs and on copies from CI. One self-contained page: uPlot,
 * the report's script, styles and data all inlined.
 */
import { randomBytes } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIFACT_FILE_MODE, ARTIFACT_FILES } from '../history/types.js';
import { renderPage } from './page.js';
import { buildModel, type ReportModel } from './report-data.js';
import { readRunFiles } from './run-files.js';
import { summaryLines } from './summary.js';

export interface WrittenReport {
  /** Absolute path of report.html. */
  path: string;
  bytes: number;
  /** The terminal summary, one line per entry. */
  summary: string[];
  hasHistory: boolean;
}

/** Build `<dir>/report.html` (replacing an older one). Throws when the directory cannot be read or written. */
export async function writeReport(dir: string): Promise<WrittenReport> {
  const model: ReportModel = await buildModel(readRunFiles(dir));
  const html = renderPage(model);
  const path = join(dir, ARTIFACT_FILES.report);
  // Written aside and renamed: a reader (or a crash) never sees half a page.
  // O_EXCL: never through a symlink someone planted at the temporary name (root may run `pakostii report` on any dir).
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, html, { mode: ARTIFACT_FILE_MODE, flag: 'wx' });
  renameSync(tmp, path);
  return { path, bytes: Buffer.byteLength(html), summary: summaryLines(model, path), hasHistory: model.ops !== undefined };
}
