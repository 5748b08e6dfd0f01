/**
 * Directories root writes into on a shared host. pakostii runs as root; a
 * directory another user owns or can write to lets that user swap an entry
 * for a symlink, and root would then write (or delete) wherever it points.
 * So every directory we write into is checked without following symlinks:
 * a real directory, owned by us, writable by nobody else.
 */
import { existsSync, lstatSync, mkdirSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { StateError } from '../errors.js';

export interface PrivateDirOptions {
  /** Mode of directories created here (default 0700). */
  mode?: number;
  /** What the directory is for, in error messages ("state dir", "scratch base"). */
  what: string;
}

/**
 * Users whose directories root may write under: root, this process, and the
 * person who ran `sudo` (SUDO_UID: their project directory holds `.pakostii`).
 * Anyone else who owns (or may write) a directory on the way could rename an
 * entry and put a symlink in its place.
 */
function trustedUids(): Set<number> {
  const uids = new Set([0, process.geteuid?.() ?? 0]);
  const sudo = Number(process.env.SUDO_UID);
  if (Number.isInteger(sudo) && sudo > 0) uids.add(sudo);
  return uids;
}

function trustedGids(): Set<number> {
  const gids = new Set([0, process.getegid?.() ?? 0]);
  const sudo = Number(process.env.SUDO_GID);
  if (Number.isInteger(sudo) && sudo > 0) gids.add(sudo);
  return gids;
}

/** Why `path` is not a safe place for root to write, or undefined when it is. Does not follow a symlink at `path`. */
export function unsafeDirReason(path: string): string | undefined {
  let stat;
  try {
    stat = lstatSync(path);
  } catch (error) {
    return `cannot be inspected (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
  }
  if (stat.isSymbolicLink()) return 'is a symbolic link';
  if (!stat.isDirectory()) return 'is not a directory';
  const uid = process.geteuid?.() ?? 0;
  if (stat.uid !== uid) return `is owned by uid ${stat.uid}, not by this process (uid ${uid})`;
  if ((stat.mode & 0o022) !== 0) return `is writable by group or others (mode ${(stat.mode & 0o7777).toString(8)})`;
  return untrustedAncestorReason(dirname(path));
}

/**
 * Why a directory `path` (the parent of what we write into) lets another user
 * swap our entry for a symlink: a symlink on the way that is not a trusted
 * user's, or a directory on the way (symlinks resolved) that an untrusted user
 * owns or may write without the sticky bit (in a sticky /tmp only an entry's
 * owner may rename it).
 */
export function untrustedAncestorReason(path: string): string | undefined {
  const uids = trustedUids();
  const gids = trustedGids();
  const link = firstForeignLink(path, uids);
  if (link) return `lies under ${link.path}, a symbolic link owned by uid ${link.uid}`;
  let current: string;
  try {
    current = realpathSync(path);
  } catch (error) {
    return `lies under ${path}, which cannot be inspected (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
  }
  for (;;) {
    const stat = lstatSync(current);
    const sticky = (stat.mode & 0o1000) !== 0;
    const mode = (stat.mode & 0o7777).toString(8);
    if (!uids.has(stat.uid)) return `lies under ${current}, owned by uid ${stat.uid}, who could replace what is in it`;
    if (!sticky && (stat.mode & 0o002) !== 0) return `lies under ${current}, which every user may write (mode ${mode}, not sticky)`;
    if (!sticky && (stat.mode & 0o020) !== 0 && !gids.has(stat.gid)) {
      return `lies under ${current}, which group ${stat.gid} may write (mode ${mode})`;
    }
    const parent = dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

/** The first symlink on `path`'s way from / owned by an untrusted user (root's own links, like /var/run, are fine). */
function firstForeignLink(path: string, trusted: Set<number>): { path: string; uid: number } | undefined {
  const parts = path.split('/').filter(Boolean);
  let current = '';
  for (const part of parts) {
    current = `${current}/${part}`;
    try {
      const stat = lstatSync(current);
      if (stat.isSymbolicLink() && !trusted.has(stat.uid)) return { path: current, uid: stat.uid };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Makes `path` (and missing parents, mode `mode`) and checks it is safe for root
 * to write into; throws a StateError saying what is wrong and what to do.
 */
export function ensurePrivateDir(path: string, options: PrivateDirOptions): string {
  if (!isAbsolute(path)) {
    throw new StateError(`the ${options.what} "${path}" is not an absolute path`, { hint: 'give an absolute path' });
  }
  const absolute = resolve(path);
  // The existing part of the way is checked before mkdir: never create directories through someone's symlink.
  const early = untrustedAncestorReason(nearestExisting(dirname(absolute)));
  if (early) refuse(absolute, options, early);
  try {
    mkdirSync(absolute, { recursive: true, mode: options.mode ?? 0o700 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST') {
      throw new StateError(`cannot create the ${options.what} ${absolute}: ${code ?? String(error)}`, {
        cause: error,
        hint: code === 'ENOTDIR' ? 'a file is in the way; choose another path' : 'run as root, or choose a directory root can create',
      });
    }
  }
  const reason = unsafeDirReason(absolute);
  if (reason) refuse(absolute, options, reason);
  return absolute;
}

function refuse(path: string, options: PrivateDirOptions, reason: string): never {
  throw new StateError(`refusing the ${options.what} ${path}: it ${reason}`, {
    hint:
      reason === 'is not a directory'
        ? 'a file is in the way: give a directory path, or move the file'
        : 'pakostii runs as root and must not write where another user can redirect it; remove it (or point pakostii elsewhere) and rerun',
  });
}

function nearestExisting(path: string): string {
  let current = path;
  while (!existsSync(current) && dirname(current) !== current) current = dirname(current);
  return current;
}
