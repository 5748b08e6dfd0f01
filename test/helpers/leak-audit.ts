/**
 * Leak audit for e2e/reliability tests: what remains of a run on the host,
 * observed independently of the library under test (ip, bpftool, ctr, /proc,
 * the filesystem). Tests may use these tools to observe; lib/ may not.
 *
 *   await expectNoLeaks(result.id);          // after a run
 *   const before = await snapshotHostNetwork(); ... expect(await snapshotHostNetwork()).toEqual(before);
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { belongsToRun, CONTAINERD_NAMESPACE, LABELS } from '../../lib/host/names.js';
import { NETNS_DIR } from '../../lib/host/paths.js';
import { runsDir } from '../../lib/host/paths.js';
import { readClaimFiles } from '../../lib/host/subnet-claims.js';
import { defaultWorkBase, execDir } from '../../lib/host/paths.js';
import { pakostiiCgroupParents } from '../../lib/host/cgroups.js';

const run = promisify(execFile);
const CONTAINERD_SOCKET = process.env.PAKOSTII_CONTAINERD_SOCKET ?? '/run/containerd/containerd.sock';
export const XDP_PROGRAM_NAME = 'pakostii_xdp';

async function tool(file: string, args: string[]): Promise<string> {
  const { stdout } = await run(file, args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

export interface RunLeaks {
  netns: string[];
  links: string[];
  /**
   * pakostii XDP programs held by no process and attached to no interface of any
   * namespace (only a pin or a leak keeps them) that were not there before the run
   * (AuditOptions.xdpBaseline; without a baseline this check is skipped, since
   * programs cannot be told apart by run).
   */
  orphanXdpPrograms: number[];
  /** pakostii XDP programs still held by this process (a FaultEngine never closed). */
  xdpProgramsHeldHere: number[];
  containers: string[];
  tasks: string[];
  snapshots: string[];
  leases: string[];
  /** Processes whose command line names the run's objects (shims, stray children). */
  processes: string[];
  cgroups: string[];
  workDirs: string[];
  /** State files of the run: record, temp files, subnet claims, exec scratch dirs. */
  stateFiles: string[];
}

export interface AuditOptions {
  /** containerd namespaces to look in (default: pakostii). */
  namespaces?: string[];
  /** Work dir bases (default <state dir>/work). */
  workBases?: string[];
  /** Skip the "held by this process" XDP check (another run of this process is still live). */
  otherRunsLiveHere?: boolean;
  /** Ids of pakostii XDP programs that existed before the run (snapshotXdpPrograms()). */
  xdpBaseline?: readonly number[];
}

/** Ids of all pakostii XDP programs now: take it before a run, pass it as AuditOptions.xdpBaseline. */
export async function snapshotXdpPrograms(): Promise<number[]> {
  const progs = JSON.parse(await tool('bpftool', ['prog', 'show', '-j'])) as BpftoolProg[];
  return progs.filter((p) => p.name === XDP_PROGRAM_NAME).map((p) => p.id);
}

interface BpftoolProg {
  id: number;
  name?: string;
  pids?: Array<{ pid: number }>;
}

interface IpLinkXdp {
  xdp?: { prog?: { id: number }; attached?: Array<{ prog?: { id: number } }> };
}

/** Ids of XDP programs attached to some interface, in the host namespace or any named one (live runs' programs). */
async function attachedXdpProgramIds(): Promise<Set<number>> {
  const ids = new Set<number>();
  const collect = (json: string) => {
    for (const link of JSON.parse(json) as IpLinkXdp[]) {
      if (link.xdp?.prog) ids.add(link.xdp.prog.id);
      for (const a of link.xdp?.attached ?? []) if (a.prog) ids.add(a.prog.id);
    }
  };
  collect(await tool('ip', ['-j', '-d', 'link', 'show']));
  for (const ns of list(NETNS_DIR)) {
    try {
      collect(await tool('ip', ['-n', ns, '-j', '-d', 'link', 'show']));
    } catch {
      // deleted meanwhile
    }
  }
  return ids;
}

/**
 * pakostii XDP programs that nothing keeps for a purpose: held by no process
 * and attached to no interface of any namespace (so not a live run's, ours or
 * another's), and not in `baseline`. Only a pin or a leak keeps such a program.
 */
export async function orphanXdpPrograms(baseline: readonly number[]): Promise<number[]> {
  const progs = JSON.parse(await tool('bpftool', ['prog', 'show', '-j'])) as BpftoolProg[];
  const candidates = progs.filter((p) => p.name === XDP_PROGRAM_NAME && !baseline.includes(p.id) && (!p.pids || p.pids.length === 0));
  if (candidates.length === 0) return [];
  const attached = await attachedXdpProgramIds();
  return candidates.map((p) => p.id).filter((id) => !attached.has(id));
}

async function xdpPrograms(baseline: readonly number[] | undefined): Promise<{ orphans: number[]; heldHere: number[] }> {
  const progs = JSON.parse(await tool('bpftool', ['prog', 'show', '-j'])) as BpftoolProg[];
  const ours = progs.filter((p) => p.name === XDP_PROGRAM_NAME);
  return {
    orphans: baseline ? await orphanXdpPrograms(baseline) : [],
    heldHere: ours.filter((p) => p.pids?.some((h) => h.pid === process.pid)).map((p) => p.id),
  };
}

/** `ctr` table output → first column of each row after the header. */
function firstColumn(table: string): string[] {
  return table
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter(Boolean);
}

async function containerdLeaks(runId: string, namespace: string): Promise<Pick<RunLeaks, 'containers' | 'tasks' | 'snapshots' | 'leases'>> {
  if (!existsSync(CONTAINERD_SOCKET)) return { containers: [], tasks: [], snapshots: [], leases: [] };
  const ctr = (...args: string[]) => tool('ctr', ['--address', CONTAINERD_SOCKET, '-n', namespace, ...args]);
  const label = `labels."${LABELS.run}"==${runId}`;
  const [containers, tasks, snapshots, leases] = await Promise.all([
    ctr('containers', 'ls', '-q', label),
    ctr('tasks', 'ls'),
    ctr('snapshots', 'ls'),
    ctr('leases', 'ls'),
  ]);
  const at = (ns: string) => (items: string[]) => items.map((i) => `${ns}/${i}`);
  return {
    containers: at(namespace)(containers.split('\n').filter(Boolean)),
    tasks: at(namespace)(firstColumn(tasks).filter((id) => belongsToRun(id, runId))),
    snapshots: at(namespace)(firstColumn(snapshots).filter((key) => belongsToRun(key, runId))),
    leases: at(namespace)(
      leases
        .split('\n')
        .slice(1)
        .filter((line) => line.includes(`${LABELS.run}=${runId}`) || belongsToRun(line.trim().split(/\s+/)[0] ?? '', runId))
        .map((line) => line.trim().split(/\s+/)[0]!),
    ),
  };
}

function processesOf(runId: string): string[] {
  const needle = `pk-${runId}-`;
  const result: string[] = [];
  for (const pid of list('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      if (cmdline.includes(needle)) result.push(`${pid}: ${cmdline.slice(0, 200)}`);
    } catch {
      // exited meanwhile
    }
  }
  return result;
}

/** Everything of run `runId` still on the host. */
export async function auditRun(runId: string, options: AuditOptions = {}): Promise<RunLeaks> {
  const links = JSON.parse(await tool('ip', ['-j', 'link', 'show'])) as Array<{ ifname: string }>;
  const xdp = await xdpPrograms(options.xdpBaseline);
  const perNamespace = await Promise.all((options.namespaces ?? [CONTAINERD_NAMESPACE]).map((ns) => containerdLeaks(runId, ns)));
  const stateFiles = [
    ...list(runsDir()).filter((f) => f === `${runId}.json` || f === `${runId}.objects` || f.startsWith(`.${runId}.`)).map((f) => join(runsDir(), f)),
    ...readClaimFiles().filter((c) => c.claim?.runId === runId).map((c) => c.path),
    ...list(execDir()).filter((d) => d.startsWith(`pk-${runId}-`)).map((d) => join(execDir(), d)),
  ];
  return {
    netns: list(NETNS_DIR).filter((n) => belongsToRun(n, runId)),
    links: links.map((l) => l.ifname).filter((n) => belongsToRun(n, runId)),
    orphanXdpPrograms: xdp.orphans,
    xdpProgramsHeldHere: options.otherRunsLiveHere ? [] : xdp.heldHere,
    containers: perNamespace.flatMap((n) => n.containers),
    tasks: perNamespace.flatMap((n) => n.tasks),
    snapshots: perNamespace.flatMap((n) => n.snapshots),
    leases: perNamespace.flatMap((n) => n.leases),
    processes: processesOf(runId),
    cgroups: pakostiiCgroupParents()
      .map((parent) => join(parent, runId))
      .filter((path) => existsSync(path)),
    workDirs: (options.workBases ?? [defaultWorkBase()]).map((base) => join(base, runId)).filter((dir) => existsSync(dir)),
    stateFiles,
  };
}

export function leakCount(leaks: RunLeaks): number {
  return Object.values(leaks).reduce((sum: number, items: unknown[]) => sum + items.length, 0);
}

export function describeLeaks(runId: string, leaks: RunLeaks): string {
  const lines = Object.entries(leaks)
    .filter(([, items]) => (items as unknown[]).length > 0)
    .map(([kind, items]) => `  ${kind}: ${(items as unknown[]).join(', ')}`);
  return lines.length === 0 ? `run ${runId}: nothing left behind` : `run ${runId} left objects behind:\n${lines.join('\n')}`;
}

/** Fails (throws) listing whatever run `runId` left behind. */
export async function expectNoLeaks(runId: string, options: AuditOptions = {}): Promise<void> {
  const leaks = await auditRun(runId, options);
  if (leakCount(leaks) > 0) throw new Error(describeLeaks(runId, leaks));
}

// ---------------------------------------------------------------- host network state

export interface HostNetworkSnapshot {
  routes: string[];
  addresses: string[];
  nftRuleset: string;
  iptables: string[];
}

/**
 * Lines excluded from host-state comparisons: names of links of some pakostii
 * run (ours or a concurrent one), and links `ip` could only print by index
 * ("dev if16559": the link vanished or moved to another namespace while `ip`
 * was listing — a veth of a run being provisioned or torn down; such a route
 * cannot outlive its link, so it is never a lasting change).
 */
const RUN_OBJECT = /\b(?:pkb-[a-z]{5}|pk[a-z]{5}(?:(?:-|p)\d+|-up))\b|(?:\bdev |^\d+:\s+)if\d+\b/;

/**
 * The host's routes (all tables, v4 and v6), addresses, nftables ruleset and
 * iptables rules, normalised (no counters, no timestamps) for before/after
 * comparisons. Lines about links of pakostii runs are left out so a concurrent
 * run does not make the comparison flaky; those are covered by auditRun.
 */
export async function snapshotHostNetwork(): Promise<HostNetworkSnapshot> {
  const [v4routes, v6routes, addrs, nft, iptables] = await Promise.all([
    tool('ip', ['-4', 'route', 'show', 'table', 'all']),
    tool('ip', ['-6', 'route', 'show', 'table', 'all']),
    tool('ip', ['-o', 'addr', 'show']),
    tool('nft', ['list', 'ruleset']),
    tool('iptables-save', []).catch(() => ''),
  ]);
  const lines = (text: string) => text.split('\n').map((l) => l.trimEnd()).filter((l) => l && !RUN_OBJECT.test(l));
  return {
    routes: [...lines(v4routes), ...lines(v6routes)].sort(),
    addresses: lines(addrs)
      .map((l) => l.replace(/^\d+:\s+/, '').replace(/\s+valid_lft.*$/, '').replace(/\\$/, '').trimEnd())
      .sort(),
    nftRuleset: nft.trim(),
    iptables: lines(iptables)
      .filter((l) => !l.startsWith('#'))
      .map((l) => l.replace(/\[\d+:\d+\]/g, '[]')),
  };
}
