/**
 * The run's object log: <state dir>/runs/<id>.objects, one JSON line per host
 * object the run creates, appended BEFORE the object is created. It is what
 * marks an object as the run's: the janitor removes a dead run's namespaces,
 * host links, cgroups and exec scratch dirs only when this log names them, and
 * a look-alike a stranger made with the run's name pattern stays.
 *
 * Why a log and not a field of the record: appends are O(1) (a 4,096-node run
 * notes ~8,000 objects; rewriting a growing record for each would be quadratic),
 * and an append written before the object exists covers a SIGKILL at any point
 * of provisioning — the worst a kill can leave is a noted object that was never
 * created, which the janitor finds missing. A line cut short by a kill is
 * skipped when read.
 *
 * Some entries are noted twice: the name before creation, then its identity
 * after (a namespace's inode and change time, a link's ifindex), so the janitor can tell the
 * run's object from one made later under the same name. A creation that fails
 * is noted as forgotten (e.g. EEXIST: the name was someone else's first).
 *
 * The log is created empty right after the record (registerRun) and appends never
 * create it: a process that is not a registered run (a tool calling the
 * containerd layer directly) notes nothing and leaves no stray file.
 */
import { closeSync, constants, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { runsDir } from './paths.js';

export type RunObject =
  /** A network namespace (/run/netns/<name>); `stamp` (netnsStamp) once it exists. */
  | { readonly kind: 'netns'; readonly name: string; readonly stamp?: string }
  /** A link in the host's namespace (direct reach's uplink); `ifindex` once it exists. */
  | { readonly kind: 'link'; readonly name: string; readonly ifindex?: number }
  /** A cgroup path relative to each controller's root (names.cgroup(id)). */
  | { readonly kind: 'cgroup'; readonly path: string }
  /** A scratch directory (absolute path) removed with its contents. */
  | { readonly kind: 'dir'; readonly path: string };

/** Everything a run's log names, each name once with the last identity noted. */
export interface RunObjects {
  readonly netns: ReadonlyMap<string, string | undefined>;
  readonly links: ReadonlyMap<string, number | undefined>;
  readonly cgroups: ReadonlySet<string>;
  readonly dirs: ReadonlySet<string>;
}

/** File names of object logs in the runs dir. */
export const OBJECT_LOG_PATTERN = /^([a-z]{5})\.objects$/;

export function objectLogPath(id: string): string {
  return join(runsDir(), `${id}.objects`);
}

/** Create the run's empty log (O_EXCL, no symlink followed). Called by registerRun once the record is in place. */
export function createObjectLog(id: string): void {
  closeSync(openSync(objectLogPath(id), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600));
}

/**
 * Note an object of run `id` before creating it. A run without a log (not
 * registered in this state dir) notes nothing. Synchronous on purpose: the line
 * is on disk before the caller's next step creates the object.
 */
export function noteObject(id: string, object: RunObject): void {
  append(id, object);
}

/** Note that a noted object was not created after all (its creation failed): the janitor must not touch that name. */
export function forgetObject(id: string, object: RunObject): void {
  append(id, { ...object, forget: true });
}

function append(id: string, entry: RunObject & { forget?: true }): void {
  let fd: number;
  try {
    // No O_CREAT: a process that is not a registered run has no log and notes nothing.
    fd = openSync(objectLogPath(id), constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    // One write of one line: O_APPEND keeps concurrent lines whole.
    writeSync(fd, `${JSON.stringify(entry)}\n`);
  } finally {
    closeSync(fd);
  }
}

function isObject(value: unknown): value is RunObject {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  switch (v.kind) {
    case 'netns':
      return typeof v.name === 'string' && (v.stamp === undefined || typeof v.stamp === 'string');
    case 'link':
      return typeof v.name === 'string' && (v.ifindex === undefined || Number.isSafeInteger(v.ifindex));
    case 'cgroup':
    case 'dir':
      return typeof v.path === 'string';
    default:
      return false;
  }
}

/** The objects run `id` noted, or undefined when it has no log. Lines that do not parse (cut by a kill) are skipped. */
export function readObjectLog(id: string): RunObjects | undefined {
  let text: string;
  try {
    const fd = openSync(objectLogPath(id), constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  const netns = new Map<string, string | undefined>();
  const links = new Map<string, number | undefined>();
  const cgroups = new Set<string>();
  const dirs = new Set<string>();
  for (const line of text.split('\n')) {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    if (!isObject(value)) continue;
    if ((value as { forget?: unknown }).forget === true) {
      if (value.kind === 'netns') netns.delete(value.name);
      else if (value.kind === 'link') links.delete(value.name);
      else if (value.kind === 'cgroup') cgroups.delete(value.path);
      else dirs.delete(value.path);
    } else if (value.kind === 'netns') netns.set(value.name, value.stamp ?? netns.get(value.name));
    else if (value.kind === 'link') links.set(value.name, value.ifindex ?? links.get(value.name));
    else if (value.kind === 'cgroup') cgroups.add(value.path);
    else dirs.add(value.path);
  }
  return { netns, links, cgroups, dirs };
}

/**
 * Identity of the namespace bound at `path`: its nsfs inode and the inode's
 * change time in ns. The inode number alone is reused at once when a namespace
 * goes (a namespace deleted and re-made gets the same one); the time is that of
 * the new namespace.
 */
export function netnsStamp(path: string): string {
  const stat = statSync(path, { bigint: true });
  return `${stat.ino}:${stat.ctimeNs}`;
}

/** Remove the log (teardown and janitor, just before the record). */
export function removeObjectLog(id: string): void {
  rmSync(objectLogPath(id), { force: true });
}
