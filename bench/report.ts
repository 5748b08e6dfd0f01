/**
 * The run report at scale: a synthetic register run of 100,000 and of
 * 1,000,000 operations (test/report/fixtures/synthetic-run.ts), report.html
 * built from it, then opened in headless Debian chromium (offline) and timed
 * from navigation start to the page's first full paint (every chart and canvas
 * drawn, a frame presented: window.pakostiiReport.paintMs).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeReport } from '../lib/report/index.js';
import { CHROMIUM, launchBrowser, openReport } from '../test/report/browser.js';
import { writeSyntheticRun } from '../test/report/fixtures/synthetic-run.js';
import { median, round } from './stats.js';

export interface ReportSizeResult {
  operations: number;
  file_mb: number;
  build_ms: number;
  /** Navigation start → first full paint, median of the samples. */
  paint_ms: number;
  paint_ms_samples: number[];
  /** CPU time of the page's main thread up to that paint, median: the cost without the machine's load. */
  main_thread_cpu_ms: number;
  /** Each start-up step (decode, charts, canvases), ms since navigation start, of the last sample. */
  marks: Record<string, number>;
  console_errors: number;
}

export interface ReportBenchResult {
  ops_100k?: ReportSizeResult;
  ops_1m?: ReportSizeResult;
  chromium: string;
  loadavg_start: number;
}

export async function runReportBench(options: { samples: number; million: boolean }, log: (m: string) => void): Promise<ReportBenchResult> {
  const result: ReportBenchResult = { chromium: execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).trim(), loadavg_start: round(loadavg()[0]!) };
  const scratch = mkdtempSync(join(tmpdir(), 'pakostii-bench-report-'));
  const browser = await launchBrowser();
  try {
    result.ops_100k = await measure(100_000, options.samples);
    if (options.million) result.ops_1m = await measure(1_000_000, 1);
  } finally {
    await browser.close();
    rmSync(scratch, { recursive: true, force: true });
  }
  return result;

  async function measure(operations: number, samples: number): Promise<ReportSizeResult> {
    const run = await writeSyntheticRun({ dir: join(scratch, `etcd_register-${operations}`), operations, violation: true });
    const t0 = performance.now();
    const written = await writeReport(run.dir);
    const build = performance.now() - t0;
    const paints: number[] = [];
    const cpu: number[] = [];
    let marks: Record<string, number> = {};
    let errors = 0;
    for (let i = 0; i < samples; i++) {
      const opened = await openReport(browser, written.path);
      paints.push(round(opened.paintMs));
      cpu.push(round(opened.mainThreadCpuMs));
      marks = await opened.page.evaluate(() => window.pakostiiReport!.marks);
      errors += opened.errors.length + opened.blocked.length;
      await opened.page.context().close();
    }
    const r = {
      operations,
      file_mb: round(statSync(written.path).size / 1e6),
      build_ms: round(build),
      paint_ms: round(median(paints)),
      paint_ms_samples: paints,
      main_thread_cpu_ms: round(median(cpu)),
      marks,
      console_errors: errors,
    };
    log(`  ${operations} ops: ${r.file_mb} MB, built in ${r.build_ms} ms, first full paint ${r.paint_ms} ms (${paints.join(', ')}), main thread CPU ${r.main_thread_cpu_ms} ms`);
    rmSync(run.dir, { recursive: true, force: true });
    return r;
  }
}
