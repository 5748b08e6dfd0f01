/**
 * A container's or image's root filesystem as seen from the host, without
 * mounting anything: either one merged directory (a running container's
 * /proc/<pid>/root), or a snapshot's overlay layers (upperdir, then lowerdirs,
 * top first), merged here as overlayfs merges them: a whiteout (a 0/0
 * character device, or an AUFS-style `.wh.<name>` file) hides the name in
 * every layer below; an opaque directory (xattr trusted.overlay.opaque or
 * user.overlay.opaque = "y", or a `.wh..wh..opq` file in it) hides the same
 * directory of every layer below; so does anything that is not a directory.
 *
 * Paths resolve here, component by component, against the root
 * (resolveInRoot): a symlink is followed as the container would follow it (an
 * absolute target starts again at the root, ".." stops at it), so it never
 * leads to the host's files; a loop ends after MAX_SYMLINK_HOPS.
 *
 * Reading xattrs needs the addon, which this layer does not load: the caller
 * hands in `readXattr` (lib/native's getXattr).
 */
import type { Stats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { ContainerdError } from '../errors.js';

export const MAX_SYMLINK_HOPS = 40;
export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';
export const OPAQUE_XATTRS = ['trusted.overlay.opaque', 'user.overlay.opaque'] as const;

/** An xattr of a host path (lgetxattr), null when it is not set. */
export type ReadXattr = (path: string, name: string) => Promise<Buffer | null>;

export function isWhiteout(stats: Stats): boolean {
  return stats.isCharacterDevice() && stats.rdev === 0;
}

/** What path resolution needs of an entry: whether it is a symlink, and where to read the link. */
export interface PathEntry {
  host: string;
  stats: Stats;
}

/**
 * Container path of `path` with every symlink followed inside the root (the
 * last component too unless `followLast` is false), looking each component up
 * with `lookup` (a cleaned container path → its entry, not resolved). Missing
 * components are kept as they are (for creating them). `what` names the root in errors.
 */
export async function resolveInRoot(
  path: string,
  lookup: (clean: string) => Promise<PathEntry | undefined>,
  followLast: boolean,
  what: string,
): Promise<string> {
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
    const entry = await lookup(next);
    if (entry?.stats.isSymbolicLink() && (followLast || pending.length > 0)) {
      if (++hops > MAX_SYMLINK_HOPS) throw new ContainerdError(`${what}: too many symlinks resolving ${path}`, { hint: 'the path loops through symlinks' });
      const target = await readlink(entry.host);
      if (target.startsWith('/')) current = '/';
      pending = [...target.split('/').filter((c) => c !== '' && c !== '.'), ...pending];
      continue;
    }
    current = next;
  }
  return current;
}

/** One name of the merged view: the layer it comes from, and (a directory) the layers merged into it, top first. */
export interface MergedEntry extends PathEntry {
  layer: number;
  merged: number[];
}

export class OverlayView {
  /** Whether `layers` are overlay layers whose marks must be applied (a stopped container), or one merged view. */
  protected readonly overlay: boolean;
  /** Layers merged into the root directory (computed once). */
  #root: Promise<number[]> | undefined;
  /** Whether a layer's directory (host path) is opaque, asked once per view. */
  readonly #opaqueDirs = new Map<string, Promise<boolean>>();
  readonly #readXattr: ReadXattr;

  /** `layers`: host directories, top first. */
  constructor(
    readonly layers: readonly string[],
    readonly description: string,
    readXattr: ReadXattr,
    overlay = layers.length > 1,
  ) {
    this.overlay = overlay;
    this.#readXattr = readXattr;
  }

  /** Container path of `path`, every symlink followed inside the root (see resolveInRoot). */
  resolve(path: string, followLast = true): Promise<string> {
    return resolveInRoot(path, (clean) => this.entry(clean), followLast, this.description);
  }

  /** The merged entry of `path` after resolution, or undefined. */
  async stat(path: string): Promise<MergedEntry | undefined> {
    return this.entry(await this.resolve(path));
  }

  /** Names in directory `dir` (a resolved container path) across its merged layers, whiteouts applied. */
  async list(dir: string): Promise<string[]> {
    const entry = await this.entry(dir);
    return entry?.stats.isDirectory() ? [...(await this.children(entry, dir)).keys()].sort() : [];
  }

  /** Remember that `host` (a directory just made in the top layer) is opaque. */
  protected markedOpaque(host: string): void {
    this.#opaqueDirs.set(host, Promise.resolve(true));
  }

  /** The merged view's entry at container path `clean` (no symlink resolution), or undefined. */
  async entry(clean: string): Promise<MergedEntry | undefined> {
    if (!this.overlay) {
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

  /**
   * The entries of directory `dir` (its merged entry: `parent`), read one layer at a time (a
   * readdir each) rather than name by name. A name's directories merge down its layers until
   * one of them is opaque or a lower layer has something else (or a whiteout) there.
   */
  protected async children(parent: MergedEntry, dir: string): Promise<Map<string, MergedEntry>> {
    const found = new Map<string, MergedEntry>();
    /** Names whose lower layers no longer count (deleted, or their merge has ended). */
    const closed = new Set<string>();
    for (const layer of parent.merged) {
      const hostDir = posix.join(this.layers[layer]!, dir);
      const deleted: string[] = [];
      const names = (await readdir(hostDir).catch(() => [] as string[])).filter((name) => {
        if (!this.overlay || !name.startsWith(WHITEOUT_PREFIX)) return !closed.has(name);
        if (name !== OPAQUE_MARKER) deleted.push(name.slice(WHITEOUT_PREFIX.length));
        return false;
      });
      const statsOf = await Promise.all(names.map((name) => lstat(posix.join(hostDir, name)).catch(() => undefined)));
      for (const [i, name] of names.entries()) {
        const host = posix.join(hostDir, name);
        const stats = statsOf[i];
        if (!stats) continue;
        if (this.overlay && isWhiteout(stats)) {
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
      const value = await this.#readXattr(host, name).catch(() => null);
      if (value?.toString() === 'y') return true;
    }
    return (await lstat(posix.join(host, OPAQUE_MARKER)).catch(() => undefined)) !== undefined;
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
}
