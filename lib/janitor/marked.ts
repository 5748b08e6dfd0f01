/**
 * What a dead run left, read from its object log (lib/host/run-objects.ts)
 * instead of guessed from names: the janitor removes only objects the run
 * noted, and of those only the ones that still are the run's —
 *
 *   - a namespace that is still /run/netns/<name> with the stamp the run noted
 *     (nsfs inode + its change time: inode numbers alone are reused at once),
 *   - a host link that still exists in the host's namespace with the noted ifindex,
 *   - the run's own cgroup parent (names.cgroup(id)) under each controller,
 *   - exec scratch dirs under <state dir>/exec named after the run's containers
 *     (removeOwnDir later refuses symlinks and dirs others own or may write).
 *
 * An entry without its identity (the run was killed between creating the
 * object and noting its stamp/ifindex) is taken by its name: nobody but the run
 * could have made that name between its note and the kill.
 *
 * Records written before runs kept a log fall back to the name patterns (see
 * cleanup.ts): the conservative, documented behaviour of older versions.
 */
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { pakostiiCgroupParents } from '../host/cgroups.js';
import { names } from '../host/names.js';
import { execDir, NETNS_DIR } from '../host/paths.js';
import { runIdOfExecDir, runIdOfLink, runIdOfNetns } from '../host/patterns.js';
import { netnsStamp, type RunObjects } from '../host/run-objects.js';
import { SYS_CLASS_NET, type RunLeftovers } from './inventory.js';

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function read<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

export interface MarkedLeftovers {
  leftovers: RunLeftovers;
  /** Objects the log names that exist but are no longer the run's (another stamp/ifindex, a foreign path): left alone. */
  notOurs: string[];
}

/** The noted objects of run `id` that exist and are still its own. Claims are passed through (their files prove ownership). */
export function markedLeftovers(id: string, objects: RunObjects, claims: RunLeftovers['claims']): MarkedLeftovers {
  const leftovers: RunLeftovers = { netns: [], links: [], cgroups: [], workDirs: [], execDirs: [], claims };
  const notOurs: string[] = [];

  for (const [name, stamp] of objects.netns) {
    const path = `${NETNS_DIR}/${name}`;
    if (runIdOfNetns(name) !== id || !exists(path)) continue;
    if (stamp !== undefined && read(() => netnsStamp(path)) !== stamp) notOurs.push(`network namespace ${name}`);
    else leftovers.netns.push(name);
  }

  for (const [name, ifindex] of objects.links) {
    const path = join(SYS_CLASS_NET, name);
    if (runIdOfLink(name) !== id || !existsSync(path)) continue;
    if (ifindex !== undefined && read(() => Number(readFileSync(join(path, 'ifindex'), 'utf8'))) !== ifindex) notOurs.push(`link ${name}`);
    else leftovers.links.push(name);
  }

  for (const path of objects.cgroups) {
    if (path !== names.cgroup(id)) {
      notOurs.push(`cgroup ${path}`);
      continue;
    }
    for (const parent of pakostiiCgroupParents()) {
      const dir = join(parent, id);
      if (read(() => (lstatSync(dir).isDirectory() ? 1 : 0)) === 1) leftovers.cgroups.push(dir);
    }
  }

  for (const path of objects.dirs) {
    if (!isAbsolute(path) || dirname(path) !== execDir() || runIdOfExecDir(basename(path)) !== id) {
      notOurs.push(`dir ${path}`);
      continue;
    }
    if (exists(path)) leftovers.execDirs.push(path);
  }
  return { leftovers, notOurs };
}
