/**
 * Files in and out of a container's root filesystem, read and written from the
 * host without a child process and without mounting anything:
 *
 * - a running (or paused) container is reached through /proc/<pid>/root of its
 *   init process: the container's own view, its bind mounts included;
 * - a stopped one through its snapshot's directories (overlay upperdir, then
 *   lowerdirs, top first; a whiteout in a higher layer hides what is below).
 *   Writes go to the upperdir, which no mounted overlay is using then.
 *
 * Paths are resolved here, component by component, against the container's
 * root: a symlink inside the container is followed as the container would
 * follow it (an absolute target starts again at the container's root, ".."
 * stops at it) and never leads to the host's files. Known limit: overlay
 * "opaque" directories (a directory deleted and re-created in a stopped
 * container) are not detected, so entries of lower layers show through them.
 */
import { constants, type Stats } from 'node:fs';
import { lstat, mkdir, open, readdir, readFile, readlink, realpath, symlink, unlink } from 'node:fs/promises';
import { posix } from 'node:path';
import tar from 'tar-stream';
import { ContainerdError } from '../errors.js';

const MAX_SYMLINK_HOPS = 40;

function isWhiteout(stats: Stats): boolean {
  return stats.isCharacterDevice() && stats.rdev === 0;
}

export class RootfsView {
  /** `layers`: host directories, top first; writes go to `layers[0]`. */
  constructor(
    readonly layers: readonly string[],
    readonly description: string,
  ) {}

  /** The top-most layer's entry at container path `clean` (no symlink resolution), or undefined. */
  async #entry(clean: string): Promise<{ host: string; stats: Stats; layer: number } | undefined> {
    for (const [layer, dir] of this.layers.entries()) {
      const host = posix.join(dir, clean);
      const stats = await lstat(host).catch(() => undefined);
      if (!stats) continue;
      if (isWhiteout(stats)) return undefined;
      return { host, stats, layer };
    }
    return undefined;
  }

  /**
   * Container path of `path` with every symlink followed inside the root
   * (the last component too unless `followLast` is false). Missing components
   * are kept as they are (for creating them).
   */
  async resolve(path: string, followLast = true): Promise<string> {
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
      const entry = await this.#entry(next);
      if (entry?.stats.isSymbolicLink() && (followLast || pending.length > 0)) {
        if (++hops > MAX_SYMLINK_HOPS) throw new ContainerdError(`${this.description}: too many symlinks resolving ${path}`, { hint: 'the path loops through symlinks' });
        const target = await readlink(entry.host);
        if (target.startsWith('/')) current = '/';
        pending = [...target.split('/').filter((c) => c !== '' && c !== '.'), ...pending];
        continue;
      }
      current = next;
    }
    return current;
  }

  async stat(path: string): Promise<{ host: string; stats: Stats; layer: number; clean: string } | undefined> {
    const clean = await this.resolve(path);
    const entry = await this.#entry(clean);
    return entry && { ...entry, clean };
  }

  /** Names in directory `dir` (a resolved container path) across layers, whiteouts applied. */
  async list(dir: string): Promise<string[]> {
    const names = new Set<string>();
    const hidden = new Set<string>();
    for (const layer of this.layers) {
      const entries = await readdir(posix.join(layer, dir), { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        if (names.has(e.name) || hidden.has(e.name)) continue;
        if (e.isCharacterDevice() && isWhiteout(await lstat(posix.join(layer, dir, e.name)))) hidden.add(e.name);
        else names.add(e.name);
      }
    }
    return [...names].sort();
  }

  /**
   * A small regular file of the image, or undefined when `path` is missing or
   * not a regular file (a device, a fifo, a directory): what the image says,
   * never what the host has. Resolved inside the root; the host path is opened
   * without following a symlink anywhere on it; larger than `maxBytes` is an error.
   */
  async readRegularFile(path: string, maxBytes: number): Promise<Buffer | undefined> {
    const found = await this.stat(path);
    if (!found?.stats.isFile()) return undefined;
    // A lower layer's entry is reached through that layer's own directories: none of them may be a symlink.
    if ((await realpath(found.host)) !== posix.join(await realpath(this.layers[found.layer]!), found.clean)) return undefined;
    const file = await open(found.host, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const stats = await file.stat();
      if (!stats.isFile()) return undefined;
      if (stats.size > maxBytes) {
        throw new ContainerdError(`${this.description}: ${path} is ${stats.size} bytes, more than the ${maxBytes} bytes read from it`, {
          hint: 'the image carries an unusually large file there; check the image',
        });
      }
      return await file.readFile();
    } finally {
      await file.close();
    }
  }

  async readFile(path: string): Promise<Buffer> {
    const found = await this.stat(path);
    if (!found) throw notFound(this.description, path);
    if (!found.stats.isFile()) throw new ContainerdError(`${this.description}: ${path} is not a regular file`, { hint: 'use copyFrom() for a directory (a tar archive)' });
    return readFile(found.host);
  }

  /** A tar archive of `path` (a file or a directory, recursively; symlinks stored as symlinks), named by its basename. */
  async packTar(path: string): Promise<Buffer> {
    const resolved = await this.resolve(path);
    const top = await this.#entry(resolved);
    if (!top) throw notFound(this.description, path);
    const pack = tar.pack();
    const chunks: Buffer[] = [];
    pack.on('data', (chunk: unknown) => {
      chunks.push(chunk as Buffer);
    });
    const done = new Promise<void>((resolve, reject) => {
      pack.on('end', resolve);
      pack.on('error', reject);
    });
    const add = async (containerPath: string, name: string): Promise<void> => {
      const entry = await this.#entry(containerPath);
      if (!entry) return;
      const { stats, host } = entry;
      const header = { name, mode: stats.mode & 0o7777, uid: stats.uid, gid: stats.gid, mtime: stats.mtime };
      if (stats.isDirectory()) {
        pack.entry({ ...header, type: 'directory' });
        for (const child of await this.list(containerPath)) await add(posix.join(containerPath, child), `${name}/${child}`);
      } else if (stats.isSymbolicLink()) {
        pack.entry({ ...header, type: 'symlink', linkname: await readlink(host) });
      } else if (stats.isFile()) {
        const body = await readFile(host);
        await new Promise<void>((resolve, reject) => pack.entry({ ...header, type: 'file', size: body.length }, body, (e) => (e ? reject(e) : resolve())));
      }
    };
    await add(resolved, posix.basename(resolved) || 'root');
    pack.finalize();
    await done;
    return Buffer.concat(chunks);
  }

  /** Host path in the top layer for container path `resolved`, creating missing parent directories there (copying modes from lower layers). */
  async #prepareParent(resolved: string): Promise<string> {
    const parent = posix.dirname(resolved);
    const parts = parent.split('/').filter(Boolean);
    let current = '/';
    for (const part of parts) {
      current = posix.join(current, part);
      const inTop = posix.join(this.layers[0]!, current);
      const stats = await lstat(inTop).catch(() => undefined);
      if (stats?.isDirectory()) continue;
      if (stats) {
        if (!isWhiteout(stats)) throw new ContainerdError(`${this.description}: ${current} is not a directory`, { hint: 'copy to a directory path' });
        await unlink(inTop);
      }
      const below = await this.#entry(current);
      await mkdir(inTop, { mode: below?.stats.isDirectory() ? below.stats.mode & 0o7777 : 0o755 });
    }
    return posix.join(this.layers[0]!, resolved);
  }

  /** Write `data` to `path` (created or replaced; never through a symlink at the last component). */
  async writeFile(path: string, data: Uint8Array, mode = 0o644, owner?: { uid: number; gid: number }): Promise<void> {
    const resolved = await this.resolve(path);
    const host = await this.#prepareParent(resolved);
    const existing = await lstat(host).catch(() => undefined);
    if (existing && (existing.isSymbolicLink() || isWhiteout(existing))) await unlink(host);
    const file = await open(host, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, mode);
    try {
      await file.writeFile(data);
      await file.chmod(mode);
      if (owner) await file.chown(owner.uid, owner.gid);
    } finally {
      await file.close();
    }
  }

  /** Unpack a tar archive into directory `dir` (entries may not climb out of it). */
  async extractTar(dir: string, archive: Uint8Array): Promise<void> {
    const base = await this.resolve(dir);
    const extract = tar.extract();
    const done = new Promise<void>((resolve, reject) => {
      extract.on('finish', resolve);
      extract.on('error', reject);
    });
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => {
        chunks.push(c as Buffer);
      });
      stream.on('end', () => {
        const target = posix.join(base, posix.normalize(`/${header.name}`));
        const owner = { uid: header.uid ?? 0, gid: header.gid ?? 0 };
        const mode = header.mode ?? (header.type === 'directory' ? 0o755 : 0o644);
        const write = async (): Promise<void> => {
          if (header.type === 'directory') {
            const host = await this.#prepareParent(posix.join(target, '.keep'));
            const dirHost = posix.dirname(host);
            await (await open(dirHost, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW)).close();
          } else if (header.type === 'symlink' && header.linkname) {
            const resolved = await this.resolve(target, false);
            const host = await this.#prepareParent(resolved);
            await unlink(host).catch(() => undefined);
            await symlink(header.linkname, host);
          } else if (header.type === 'file') {
            await this.writeFile(target, Buffer.concat(chunks), mode, owner);
          }
        };
        write().then(() => next(), (e: unknown) => next(e as Error));
      });
      stream.resume();
    });
    extract.end(archive);
    await done;
  }
}

function notFound(description: string, path: string): ContainerdError {
  return new ContainerdError(`${description}: no such file or directory: ${path}`, { hint: 'paths are inside the container, e.g. /data/dump.rdb' });
}
