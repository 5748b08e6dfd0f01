/**
 * Teardown on every path, each run in its own process (fixtures/run-cluster.ts)
 * against the real kernel and containerd: pass, rejection, synchronous throw,
 * late rejection, provisioning failing half-way, SIGINT, SIGTERM, and SIGKILL
 * followed by the janitor (explicit, and automatic at the next run's start).
 * After each: nothing of the run remains and the host's routes, addresses and
 * firewall are exactly as before.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup } from '../../lib/janitor/index.js';
import { readRun } from '../../lib/host/run-records.js';
import { auditRun, expectNoLeaks, leakCount, snapshotHostNetwork, type HostNetworkSnapshot } from '../helpers/leak-audit.js';
import { driveFixture, type FixtureRun } from './fixtures/drive-fixture.js';

/**
 * A state dir of this file's own, inherited by the fixture runs: every run that
 * starts on this host sweeps the dead runs of its state dir, so with the shared
 * /run/pakostii another suite's run could remove a SIGKILLed fixture's leftovers
 * before this file audits them (and take the test's scenario away). To runs of
 * other state dirs these runs' objects are orphans, which no automatic cleanup
 * touches.
 */
const privateStateDir = mkdtempSync(join(tmpdir(), 'pk-teardown-state-'));
process.env.PAKOSTII_STATE_DIR = privateStateDir;
afterAll(() => rmSync(privateStateDir, { recursive: true, force: true }));

let hostBefore: HostNetworkSnapshot;

async function expectCleanHost(run: FixtureRun): Promise<void> {
  expect(run.id, `no run id; stderr:\n${run.stderr.slice(-4000)}`).toMatch(/^[a-z]{5}$/);
  await expectNoLeaks(run.id!);
  expect(await snapshotHostNetwork()).toEqual(hostBefore);
}

function failedWith(run: FixtureRun, cause: RegExp): void {
  expect(run.code, run.stderr.slice(-4000)).toBe(1);
  expect(run.result).toMatchObject({ outcome: 'failed', errorName: 'TestFailedError' });
  expect(`${run.result?.error}\n${run.result?.causeMessage}`).toMatch(cause);
}

describe('teardown on every path', () => {
  beforeAll(async () => {
    hostBefore = await snapshotHostNetwork();
  });

  it('a passing run leaves nothing', async () => {
    const run = await driveFixture('pass');
    expect(run.code, run.stderr.slice(-4000)).toBe(0);
    expect(run.result).toMatchObject({ outcome: 'passed' });
    await expectCleanHost(run);
  });

  it('a test function returning a rejected promise', async () => {
    const run = await driveFixture('return-error');
    failedWith(run, /the test function rejected/);
    await expectCleanHost(run);
  });

  it('a test function throwing synchronously', async () => {
    const run = await driveFixture('throw');
    failedWith(run, /the test function threw/);
    await expectCleanHost(run);
  });

  it('a test function rejecting late, after working with the cluster', async () => {
    const run = await driveFixture('late-reject');
    failedWith(run, /rejected late/);
    await expectCleanHost(run);
  });

  it('provisioning failing half-way (the 3rd node’s image is missing)', async () => {
    const run = await driveFixture('missing-image', { nodes: 3 });
    expect(run.ready, 'the test function must not start').toBeUndefined();
    failedWith(run, /no-such-image/);
    expect(run.result?.causeName).toBe('ContainerdError');
    await expectCleanHost(run);
  });

  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${signal} during the test function tears down and exits ${code}`, async () => {
      const run = await driveFixture('wait', { sendSignal: signal });
      expect(run.ready).toBeDefined();
      expect(run.code, run.stderr.slice(-4000)).toBe(code);
      expect(run.result).toMatchObject({ outcome: 'failed', errorName: 'TestFailedError' });
      expect(run.result?.error).toMatch(new RegExp(`interrupted by ${signal}`));
      await expectCleanHost(run);
    });
  }

  it('SIGKILL leaves objects behind that the janitor removes', async () => {
    const run = await driveFixture('wait', { sendSignal: 'SIGKILL' });
    expect(run.signal).toBe('SIGKILL');
    const id = run.id!;
    const left = await auditRun(id);
    // The scenario is real: a killed runner cannot clean up.
    expect(left.netns.length).toBeGreaterThan(0);
    expect(left.containers.length).toBeGreaterThan(0);
    expect(left.stateFiles.length).toBeGreaterThan(0);

    const report = await cleanup({ runIds: [id] });
    if (report.runs.length === 0) {
      // Another process's run started meanwhile and its automatic cleanup was faster: the record must be gone too.
      expect(await readRun(id)).toBeUndefined();
    } else {
      expect(report.runs).toHaveLength(1);
      expect(report.runs[0]).toMatchObject({ id, reason: 'process-gone', record: true, errors: [] });
    }
    expect(leakCount(left)).toBeGreaterThan(0);
    await expectCleanHost(run);
  });

  it('after a SIGKILL, the next run removes the leftovers when it starts', async () => {
    const killed = await driveFixture('wait', { sendSignal: 'SIGKILL' });
    expect((await auditRun(killed.id!)).netns.length).toBeGreaterThan(0);
    const next = await driveFixture('pass', { nodes: 1 });
    expect(next.code, next.stderr.slice(-4000)).toBe(0);
    await expectCleanHost(killed);
    await expectCleanHost(next);
  });
});
