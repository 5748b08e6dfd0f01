/** `pakostii report <artifacts-dir>` rebuilds report.html from the files alone and prints the summary. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSyntheticRun } from '../report/fixtures/synthetic-run.js';
import { runCli } from './support.js';

const scratch = mkdtempSync(join(tmpdir(), 'pakostii-report-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('pakostii report', () => {
  it('writes report.html into the run directory and prints verdicts, counts and the path', async () => {
    const run = await writeSyntheticRun({ dir: join(scratch, 'etcd_register-cli01'), operations: 800, violation: true });
    const result = await runCli(['report', run.dir]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = join(run.dir, 'report.html');
    expect(statSync(report).mode & 0o777).toBe(0o640); // artifacts may hold secrets: not world-readable
    expect(readFileSync(report, 'utf8')).toContain('<script id="report-data"');
    expect(result.stdout).toContain('linearizable: INVALID — read of 0');
    expect(result.stdout).toContain(`replay: ${run.replay}`);
    expect(result.stdout).toMatch(/read +ok \d+/);
    expect(result.stdout).toContain(`report: ${report}`);
    expect(readdirSync(run.dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('says what to pass when the directory does not exist', async () => {
    const result = await runCli(['report', join(scratch, 'missing')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('is not a directory');
    expect(result.stderr).toContain("hint: pass a run's artifacts directory");
  });
});
