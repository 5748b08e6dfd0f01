/**
 * Files in and out of a container's root filesystem, read and written from the
 * host without a child process and without mounting anything:
 *
 * - a running (or paused) container is reached through /proc/<pid>/root of its
 *   init process: the container's own view, its bind mounts included;
 * - a stopped one through its snapshot's directories (overlay upperdir, then
 *   lowerdirs, top first), merged here as overlayfs merges them: a whiteout
 *   (a 0/0 character device, or an AUFS-style `.wh.<name>` file) hides the name
 *   in every layer below; an opaque directory (xattr trusted.overlay.opaque or
 *   user.overlay.opaque = "y", or a `.wh..wh..opq` file in it) hides the same
 *   directory of every layer below; so does anything that is not a directory.
 *   Writes go to the upperdir, which no mounted overlay is using then; a
 *   directory made there in place of a whiteout is marked opaque, so what was
 *   deleted stays deleted.
 *
 * Paths are resolved here, component by component, against the container's
 * root: a symlink inside the container is followed as the container would
 * follow it (an absolute target starts again at the container's root, ".."
 * stops at it) and never leads to the host's files.
 */
import { constants, type Stats } from 'node:fs';
import { lstat, mkdir, open, readdir, readFile, readlink, symlink, unlink } from 'node:fs/promises';
import { posix } from 'node:path';
import tar from 'tar-stream';
import type { RootfsLocation } from '../containerd/index.js';
import { ContainerdError } from '../errors.js';
import { getXattr, setXattr } from '../native/index.js';

const MAX_SYMLINK_HOPS = 40;
const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';
const OPAQUE_XATTRS = ['trusted.overlay.opaque', 'user.overlay.opaque'];

function isWhiteout(stats: Stats): boolean {
  return stats.isCharacterDevice() && stats.rdev === 0;
}

/** One name of the merged view: the layer it comes from, and (a directory) the layers merged into it, top first. */
interface MergedEntry {
  host: string;
  stats: Stats;
  layer: number;
  merged: number[];
}

export class RootfsView {
  /** Whether `layers` are overlay layers whose marks must be applied (a stopped container), or one merged view. */
  readonly #overlay: boolean;
  /** Layers merged into the root directory (computed once). */
  #root: Promise<number[]> | undefined;
  /** Whether a layer's directory (host path) is opaque, asked once per view. */
  readonly #opaqueDirs = new Map<string, Promise<boolean>>();

  /** `layers`: host directories, top first; writes go to `layers[0]`. */
  constructor(
    readonly layers: readonly string[],
    readonly description: string,
    overlay = layers.length > 1,
  ) {
    this.#overlay = overlay;
  }

  static of(location: RootfsLocation): RootfsView {
    return new RootfsView(location.layers, location.description, location.state === 'stopped');
  }

  async #lstat(layer: number, path: string): Promise<Stats | undefined> {
    return lstat(posix.join(this.layers[layer]!, path)).catch(() => undefined);
  }

  /** Whether layer `layer` deletes `name` of directory `dir` (a 0/0 device, or a `.wh.<name>` file). */
  async #whitedOut(layer: number, dir: string, name: string, stats: Stats | undefined): Promise<boolean> {
    if (stats && isWhiteout(stats)) return true;
    return (await this.#lstat(layer, posix.join(dir, WHITEOUT_PREFIX + name))) !== undefined;
  }

  /** Whether directory `dir` of layer `layer` hides the same directory of the layers below. */
  #opaque(layer: number, dir: string): Promise<boolean> {
    const host = posix.join(this.layers[layer]!, dir);
    let known = this.#opaqueDirs.get(host);
    if (!known) this.#opaqueDirs.set(host, (known = this.#readOpaque(host)));
    return known;
  }

  async #readOpaque(host: string): Promise<boolean> {
    for (const name of OPAQUE_XATTRS) {
      const value = await getXattr(host, name).catch(() => null);
      if (value?.toString() === 'y') return true;
    }
    return (await lstat(posix.join(host, OPAQUE_MARKER)).catch(() => undefined)) !== undefined;
  }

  /** The merged view's entry at container path `clean` (no symlink resolution), or undefined. */
  async #entry(clean: string): Promise<MergedEntry | undefined> {
    if (!this.#overlay) {
      const host = posix.join(this.layers[0]!, clean);
      const stats = await lstat(host).catch(() => undefined);
      return stats ? { host, stats, layer: 0, merged: [0] } : undefined;
    }
    let dir = '/';
    let merged = await (this.#root ??= this.#rootLayers());
    let entry: MergedEntry = { host: this.layers[0]!, stats: await lstat(this.layers[0]!), layer: 0, merged };
    for (const name of clean.split('/').filter(Boolean)) {
      if (!entry.stats.isDirectory()) return undefined;
      const found = await this.#child(merged, dir, name);
      if (!found) return undefined;
      entry = found;
      merged = found.merged;
      dir = posix.join(dir, name);
    }
    return entry;
  }

  async #rootLayers(): Promise<number[]> {
    const merged: number[] = [];
    for (const layer of this.layers.keys()) {
      merged.push(layer);
      if (await this.#opaque(layer, '/')) break;
    }
    return merged;
  }

  /** `name` in directory `dir`, whose layers are `layers` (top first). */
  async #child(layers: readonly number[], dir: string, name: string): Promise<MergedEntry | undefined> {
    const path = posix.join(dir, name);
    let found: MergedEntry | undefined;
    for (const layer of layers) {
      const stats = await this.#lstat(layer, path);
      if (await this.#whitedOut(layer, dir, name, stats)) break;
      if (!stats) continue;
      if (!found) found = { host: posix.join(this.layers[layer]!, path), stats, layer, merged: [] };
      if (!stats.isDirectory() || !found.stats.isDirectory()) break;
      found.merged.push(layer);
      if (await this.#opaque(layer, path)) break;
    }
    return found;
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

  async stat(path: string): Promise<{ host: string; stats: Stats } | undefined> {
    return this.#entry(await this.resolve(path));
  }

  /** Names in directory `dir` (a resolved container path) across its merged layers, whiteouts applied. */
  async list(dir: string): Promise<string[]> {
    const entry = await this.#entry(dir);
    return entry?.stats.isDirectory() ? [...(await this.#children(entry, dir)).keys()].sort() : [];
  }

  /**
   * The entries of directory `dir` (its merged entry: `parent`), read one layer at a time (a
   * readdir each) rather than name by name. A name's directories merge down its layers until
   * one of them is opaque or a lower layer has something else (or a whiteout) there.
   */
  async #children(parent: MergedEntry, dir: string): Promise<Map<string, MergedEntry>> {
    const found = new Map<string, MergedEntry>();
    /** Names whose lower layers no longer count (deleted, or their merge has ended). */
    const closed = new Set<string>();
    for (const layer of parent.merged) {
      const hostDir = posix.join(this.layers[layer]!, dir);
      const deleted: string[] = [];
      const names = (await readdir(hostDir).catch(() => [] as string[])).filter((name) => {
        if (!this.#overlay || !name.startsWith(WHITEOUT_PREFIX)) return !closed.has(name);
        if (name !== OPAQUE_MARKER) deleted.push(name.slice(WHITEOUT_PREFIX.length));
        return false;
      });
      const statsOf = await Promise.all(names.map((name) => lstat(posix.join(hostDir, name)).catch(() => undefined)));
      for (const [i, name] of names.entries()) {
        const host = posix.join(hostDir, name);
        const stats = statsOf[i];
        if (!stats) continue;
        if (this.#overlay && isWhiteout(stats)) {
          deleted.push(name);
          continue;
        }
        const above = found.get(name);
        if (!above) {
          found.set(name, { host, stats, layer, merged: stats.isDirectory() ? [layer] : [] });
          if (!stats.isDirectory()) closed.add(name);
        } else if (!stats.isDirectory() || (await this.#opaque(above.merged.at(-1)!, posix.join(dir, name)))) {
          // Opaque marks are read only for a directory that a lower layer has too: a lone one costs no xattr read.
          closed.add(name);
        } else {
          above.merged.push(layer);
        }
      }
      for (const name of deleted) closed.add(name);
    }
    return new Map([...found.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
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
    const add = async (entry: MergedEntry, containerPath: string, name: string): Promise<void> => {
      const { stats, host } = entry;
      const header = { name, mode: stats.mode & 0o7777, uid: stats.uid, gid: stats.gid, mtime: stats.mtime };
      if (stats.isDirectory()) {
        pack.entry({ ...header, type: 'directory' });
        for (const [child, childEntry] of await this.#children(entry, containerPath)) await add(childEntry, posix.join(containerPath, child), `${name}/${child}`);
      } else if (stats.isSymbolicLink()) {
        pack.entry({ ...header, type: 'symlink', linkname: await readlink(host) });
      } else if (stats.isFile()) {
        const body = await readFile(host);
        await new Promise<void>((resolve, reject) => pack.entry({ ...header, type: 'file', size: body.length }, body, (e) => (e ? reject(e) : resolve())));
      }
    };
    await add(top, resolved, posix.basename(resolved) || 'root');
    pack.finalize();
    await done;
    return Buffer.concat(chunks);
  }

  /**
   * Host path in the top layer for container path `resolved`, creating missing parent directories
   * there (modes copied from the merged view). A directory made in place of a whiteout is opaque:
   * what the container deleted stays deleted.
   */
  async #prepareParent(resolved: string): Promise<string> {
    const parts = posix.dirname(resolved).split('/').filter(Boolean);
    let current = '/';
    for (const part of parts) {
      current = posix.join(current, part);
      const seen = await this.#entry(current);
      if (seen && !seen.stats.isDirectory()) throw new ContainerdError(`${this.description}: ${current} is not a directory`, { hint: 'copy to a directory path' });
      const inTop = posix.join(this.layers[0]!, current);
      const stats = await lstat(inTop).catch(() => undefined);
      if (stats?.isDirectory()) continue;
      const replacesWhiteout = stats !== undefined && isWhiteout(stats);
      if (stats && !replacesWhiteout) throw new ContainerdError(`${this.description}: ${current} is not a directory`, { hint: 'copy to a directory path' });
      if (replacesWhiteout) await unlink(inTop);
      await mkdir(inTop, { mode: seen ? seen.stats.mode & 0o7777 : 0o755 });
      if (replacesWhiteout && this.#overlay) {
        await setXattr(inTop, OPAQUE_XATTRS[0]!, 'y');
        this.#opaqueDirs.set(inTop, Promise.resolve(true));
      }
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
