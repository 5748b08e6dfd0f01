/**
 * Removal of one dead run's objects, in an order that cannot strand anything:
 * containers (their tasks live in the namespaces) → links → namespaces →
 * cgroups → work dir → subnet claims → the record, which is kept when any step
 * failed so the next cleanup retries.
 */
import { existsSync, realpathSync, rmSync } from 'node:fs';
import { basename, isAbsolute } from 'node:path';
import { removeCgroupTree } from '../host/cgroups.js';
import { CONTAINERD_NAMESPACE, names } from '../host/names.js';
import { unregisterRun, type RunRecord } from '../host/run-records.js';
import { reclaimIfDead } from '../host/subnet-claims.js';
import { unsafeDirReason } from '../host/private-dir.js';
import type { RunLeftovers } from './inventory.js';
import { linkDeletionRank } from '../host/patterns.js';
import type { CleanedRun, CleanupReason, ContainerdTarget, JanitorOps } from './types.js';

function isMissing(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null && 'code' in error ? (error as { code: unknown }).code : undefined;
  return code === 'ENOENT' || code === 'ENODEV' || code === 'ENXIO';
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}

/** A recorded work dir is removed only if it is absolute and named after the run (never trust a path blindly). */
function ownWorkDir(record: RunRecord | undefined): string | undefined {
  const dir = record?.workDir;
  return dir && isAbsolute(dir) && basename(dir) === record.id ? dir : undefined;
}

/**
 * Removes a run's work dir only if it provably is one: a real directory (not a
 * symlink, none above it), owned by us, writable by nobody else. rm's
 * recursion itself never follows symlinks inside it.
 */
function removeOwnDir(dir: string): void {
  if (!existsSync(dir)) return;
  const reason = unsafeDirReason(dir) ?? (realpathSync(dir) === dir ? undefined : `resolves to ${realpathSync(dir)}`);
  if (reason) throw new Error(`refusing to remove ${dir}: it ${reason}`);
  rmSync(dir, { recursive: true, force: true });
}

function uniqueTargets(targets: readonly ContainerdTarget[]): ContainerdTarget[] {
  const seen = new Set<string>();
  return targets.filter((t) => {
    const key = `${t.socket}\0${t.namespace}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export async function cleanRun(
  id: string,
  reason: CleanupReason,
  record: RunRecord | undefined,
  leftovers: RunLeftovers,
  ops: JanitorOps,
  options: { dryRun: boolean; containerd: readonly ContainerdTarget[]; notOurs: readonly string[] },
): Promise<CleanedRun> {
  const result: CleanedRun = {
    id,
    reason,
    ...(record ? { testName: record.testName, pid: record.pid, startedAt: record.startedAt } : {}),
    netns: leftovers.netns.filter((name) => isOwnNetns(id, record, name)),
    links: [...leftovers.links].sort((a, b) => linkDeletionRank(a) - linkDeletionRank(b)),
    cgroups: [...leftovers.cgroups],
    workDirs: [...new Set([...leftovers.workDirs, ...[ownWorkDir(record)].filter((d): d is string => !!d && existsSync(d))])],
    execDirs: [...leftovers.execDirs],
    subnetClaims: leftovers.claims.map((c) => c.block),
    ...(options.notOurs.length > 0 ? { leftAlone: [...options.notOurs] } : {}),
    containerd: undefined,
    record: record !== undefined || reason === 'record-unreadable',
    errors: [],
  };
  const { dryRun } = options;
  const attempt = async (what: string, action: () => Promise<void> | void): Promise<void> => {
    if (dryRun) return;
    try {
      await action();
    } catch (error) {
      if (!isMissing(error)) result.errors.push(`${what}: ${describe(error)}`);
    }
  };

  // 1. containers first: their tasks live in the namespaces and cgroups removed next.
  const targets = uniqueTargets([...(record ? [record.containerd] : []), ...options.containerd]);
  const home = record?.containerd.namespace ?? CONTAINERD_NAMESPACE;
  for (const target of targets) {
    try {
      const found = await ops.containerdObjects(id, target, dryRun);
      if (!found) continue;
      const name = (item: string) => (target.namespace === home ? item : `${target.namespace}/${item}`);
      const sum = (result.containerd ??= { containers: [], snapshots: [], leases: [] });
      sum.containers.push(...found.containers.map(name));
      sum.snapshots.push(...found.snapshots.map(name));
      sum.leases.push(...found.leases.map(name));
    } catch (error) {
      result.errors.push(`containerd objects labelled pakostii.run=${id} at ${target.socket} (namespace ${target.namespace}): ${describe(error)}`);
    }
  }
  // 2. links (a host veth takes its peer along; the bridge last), 3. namespaces.
  for (const link of result.links) await attempt(`link ${link}`, () => ops.deleteLink(link));
  await Promise.all(result.netns.map((ns) => attempt(`network namespace ${ns}`, () => ops.deleteNetns(ns))));
  // 4. cgroups, work dir, subnet claims.
  for (const cgroup of result.cgroups) await attempt(`cgroup ${cgroup}`, () => removeCgroupTree(cgroup));
  for (const dir of result.execDirs) await attempt(`exec dir ${dir}`, () => removeOwnDir(dir));
  for (const dir of result.workDirs) await attempt(`work dir ${dir}`, () => removeOwnDir(dir));
  // Through reclaimIfDead, never a blind unlink: the block may have been reclaimed and claimed by a live run since the inventory.
  for (const claim of leftovers.claims) await attempt(`subnet claim ${claim.path}`, () => void reclaimIfDead(claim));
  // 5. the record (its object log first), only when everything else went: otherwise the next cleanup retries.
  if (result.errors.length > 0) result.record = false;
  else if (result.record) await attempt(`run record ${id}`, () => unregisterRun(id));
  return result;
}

export function isEmpty(run: CleanedRun): boolean {
  const c = run.containerd;
  return (
    run.netns.length + run.links.length + run.cgroups.length + run.workDirs.length + run.execDirs.length + run.subnetClaims.length === 0 &&
    (!c || c.containers.length + c.snapshots.length + c.leases.length === 0) &&
    run.errors.length === 0
  );
}

/** A namespace the run made: when its record lists its nodes, only theirs, the runner's and the switch's (not a look-alike). */
function isOwnNetns(id: string, record: RunRecord | undefined, name: string): boolean {
  if (record?.nodes === undefined) return true;
  return name === names.runnerNetns(id) || name === names.switchNetns(id) || record.nodes.some((node) => names.nodeNetns(id, node) === name);
}
