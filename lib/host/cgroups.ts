/**
 * The run's cgroup parent (names.cgroup(id) = /pakostii/<id>, under every v1
 * controller or once on v2): runc removes each container's own cgroup, but the
 * parent directories stay unless the run removes them.
 */
import { readdirSync, realpathSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CGROUP_ROOT } from './paths.js';

function code(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'code' in error ? (error as { code: unknown }).code : undefined;
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** "<root>/pakostii" on cgroup v2 and "<root>/<controller>/pakostii" on v1, each real dir once. */
export function pakostiiCgroupParents(root = CGROUP_ROOT): string[] {
  const candidates = [join(root, 'pakostii'), ...list(root).map((c) => join(root, c, 'pakostii'))];
  const seen = new Set<string>();
  const result: string[] = [];
  for (const candidate of candidates) {
    if (!isDir(candidate)) continue;
    let real: string;
    try {
      real = realpathSync(candidate);
    } catch {
      continue;
    }
    if (seen.has(real)) continue;
    seen.add(real);
    result.push(candidate);
  }
  return result;
}

/** rmdir deepest first (cgroupfs dirs hold only virtual files; rmdir is how a cgroup goes). Missing = done. */
export function removeCgroupTree(path: string): void {
  let children: string[];
  try {
    children = readdirSync(path).filter((name) => {
      try {
        return statSync(join(path, name)).isDirectory();
      } catch {
        return false;
      }
    });
  } catch (error) {
    if (code(error) === 'ENOENT') return;
    throw error;
  }
  for (const child of children) removeCgroupTree(join(path, child));
  try {
    rmdirSync(path);
  } catch (error) {
    if (code(error) !== 'ENOENT') throw error;
  }
}

/** Remove the run's cgroups; EBUSY (a process still exiting) is retried for up to ~1 s. */
export async function removeRunCgroups(runId: string): Promise<void> {
  for (const parent of pakostiiCgroupParents()) {
    const path = join(parent, runId);
    for (let attempt = 0; ; attempt++) {
      try {
        removeCgroupTree(path);
        break;
      } catch (error) {
        if (code(error) !== 'EBUSY' || attempt >= 20) throw error;
        await sleep(50);
      }
    }
  }
}
