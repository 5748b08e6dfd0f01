/**
 * `pakostii cleanup` as a child process, observed with iproute2: a dead run's
 * namespace (its record names a process that is gone) is listed by --dry-run,
 * then removed. A namespace no record names (an orphan: perhaps a live run of
 * another state dir) is left alone unless --orphans is given. --run limits
 * every call here to this test's own ids: other runs on the host are never
 * touched by this suite.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONTAINERD_NAMESPACE, names, newRunId } from '../../lib/host/names.js';
import { DEFAULT_CONTAINERD_SOCKET, runsDir } from '../../lib/host/paths.js';
import { runCli } from './support.js';

const dead = newRunId();
const orphan = newRunId();
const deadNetns = names.nodeNetns(dead, 'n1');
const orphanNetns = names.nodeNetns(orphan, 'n1');

const netnsNames = () =>
  execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.split(' ')[0]);

interface CleanupJson {
  dryRun: boolean;
  runs: Array<{ id: string; reason: string; netns: string[]; errors: string[] }>;
}

/** What a run killed with SIGKILL leaves: its record (owner gone) and a namespace. */
function stageDeadRun(): void {
  mkdirSync(runsDir(), { recursive: true });
  const record = {
    version: 1,
    id: dead,
    testName: 'killed',
    pid: 4_000_000, // above pid_max: no such process
    pidStartTime: '1',
    bootId: 'gone',
    startedAt: new Date().toISOString(),
    bridge: names.bridge(dead),
    containerd: { socket: DEFAULT_CONTAINERD_SOCKET, namespace: CONTAINERD_NAMESPACE },
  };
  writeFileSync(join(runsDir(), `${dead}.json`), JSON.stringify(record));
  if (!netnsNames().includes(deadNetns)) execFileSync('ip', ['netns', 'add', deadNetns]);
}

afterAll(() => {
  for (const ns of [deadNetns, orphanNetns]) if (netnsNames().includes(ns)) execFileSync('ip', ['netns', 'delete', ns]);
  rmSync(join(runsDir(), `${dead}.json`), { force: true });
});

describe('pakostii cleanup', () => {
  it('--dry-run lists a dead run’s namespace and removes nothing', async () => {
    stageDeadRun();
    const result = await runCli(['cleanup', '--dry-run', '--json', '--run', dead]);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as CleanupJson;
    expect(report.dryRun).toBe(true);
    expect(report.runs.find((r) => r.id === dead)).toMatchObject({ reason: 'process-gone', netns: [deadNetns] });
    expect(netnsNames()).toContain(deadNetns);

    const text = await runCli(['cleanup', '--dry-run', '--run', dead]);
    expect(text.stdout).toMatch(new RegExp(`run ${dead} .*would remove`));
    expect(text.stdout).toContain(`network namespaces: ${deadNetns}`);
  });

  it('removes it for real and reports what it removed', async () => {
    stageDeadRun();
    const result = await runCli(['cleanup', '--json', '--run', dead]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as CleanupJson;
    expect(report.dryRun).toBe(false);
    expect(report.runs.find((r) => r.id === dead)).toMatchObject({ netns: [deadNetns], errors: [] });
    expect(netnsNames()).not.toContain(deadNetns);
  });

  it('leaves a namespace no record names alone unless --orphans is given', async () => {
    execFileSync('ip', ['netns', 'add', orphanNetns]);
    const plain = JSON.parse((await runCli(['cleanup', '--json', '--run', orphan])).stdout) as CleanupJson;
    expect(plain.runs).toEqual([]);
    expect(netnsNames()).toContain(orphanNetns);

    const asked = JSON.parse((await runCli(['cleanup', '--json', '--orphans', '--run', orphan])).stdout) as CleanupJson;
    expect(asked.runs.find((r) => r.id === orphan)).toMatchObject({ reason: 'no-record', netns: [orphanNetns], errors: [] });
    expect(netnsNames()).not.toContain(orphanNetns);
  });

  it('refuses a --containerd-socket that is not a socket (exit 2, before looking at anything)', async () => {
    const result = await runCli(['cleanup', '--dry-run', '--containerd-socket', '/etc/passwd']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--containerd-socket \/etc\/passwd is not a socket/);
  });
});
