/**
 * The janitor removes only what a dead run marked as its own in its object log
 * (lib/host/run-objects.ts), verified to still be the run's — never an object
 * that merely carries the run's name pattern. And because each object is
 * noted before it exists, a run SIGKILLed at any point (half-way through
 * provisioning, or mid-test with an exec and direct reach) leaves nothing the
 * janitor cannot remove. Real kernel objects, real containerd; look-alikes are
 * made with `ip` and mkdir, independent of the code under test.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup } from '../../lib/janitor/index.js';
import { pakostiiCgroupParents } from '../../lib/host/cgroups.js';
import { CONTAINERD_NAMESPACE, names, newRunId } from '../../lib/host/names.js';
import { execDir, runsDir } from '../../lib/host/paths.js';
import { createObjectLog, netnsStamp, noteObject, objectLogPath } from '../../lib/host/run-objects.js';
import { readRun, type RunRecord } from '../../lib/host/run-records.js';
import { deadIdentity } from '../helpers/dead-process.js';
import { auditRun, expectNoLeaks } from '../helpers/leak-audit.js';
import { driveFixture } from './fixtures/drive-fixture.js';

/** A private state dir: other processes' automatic cleanups must not race these tests for the dead runs they stage. */
const privateStateDir = mkdtempSync(join(tmpdir(), 'pk-janitor-marked-'));
process.env.PAKOSTII_STATE_DIR = privateStateDir;
const WORK_BASE = join(privateStateDir, 'work');
mkdirSync(WORK_BASE, { mode: 0o700 });
mkdirSync(runsDir(), { recursive: true });
mkdirSync(execDir(), { recursive: true, mode: 0o700 });

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const netnsList = () => readdirSync('/run/netns');
const linkExists = (name: string) => existsSync(`/sys/class/net/${name}`);
const cgroupBase = existsSync('/sys/fs/cgroup/pids') ? '/sys/fs/cgroup/pids' : '/sys/fs/cgroup';

function removeQuietly(fn: () => unknown): void {
  try {
    fn();
  } catch {
    // already gone
  }
}


/** The record a logged run writes (objectLog: true), owned by a dead process, and its empty log. */
async function deadLoggedRun(id: string): Promise<void> {
  const record: RunRecord = {
    version: 1,
    id,
    testName: 'killed-test',
    ...(await deadIdentity()),
    startedAt: new Date().toISOString(),
    bridge: names.bridge(id),
    workDir: join(WORK_BASE, id),
    nodes: ['n1', 'n2'],
    objectLog: true,
    containerd: { socket: process.env.PAKOSTII_CONTAINERD_SOCKET ?? '/run/containerd/containerd.sock', namespace: CONTAINERD_NAMESPACE },
  };
  writeFileSync(join(runsDir(), `${id}.json`), JSON.stringify(record));
  createObjectLog(id);
}

const cleanups: Array<() => void> = [];
afterAll(() => {
  for (const fn of cleanups.reverse()) removeQuietly(fn);
  rmSync(privateStateDir, { recursive: true, force: true });
});

describe('janitor: only what the run marked', () => {
  it('removes the objects a dead run noted and leaves look-alikes it never noted, and a noted name re-made by someone else', async () => {
    const id = newRunId();
    await deadLoggedRun(id);
    const n1 = names.nodeNetns(id, 'n1');
    const n2 = names.nodeNetns(id, 'n2');
    const switchNs = names.switchNetns(id);
    const uplink = names.uplink(id);
    const cgroup = join(cgroupBase, 'pakostii', id);
    const execScratch = join(execDir(), `${names.container(id, 'n1', 'main')}-0a1b2c`);
    // What the run made (and noted, with identities where it got that far).
    ip('netns', 'add', n1);
    noteObject(id, { kind: 'netns', name: n1 });
    noteObject(id, { kind: 'netns', name: n1, stamp: netnsStamp(`/run/netns/${n1}`) });
    noteObject(id, { kind: 'netns', name: switchNs }); // killed before it noted the stamp
    ip('netns', 'add', switchNs);
    ip('link', 'add', uplink, 'type', 'bridge');
    noteObject(id, { kind: 'link', name: uplink, ifindex: Number(readFileSync(`/sys/class/net/${uplink}/ifindex`, 'utf8')) });
    noteObject(id, { kind: 'cgroup', path: names.cgroup(id) });
    mkdirSync(join(cgroup, 'n1-main'), { recursive: true });
    noteObject(id, { kind: 'dir', path: execScratch });
    mkdirSync(execScratch, { mode: 0o700 });
    mkdirSync(join(WORK_BASE, id), { mode: 0o700 });
    // n2 was noted and made, then removed by the run and re-made by someone else under the same name.
    ip('netns', 'add', n2);
    noteObject(id, { kind: 'netns', name: n2, stamp: netnsStamp(`/run/netns/${n2}`) });
    ip('netns', 'del', n2);
    ip('netns', 'add', n2); // the kernel gives it the same inode number at once: the stamp must tell them apart
    cleanups.push(() => ip('netns', 'del', n2));

    const report = await cleanup({ runIds: [id] });
    expect(report.runs).toHaveLength(1);
    const run = report.runs[0]!;
    expect(run.errors).toEqual([]);
    expect(run.netns.sort()).toEqual([switchNs, n1].sort());
    expect(run.links).toEqual([uplink]);
    expect(run.cgroups).toEqual([cgroup]);
    expect(run.execDirs).toEqual([execScratch]);
    expect(run.leftAlone).toEqual([`network namespace ${n2}`]);
    expect(netnsList()).not.toContain(n1);
    expect(netnsList()).not.toContain(switchNs);
    expect(netnsList()).toContain(n2);
    expect(linkExists(uplink)).toBe(false);
    expect(existsSync(cgroup)).toBe(false);
    expect(existsSync(execScratch)).toBe(false);
    expect(existsSync(join(WORK_BASE, id))).toBe(false);
    expect(existsSync(objectLogPath(id))).toBe(false);
    expect(await readRun(id)).toBeUndefined();
  });

  it('leaves every look-alike of a dead logged run alone: a pk-<id>-foo netns, a pk<id>-7 link, a cgroup and an exec dir it never noted', async () => {
    const id = newRunId();
    await deadLoggedRun(id);
    const n1 = names.nodeNetns(id, 'n1');
    noteObject(id, { kind: 'netns', name: n1 });
    ip('netns', 'add', n1);
    // Foreign objects carrying the run's name pattern, none of them in its log.
    const foreignNetns = [`pk-${id}-foo`, names.runnerNetns(id), names.nodeNetns(id, 'n2')];
    const foreignLinks = [names.hostVeth(id, 7), names.uplink(id)];
    const foreignCgroup = join(cgroupBase, 'pakostii', id);
    const foreignExecDir = join(execDir(), `${names.container(id, 'n1', 'svc')}-Ab12Cd`);
    for (const ns of foreignNetns) {
      ip('netns', 'add', ns);
      cleanups.push(() => ip('netns', 'del', ns));
    }
    for (const link of foreignLinks) {
      ip('link', 'add', link, 'type', 'bridge');
      cleanups.push(() => ip('link', 'del', link));
    }
    mkdirSync(join(foreignCgroup, 'x'), { recursive: true });
    cleanups.push(() => rmdirSync(foreignCgroup), () => rmdirSync(join(foreignCgroup, 'x')));
    mkdirSync(foreignExecDir, { mode: 0o700 });
    writeFileSync(join(foreignExecDir, 'stdout'), 'not the run’s');

    const dry = await cleanup({ runIds: [id], dryRun: true });
    expect(dry.runs[0]).toMatchObject({ netns: [n1], links: [], cgroups: [], execDirs: [] });
    const report = await cleanup({ runIds: [id], deep: true });
    expect(report.runs[0]).toMatchObject({ id, reason: 'process-gone', netns: [n1], links: [], cgroups: [], execDirs: [], errors: [], record: true });
    expect(netnsList()).not.toContain(n1);
    for (const ns of foreignNetns) expect(netnsList()).toContain(ns);
    for (const link of foreignLinks) expect(linkExists(link), link).toBe(true);
    expect(existsSync(join(foreignCgroup, 'x'))).toBe(true);
    expect(readFileSync(join(foreignExecDir, 'stdout'), 'utf8')).toBe('not the run’s');
    rmSync(foreignExecDir, { recursive: true, force: true });
  });
});

describe('janitor after SIGKILL: the log covers everything that exists', () => {
  const FIXTURE = fileURLToPath(new URL('./fixtures/run-cluster.ts', import.meta.url));

  it('a run killed half-way through provisioning its network leaves nothing the janitor does not remove', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, 'wait', '40'], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      env: { ...process.env, PAKOSTII_FIXTURE_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let gone = false;
    const exited = new Promise((resolve) => child.on('exit', resolve)).finally(() => (gone = true));
    let id: string | undefined;
    let made = 0;
    const deadline = Date.now() + 90_000;
    // Kill once some, not all, of its namespaces exist.
    while (!gone && Date.now() < deadline && made < 4) {
      id ??= readdirSync(runsDir()).find((f) => /^[a-z]{5}\.json$/.test(f))?.slice(0, 5);
      if (id) made = netnsList().filter((n) => n.startsWith(`pk-${id}-`)).length;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    child.kill('SIGKILL');
    await exited;
    expect(id, stderr.slice(-2000)).toBeDefined();
    const left = await auditRun(id!);
    expect(left.netns.length).toBeGreaterThanOrEqual(4);
    expect(left.netns.length).toBeLessThan(42); // 40 nodes + runner + switch: killed half-way

    const report = await cleanup({ runIds: [id!] });
    expect(report.runs[0]).toMatchObject({ id, reason: 'process-gone', errors: [], record: true });
    await expectNoLeaks(id!);
  }, 180_000);

  it('a run killed mid-test with direct reach and an exec running leaves nothing the janitor does not remove', async () => {
    const run = await driveFixture('exec-wait', {
      nodes: 2,
      sendSignal: 'SIGKILL',
      signalDelayMs: 1500,
      env: { PAKOSTII_FIXTURE_REACH: 'direct' },
    });
    expect(run.signal, run.stderr.slice(-4000)).toBe('SIGKILL');
    const id = run.id!;
    const left = await auditRun(id);
    // The scenario is real: every kind of object exists when the janitor comes.
    expect(left.netns.sort()).toEqual([names.runnerNetns(id), names.switchNetns(id), names.nodeNetns(id, 'n1'), names.nodeNetns(id, 'n2')].sort());
    expect(left.links).toEqual([names.uplink(id)]);
    expect(left.containers.length).toBe(2);
    expect(left.cgroups.length).toBeGreaterThan(0);
    expect(left.stateFiles.filter((f) => f.startsWith(execDir()))).toHaveLength(1);
    expect(left.workDirs).toHaveLength(1);

    const report = await cleanup({ runIds: [id] });
    expect(report.runs[0]).toMatchObject({ id, reason: 'process-gone', errors: [], record: true });
    await expectNoLeaks(id);
    expect(pakostiiCgroupParents().map((p) => join(p, id)).filter((p) => existsSync(p))).toEqual([]);
  }, 120_000);
});
