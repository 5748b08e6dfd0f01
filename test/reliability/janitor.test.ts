/**
 * The janitor against real kernel objects and real containerd: leftovers of a
 * "crashed" run (record with a dead pid), of an orphan (no record at all) and
 * of a corrupt record are removed — namespaces, links, the XDP program they
 * carried, cgroups, work dir, subnet claims, containerd objects, the record —
 * while a live run and look-alike names that are not ours stay untouched.
 * Leftovers are made with `ip`/`ctr` (tests may use tools) to be independent
 * of the code under test.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, cleanupDeadRuns } from '../../lib/janitor/index.js';
import { execDir } from '../../lib/host/paths.js';
import { pakostiiCgroupParents } from '../../lib/host/cgroups.js';
import { runIdOfDir, runIdOfExecDir, runIdOfLink, runIdOfNetns } from '../../lib/host/patterns.js';
import { CONTAINERD_NAMESPACE, LABELS, names, newRunId } from '../../lib/host/names.js';
import { registerRun, unregisterRun, type RunRecord } from '../../lib/host/run-records.js';
import { runsDir } from '../../lib/host/paths.js';
import { type ProcessIdentity } from '../../lib/host/process-identity.js';
import { allocateSubnet, readClaimFiles, releaseSubnet } from '../../lib/host/subnet-claims.js';
import { deadIdentity } from '../helpers/dead-process.js';
import { auditRun, expectNoLeaks, leakCount, XDP_PROGRAM_NAME } from '../helpers/leak-audit.js';

/**
 * A private state dir: runs of other processes on this host (their automatic
 * cleanup at every start) must not race these tests for the dead runs they
 * stage. To those processes the staged kernel objects are orphans, which the
 * automatic cleanup never removes.
 */
const privateStateDir = mkdtempSync(join(tmpdir(), 'pk-janitor-state-'));
process.env.PAKOSTII_STATE_DIR = privateStateDir;
/** Where runs keep scratch files: <state dir>/work, root-only. */
const WORK_BASE = join(privateStateDir, 'work');
mkdirSync(WORK_BASE, { mode: 0o700 });
afterAll(() => rmSync(privateStateDir, { recursive: true, force: true }));

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const ctr = (...args: string[]) => execFileSync('ctr', ['-n', CONTAINERD_NAMESPACE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
/** Built by scripts/build-images.ts (imported by the suite's global setup). */
const IMAGE = 'pakostii.local/busybox:latest';
const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;


function writeRecord(id: string, owner: ProcessIdentity, extra: Partial<RunRecord> = {}): void {
  mkdirSync(runsDir(), { recursive: true });
  const record: RunRecord = {
    version: 1,
    id,
    testName: 'crashed-test',
    ...owner,
    startedAt: new Date().toISOString(),
    bridge: names.bridge(id),
    workDir: `${WORK_BASE}/${id}`,
    containerd: { socket: process.env.PAKOSTII_CONTAINERD_SOCKET ?? '/run/containerd/containerd.sock', namespace: CONTAINERD_NAMESPACE },
    ...extra,
  };
  writeFileSync(join(runsDir(), `${id}.json`), JSON.stringify(record));
}

function xdpProgramIds(): number[] {
  const progs = JSON.parse(execFileSync('bpftool', ['prog', 'show', '-j']).toString()) as Array<{ id: number; name?: string }>;
  return progs.filter((p) => p.name === XDP_PROGRAM_NAME).map((p) => p.id);
}

/** What a run that died mid-test leaves: bridge, runner + node namespaces with veths (XDP attached), cgroup, work dir. */
function makeRunLeftovers(id: string, xdpObject: string): void {
  ip('link', 'add', names.bridge(id), 'type', 'bridge');
  for (const [index, node] of [[0, '_runner'], [1, 'n1']] as const) {
    const netns = names.nodeNetns(id, node);
    ip('netns', 'add', netns);
    ip('link', 'add', names.hostVeth(id, index), 'type', 'veth', 'peer', 'name', names.peerVeth(id, index), 'netns', netns);
    ip('link', 'set', names.hostVeth(id, index), 'master', names.bridge(id), 'up');
    ip('-n', netns, 'link', 'set', names.peerVeth(id, index), 'name', 'eth0');
    ip('-n', netns, 'link', 'set', 'eth0', 'up');
    ip('-n', netns, 'link', 'set', 'dev', 'eth0', 'xdp', 'obj', xdpObject, 'sec', 'xdp');
  }
  // A peer that was never moved (crash in the middle of provisioning one node).
  ip('link', 'add', names.hostVeth(id, 2), 'type', 'veth', 'peer', 'name', names.peerVeth(id, 2));
  const cgroupBase = existsSync('/sys/fs/cgroup/pids') ? '/sys/fs/cgroup/pids' : '/sys/fs/cgroup';
  mkdirSync(join(cgroupBase, 'pakostii', id, 'n1-svc'), { recursive: true });
  mkdirSync(`${WORK_BASE}/${id}`, { recursive: true });
  writeFileSync(`${WORK_BASE}/${id}/hosts`, '198.18.0.2 n1\n');
  // An exec that was running when the runner died.
  const execScratch = join(execDir(), `${names.container(id, 'n1', 'svc')}-Ab12Cd`);
  mkdirSync(execScratch, { recursive: true });
  writeFileSync(join(execScratch, 'stdout'), 'partial output');
}

function removeQuietly(fn: () => unknown): void {
  try {
    fn();
  } catch {
    // already gone
  }
}

describe('janitor name patterns', () => {
  it('recognises every name names.ts gives, and nothing else', () => {
    const id = 'abcde';
    expect(runIdOfNetns(names.nodeNetns(id, 'etcd-1'))).toBe(id);
    expect(runIdOfNetns(names.runnerNetns(id))).toBe(id);
    expect(runIdOfNetns(names.switchNetns(id))).toBe(id);
    expect(runIdOfLink(names.uplink(id))).toBe(id);
    expect(runIdOfLink(names.bridge(id))).toBe(id);
    expect(runIdOfLink(names.hostVeth(id, 999))).toBe(id);
    expect(runIdOfLink(names.peerVeth(id, 7))).toBe(id);
    expect(runIdOfDir(id)).toBe(id);
    expect(runIdOfExecDir(`${names.container(id, 'etcd-1', 'etcd')}-x1Y2z3`)).toBe(id);
    expect(runIdOfExecDir('pk-abcdef-n1-svc-x1')).toBeUndefined();
    for (const foreign of ['pk-abcd-n1', 'pk-abcdef-n1', 'pk-ABCDE-n1', 'pkx-abcde-n1', 'pk-abcde-', 'pk-abcde-N1', 'cni-abcde', 'pk-abcde-n1 ', 'pk-abcde-_switchx', 'pk-abcde-_other']) {
      expect(runIdOfNetns(foreign), foreign).toBeUndefined();
    }
    for (const foreign of ['eth0', 'pkb-abcdef', 'pkb-abcd', 'pkabcde-', 'pkabcde-1x', 'pkabcdep', 'pkabcdeq1', 'docker0', 'pkb-abcde0', 'pkabcde-upx', 'pkabcde-u']) {
      expect(runIdOfLink(foreign), foreign).toBeUndefined();
    }
    expect(runIdOfDir('abcdef')).toBeUndefined();
  });
});

describe('janitor on real leftovers', () => {
  let workDir: string;
  let xdpObject: string;
  const crashed = newRunId();
  const orphan = newRunId();
  const corrupt = newRunId();
  const live = newRunId();
  const foreignNetns = `pkx-${crashed}-n1`;
  const foreignLink = `pkb-${crashed}x`;
  const ours = [crashed, orphan, corrupt, live];
  /** The programs attached in the dead runs' namespaces (held by no process). */
  let leftoverXdp: number[] = [];

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'pk-janitor-test-'));
    xdpObject = join(workDir, 'leftover-xdp.bpf.o');
    execFileSync('clang', ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c', join(FIXTURES, 'leftover-xdp.bpf.c'), '-o', xdpObject]);

    // The live run allocates first: an allocation reclaims claims of dead processes by itself.
    await registerRun({ id: live, testName: 'live-test' });
    ip('netns', 'add', names.nodeNetns(live, 'n1'));
    ip('link', 'add', names.bridge(live), 'type', 'bridge');
    mkdirSync(`${WORK_BASE}/${live}`, { recursive: true });
    allocateSubnet(live, 3);

    const xdpBaseline = xdpProgramIds();
    const dead = await deadIdentity();
    writeRecord(crashed, dead);
    makeRunLeftovers(crashed, xdpObject);
    allocateSubnet(crashed, 3);
    // Re-own the claim by the dead process, as the crashed runner would have left it.
    for (const file of readClaimFiles().filter((c) => c.claim?.runId === crashed)) {
      writeFileSync(file.path, JSON.stringify({ ...file.claim, ...dead }));
    }

    makeRunLeftovers(orphan, xdpObject); // no record: crashed before registering, or the record was lost
    leftoverXdp = xdpProgramIds().filter((id) => !xdpBaseline.includes(id));

    mkdirSync(runsDir(), { recursive: true });
    writeFileSync(join(runsDir(), `${corrupt}.json`), '{"id": "trunc');
    ip('netns', 'add', names.nodeNetns(corrupt, 'n1'));

    ip('netns', 'add', foreignNetns);
    ip('link', 'add', foreignLink, 'type', 'bridge');
  });

  afterAll(async () => {
    removeQuietly(() => ip('netns', 'del', foreignNetns));
    removeQuietly(() => ip('link', 'del', foreignLink));
    for (const id of ours) {
      removeQuietly(() => ip('link', 'del', names.bridge(id)));
      for (const node of ['_runner', 'n1']) removeQuietly(() => ip('netns', 'del', names.nodeNetns(id, node)));
      removeQuietly(() => ip('link', 'del', names.hostVeth(id, 2)));
      rmSync(`${WORK_BASE}/${id}`, { recursive: true, force: true });
      rmSync(join(execDir(), `${names.container(id, 'n1', 'svc')}-Ab12Cd`), { recursive: true, force: true });
      releaseSubnet(id);
      await unregisterRun(id);
      for (const parent of pakostiiCgroupParents()) {
        removeQuietly(() => rmdirSync(join(parent, id, 'n1-svc')));
        removeQuietly(() => rmdirSync(join(parent, id)));
      }
      removeQuietly(() => ctr('tasks', 'kill', '-s', 'SIGKILL', names.container(id, 'n1', 'svc')));
      removeQuietly(() => ctr('containers', 'rm', names.container(id, 'n1', 'svc')));
    }
    rmSync(workDir, { recursive: true, force: true });
  });

  it('a dry run reports the dead runs’ objects and removes nothing', async () => {
    const before = await auditRun(crashed);
    const report = await cleanup({ dryRun: true, runIds: ours, orphans: true });
    const byId = new Map(report.runs.map((r) => [r.id, r]));
    expect(report.liveRuns).toEqual([live]);
    expect(byId.get(crashed)).toMatchObject({
      reason: 'process-gone',
      testName: 'crashed-test',
      netns: expect.arrayContaining([names.runnerNetns(crashed), names.nodeNetns(crashed, 'n1')]),
      links: [names.hostVeth(crashed, 0), names.hostVeth(crashed, 1), names.hostVeth(crashed, 2), names.peerVeth(crashed, 2), names.bridge(crashed)],
      workDirs: [`${WORK_BASE}/${crashed}`],
      execDirs: [join(execDir(), `${names.container(crashed, 'n1', 'svc')}-Ab12Cd`)],
      subnetClaims: [expect.stringMatching(/^198\.1[89]\./)],
      record: true,
    });
    expect(byId.get(crashed)!.cgroups).toHaveLength(1);
    expect(byId.get(orphan)).toMatchObject({ reason: 'no-record', record: false, netns: expect.arrayContaining([names.nodeNetns(orphan, 'n1')]) });
    expect(byId.get(corrupt)).toMatchObject({ reason: 'record-unreadable', netns: [names.nodeNetns(corrupt, 'n1')], record: true });
    expect(byId.has(live)).toBe(false);
    expect(await auditRun(crashed)).toEqual(before);
  });

  it('the automatic cleanup never removes an orphan, however long it has been seen (a live run of another state dir)', async () => {
    // Seen unregistered an hour ago: the old automatic cleanup removed such an orphan after 60 s.
    mkdirSync(join(privateStateDir, 'orphans'), { recursive: true });
    writeFileSync(join(privateStateDir, 'orphans', orphan), String(Date.now() - 3_600_000));
    const report = await cleanupDeadRuns({ runIds: [orphan] });
    expect(report.runs).toEqual([]);
    expect(ip('netns', 'list')).toContain(names.nodeNetns(orphan, 'n1'));
  });

  it('removes everything of dead runs and orphans, and nothing of live runs or foreign names', async () => {
    expect(leftoverXdp.length).toBeGreaterThanOrEqual(4); // 2 namespaces × 2 dead runs

    const report = await cleanup({ runIds: ours, orphans: true });
    for (const run of report.runs) expect(run.errors, run.id).toEqual([]);
    expect(report.runs.map((r) => r.id).sort()).toEqual([crashed, orphan, corrupt].sort());

    await expectNoLeaks(crashed);
    await expectNoLeaks(orphan);
    await expectNoLeaks(corrupt);
    // The XDP programs went with their namespaces (no fd held them).
    const xdpAfter = xdpProgramIds();
    expect(leftoverXdp.filter((id) => xdpAfter.includes(id))).toEqual([]);

    // Live run and look-alikes untouched.
    const liveLeft = await auditRun(live);
    expect(liveLeft.netns).toEqual([names.nodeNetns(live, 'n1')]);
    expect(liveLeft.links).toEqual([names.bridge(live)]);
    expect(liveLeft.workDirs).toEqual([`${WORK_BASE}/${live}`]);
    expect(liveLeft.stateFiles).toHaveLength(3); // record, its object log, subnet claim
    expect(ip('netns', 'list')).toContain(foreignNetns);
    expect(ip('link', 'show', foreignLink)).toContain(foreignLink);

    // A second pass finds nothing to do.
    const again = await cleanup({ runIds: ours, orphans: true });
    expect(again.runs).toEqual([]);
  });

  it('removes a dead run’s own namespaces (nodes, runner, switch) and leaves a look-alike (pk-<id>-foo) of a node it never had', async () => {
    const id = newRunId();
    ours.push(id);
    writeRecord(id, await deadIdentity(), { nodes: ['n1'] });
    ip('netns', 'add', names.nodeNetns(id, 'n1'));
    ip('netns', 'add', names.runnerNetns(id));
    ip('netns', 'add', names.switchNetns(id));
    const lookAlike = `pk-${id}-foo`;
    ip('netns', 'add', lookAlike);
    try {
      const report = await cleanup({ runIds: [id] });
      expect(report.runs[0]?.netns.sort()).toEqual([names.runnerNetns(id), names.switchNetns(id), names.nodeNetns(id, 'n1')].sort());
      const left = ip('netns', 'list');
      expect(left).toContain(lookAlike);
      expect(left).not.toContain(names.nodeNetns(id, 'n1'));
    } finally {
      removeQuietly(() => ip('netns', 'del', lookAlike));
    }
  });

  it('leaves a look-alike netns of no recorded run (pk-<id>-foo) to the person: `pakostii cleanup` without --orphans', async () => {
    const stranger = newRunId();
    const netns = `pk-${stranger}-foo`;
    ip('netns', 'add', netns);
    try {
      const report = await cleanup({ runIds: [stranger], deep: true });
      expect(report.runs).toEqual([]);
      expect(ip('netns', 'list')).toContain(netns);
    } finally {
      removeQuietly(() => ip('netns', 'del', netns));
    }
  });

  it('removes a dead run’s containerd container, task, snapshot and lease', async () => {
    const id = newRunId();
    ours.push(id);
    writeRecord(id, await deadIdentity());
    const container = names.container(id, 'n1', 'svc');
    ctr('run', '-d', '--label', `${LABELS.run}=${id}`, IMAGE, container, 'sleep', '600');
    ctr('leases', 'create', '--id', names.lease(id), `${LABELS.run}=${id}`);
    expect(leakCount(await auditRun(id))).toBeGreaterThan(0);

    const report = await cleanup({ runIds: [id] });
    expect(report.runs).toHaveLength(1);
    expect(report.runs[0]!.errors).toEqual([]);
    expect(report.runs[0]!.containerd?.containers).toEqual([container]);
    await expectNoLeaks(id);
  });
});

describe('janitor across containerd namespaces', () => {
  const id = newRunId();
  /** A namespace of its own (tests of other teams use "pakostii-test"; a shared one could hold their live objects). */
  const namespace = `pakostii-jt-${id}`;
  const inNs = (...args: string[]) => execFileSync('ctr', ['-n', namespace, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  const labelled = names.container(id, 'n1', 'svc');
  const unlabelledLease = `${names.lease(id)}-foreign`;
  const archive = join(tmpdir(), `pk-janitor-${id}.tar`);

  afterAll(async () => {
    removeQuietly(() => inNs('tasks', 'kill', '-s', 'SIGKILL', labelled));
    removeQuietly(() => inNs('containers', 'rm', labelled));
    removeQuietly(() => inNs('leases', 'rm', unlabelledLease));
    removeQuietly(() => inNs('leases', 'rm', names.lease(id)));
    removeQuietly(() => inNs('images', 'rm', IMAGE));
    // containerd refuses to remove a namespace until its garbage collection dropped the image's content.
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        execFileSync('ctr', ['namespaces', 'remove', namespace], { stdio: 'ignore' });
        break;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    rmSync(archive, { force: true });
  });

  it('leaves other namespaces alone unless asked; asked, finds a crashed run’s labelled objects in any namespace and leaves unlabelled ones alone', async () => {
    // A run that crashed before its record, in a namespace no record names.
    ctr('images', 'export', archive, IMAGE);
    inNs('images', 'import', archive);
    inNs('run', '-d', '--label', `${LABELS.run}=${id}`, IMAGE, labelled, 'sleep', '600');
    inNs('leases', 'create', '--id', names.lease(id), `${LABELS.run}=${id}`);
    // Named like ours but without our label: not ours to judge.
    inNs('leases', 'create', '--id', unlabelledLease);
    expect(leakCount(await auditRun(id, { namespaces: [namespace] }))).toBeGreaterThan(0);

    // The automatic (shallow) cleanup never asks containerd about runs it has no record of.
    const shallow = await cleanupDeadRuns({ runIds: [id] });
    expect(shallow.runs).toEqual([]);
    expect(inNs('containers', 'ls', '-q')).toContain(labelled);

    // Without allNamespaces (the default of `pakostii cleanup`), other namespaces are other tools': untouched.
    const ownNamespaceOnly = await cleanup({ runIds: [id], deep: true, orphans: true });
    expect(ownNamespaceOnly.runs.flatMap((r) => [...(r.containerd?.containers ?? []), ...(r.containerd?.leases ?? [])])).toEqual([]);
    expect(inNs('containers', 'ls', '-q')).toContain(labelled);
    expect(inNs('leases', 'ls', '-q')).toContain(names.lease(id));

    const dry = await cleanup({ runIds: [id], deep: true, allNamespaces: true, dryRun: true, orphans: true });
    expect(dry.runs[0]?.containerd?.containers).toEqual([`${namespace}/${labelled}`]);
    expect(inNs('containers', 'ls', '-q')).toContain(labelled);

    const report = await cleanup({ runIds: [id], deep: true, allNamespaces: true, orphans: true });
    expect(report.runs).toHaveLength(1);
    expect(report.runs[0]).toMatchObject({ id, reason: 'no-record', errors: [] });
    expect(report.runs[0]!.containerd?.containers).toEqual([`${namespace}/${labelled}`]);
    expect(report.runs[0]!.containerd?.leases).toContain(`${namespace}/${names.lease(id)}`);
    expect(inNs('leases', 'ls', '-q')).toContain(unlabelledLease);
    inNs('leases', 'rm', unlabelledLease); // the audit matches names too: remove the look-alike before it
    await expectNoLeaks(id, { namespaces: [namespace, CONTAINERD_NAMESPACE] });
  }, 120_000);
});
