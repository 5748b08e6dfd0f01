/**
 * `pakostii cleanup` as a child process: a namespace named like a crashed
 * run's (no run record, no process) is listed by --dry-run and left in place,
 * then removed by a real cleanup. Observed with iproute2.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { names, newRunId } from '../../lib/host/names.js';
import { runCli } from './support.js';

const runId = newRunId();
const leftover = names.nodeNetns(runId, 'n1');

const netnsNames = () =>
  execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.split(' ')[0]);

interface CleanupJson {
  dryRun: boolean;
  runs: Array<{ id: string; reason: string; netns: string[]; errors: string[] }>;
}

afterAll(() => {
  if (netnsNames().includes(leftover)) execFileSync('ip', ['netns', 'delete', leftover]);
});

describe('pakostii cleanup', () => {
  it('--dry-run lists a dead run’s namespace and removes nothing', async () => {
    execFileSync('ip', ['netns', 'add', leftover]); // what a run killed with SIGKILL leaves behind
    const result = await runCli(['cleanup', '--dry-run', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as CleanupJson;
    expect(report.dryRun).toBe(true);
    expect(report.runs.find((r) => r.id === runId)).toMatchObject({ reason: 'no-record', netns: [leftover] });
    expect(netnsNames()).toContain(leftover);

    const text = await runCli(['cleanup', '--dry-run']);
    expect(text.stdout).toMatch(new RegExp(`run ${runId} \\(no record\\): would remove`));
    expect(text.stdout).toContain(`network namespaces: ${leftover}`);
  });

  it('removes it for real and reports what it removed', async () => {
    if (!netnsNames().includes(leftover)) execFileSync('ip', ['netns', 'add', leftover]);
    const result = await runCli(['cleanup', '--json']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as CleanupJson;
    expect(report.dryRun).toBe(false);
    expect(report.runs.find((r) => r.id === runId)).toMatchObject({ netns: [leftover], errors: [] });
    expect(netnsNames()).not.toContain(leftover);
  });
});
