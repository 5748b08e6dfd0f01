/**
 * What pakostii objects exist on this host, grouped by run id. Only reads the
 * filesystem (/run/netns, /sys/class/net, cgroupfs, work dirs, claims): no
 * child process, no netlink, no containerd — so it is cheap enough to run at
 * the start of every test. containerd objects are listed separately, and only
 * for runs that are known to be dead (see cleanup.ts).
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pakostiiCgroupParents } from '../host/cgroups.js';
import { defaultWorkBase, execDir, NETNS_DIR } from '../host/paths.js';
import { unsafeDirReason } from '../host/private-dir.js';
import { runIdOfDir, runIdOfExecDir, runIdOfLink, runIdOfNetns } from '../host/patterns.js';
import { readClaimFiles, type ClaimFile } from '../host/subnet-claims.js';

export const SYS_CLASS_NET = '/sys/class/net';

export interface RunLeftovers {
  netns: string[];
  links: string[];
  /** Absolute paths of cgroup dirs named after the run (one per v1 controller, or one on v2). */
  cgroups: string[];
  workDirs: string[];
  /** Scratch dirs of execs that were running when the runner died (<state dir>/exec/pk-<id>-…). */
  execDirs: string[];
  claims: ClaimFile[];
}

export function emptyLeftovers(): RunLeftovers {
  return { netns: [], links: [], cgroups: [], workDirs: [], execDirs: [], claims: [] };
}

export function countLeftovers(l: RunLeftovers): number {
  return l.netns.length + l.links.length + l.cgroups.length + l.workDirs.length + l.execDirs.length + l.claims.length;
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function isDir(path: string): boolean {
  try {
    // lstat: a symlink named like a run is not a run's directory, whatever it points to.
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

export interface InventoryOptions {
  /** Bases of run work dirs (default <state dir>/work); recorded runs add theirs. */
  workBases?: string[];
}

/** Everything that looks like ours on the host, by run id. */
export function takeInventory(options: InventoryOptions = {}): Map<string, RunLeftovers> {
  const byRun = new Map<string, RunLeftovers>();
  const of = (id: string): RunLeftovers => {
    let entry = byRun.get(id);
    if (!entry) byRun.set(id, (entry = emptyLeftovers()));
    return entry;
  };
  for (const name of list(NETNS_DIR)) {
    const id = runIdOfNetns(name);
    if (id) of(id).netns.push(name);
  }
  for (const name of list(SYS_CLASS_NET)) {
    const id = runIdOfLink(name);
    if (id) of(id).links.push(name);
  }
  for (const parent of pakostiiCgroupParents()) {
    for (const name of list(parent)) {
      const id = runIdOfDir(name);
      if (id && isDir(join(parent, name))) of(id).cgroups.push(join(parent, name));
    }
  }
  for (const base of new Set(options.workBases ?? [defaultWorkBase()])) {
    // Only a base we made and nobody else can write to: entries in it are provably ours.
    if (unsafeDirReason(base) !== undefined) continue;
    for (const name of list(base)) {
      const id = runIdOfDir(name);
      if (id && isDir(join(base, name))) of(id).workDirs.push(join(base, name));
    }
  }
  for (const name of list(execDir())) {
    const id = runIdOfExecDir(name);
    if (id) of(id).execDirs.push(join(execDir(), name));
  }
  for (const file of readClaimFiles()) {
    const id = file.claim?.runId;
    if (id && runIdOfDir(id)) of(id).claims.push(file);
  }
  return byRun;
}
