/**
 * Small files of an image read on the host before its container exists (its
 * /etc/passwd and /etc/group, to resolve USER), straight from the snapshot's
 * layer directories, top first. The image is untrusted: a symlink resolves
 * inside the image's root as the container would see it (an absolute target
 * starts again at the root, ".." stops there), never to the host's files;
 * only regular files count (never a device like /dev/zero); the size is capped.
 * Whiteouts (0/0 character devices) hide what is below; overlay "opaque"
 * directories are not detected (a lower layer's entry may show through one).
 */
import { constants, type Stats } from 'node:fs';
import { lstat, open, readlink, realpath } from 'node:fs/promises';
import { posix } from 'node:path';
import { ContainerdError } from '../errors.js';

const MAX_SYMLINK_HOPS = 40;

interface Entry {
  host: string;
  stats: Stats;
  layer: string;
}

/** The top-most layer's entry at container path `clean` (no resolution), or undefined (missing or whited out). */
async function entryAt(layers: readonly string[], clean: string): Promise<Entry | undefined> {
  for (const layer of layers) {
    const host = posix.join(layer, clean);
    const stats = await lstat(host).catch(() => undefined);
    if (!stats) continue;
    if (stats.isCharacterDevice() && stats.rdev === 0) return undefined;
    return { host, stats, layer };
  }
  return undefined;
}

/** `path` with every symlink followed inside the image's root. */
async function resolveInImage(layers: readonly string[], path: string, what: string): Promise<string> {
  let pending = path.split('/').filter((c) => c !== '' && c !== '.');
  let current = '/';
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '..') {
      current = posix.dirname(current);
      continue;
    }
    const next = posix.join(current, part);
    const entry = await entryAt(layers, next);
    if (entry?.stats.isSymbolicLink()) {
      if (++hops > MAX_SYMLINK_HOPS) throw new ContainerdError(`${what}: too many symlinks resolving ${path}`, { hint: 'the image’s path loops through symlinks' });
      const target = await readlink(entry.host);
      if (target.startsWith('/')) current = '/';
      pending = [...target.split('/').filter((c) => c !== '' && c !== '.'), ...pending];
      continue;
    }
    current = next;
  }
  return current;
}

/**
 * The image's regular file at `path`, or undefined when it is missing or not a
 * regular file. Larger than `maxBytes` is an error naming the file.
 */
export async function readImageFile(layers: readonly string[], path: string, maxBytes: number, what: string): Promise<Buffer | undefined> {
  const clean = await resolveInImage(layers, path, what);
  const entry = await entryAt(layers, clean);
  if (!entry?.stats.isFile()) return undefined;
  // A lower layer's entry is reached through that layer's own directories: none of them may be a symlink.
  if ((await realpath(entry.host)) !== posix.join(await realpath(entry.layer), clean)) return undefined;
  const file = await open(entry.host, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const stats = await file.stat();
    if (!stats.isFile()) return undefined;
    if (stats.size > maxBytes) {
      throw new ContainerdError(`${what}: ${path} is ${stats.size} bytes, more than the ${maxBytes} bytes read from it`, {
        hint: 'the image carries an unusually large file there; check the image',
      });
    }
    return await file.readFile();
  } finally {
    await file.close();
  }
}
