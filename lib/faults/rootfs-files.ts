/**
 * Files in and out of a container's root filesystem, read and written from the
 * host without a child process and without mounting anything: a running (or
 * paused) container through /proc/<pid>/root of its init process (its own view,
 * bind mounts included), a stopped one through its snapshot's layers, merged as
 * overlayfs merges them (lib/containerd/overlay-view.ts, which also resolves
 * paths inside the container's root). Writes go to the upperdir, which no
 * mounted overlay is using then; a directory made there in place of a whiteout
 * is marked opaque, so what was deleted stays deleted.
 */
import { constants } from 'node:fs';
import { lstat, mkdir, open, readFile, readlink, symlink, unlink } from 'node:fs/promises';
import { posix } from 'node:path';
import tar from 'tar-stream';
import type { RootfsLocation } from '../containerd/index.js';
import { isWhiteout, OPAQUE_XATTRS, OverlayView, type MergedEntry } from '../containerd/overlay-view.js';
import { ContainerdError } from '../errors.js';
import { getXattr, setXattr } from '../native/index.js';

export class RootfsView extends OverlayView {
  /** `layers`: host directories, top first; writes go to `layers[0]`. */
  constructor(layers: readonly string[], description: string, overlay = layers.length > 1) {
    super(layers, description, getXattr, overlay);
  }

  static of(location: RootfsLocation): RootfsView {
    return new RootfsView(location.layers, location.description, location.state === 'stopped');
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
    const top = await this.entry(resolved);
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
        for (const [child, childEntry] of await this.children(entry, containerPath)) await add(childEntry, posix.join(containerPath, child), `${name}/${child}`);
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
      const seen = await this.entry(current);
      if (seen && !seen.stats.isDirectory()) throw new ContainerdError(`${this.description}: ${current} is not a directory`, { hint: 'copy to a directory path' });
      const inTop = posix.join(this.layers[0]!, current);
      const stats = await lstat(inTop).catch(() => undefined);
      if (stats?.isDirectory()) continue;
      const replacesWhiteout = stats !== undefined && isWhiteout(stats);
      if (stats && !replacesWhiteout) throw new ContainerdError(`${this.description}: ${current} is not a directory`, { hint: 'copy to a directory path' });
      if (replacesWhiteout) await unlink(inTop);
      await mkdir(inTop, { mode: seen ? seen.stats.mode & 0o7777 : 0o755 });
      if (replacesWhiteout && this.overlay) {
        await setXattr(inTop, OPAQUE_XATTRS[0], 'y');
        this.markedOpaque(inTop);
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
