/**
 * Directories root writes into on a shared host. pakostii runs as root; a
 * directory another user owns or can write to lets that user swap an entry
 * for a symlink, and root would then write (or delete) wherever it points.
 * So every directory we write into is checked without following symlinks:
 * a real directory, owned by us, writable by nobody else.
 */
import { lstatSync, mkdirSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { StateError } from '../errors.js';

export interface PrivateDirOptions {
  /** Mode of directories created here (default 0700). */
  mode?: number;
  /** What the directory is for, in error messages ("state dir", "scratch base"). */
  what: string;
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
  // A symlink above it (one of ours is fine: it was checked when made; others' are not) would let its owner redirect us.
  const parent = dirname(path);
  if (parent !== path && realpathSync(parent) !== parent) {
    const ancestor = firstForeignLink(parent);
    if (ancestor) return `lies under ${ancestor}, a symbolic link owned by uid ${lstatSync(ancestor).uid}`;
  }
  return undefined;
}

/** The first symlink on `path`'s way from / that is not root's (root's own links, like /var/run, are fine). */
function firstForeignLink(path: string): string | undefined {
  const parts = path.split('/').filter(Boolean);
  let current = '';
  for (const part of parts) {
    current = `${current}/${part}`;
    try {
      const stat = lstatSync(current);
      if (stat.isSymbolicLink() && stat.uid !== 0) return current;
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
  if (reason) {
    throw new StateError(`refusing the ${options.what} ${absolute}: it ${reason}`, {
      hint: 'pakostii runs as root and must not write where another user can redirect it; remove it (or point pakostii elsewhere) and rerun',
    });
  }
  return absolute;
}
