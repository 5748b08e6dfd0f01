/**
 * Builds one image layer (a tar of files, directories and symlinks) the
 * reproducible way: sorted entries, owner root, a fixed mtime, so the same
 * inputs always give the same diff id and digest and rebuilt images dedupe
 * in containerd's content store.
 */
import { readFile, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import tar from 'tar-stream';
import { sha256 } from './digest.js';

const gzipAsync = promisify(gzip);

/** Every entry gets this mtime: reproducible digests need a constant. */
export const REPRODUCIBLE_MTIME = new Date('2000-01-01T00:00:00Z');

export type LayerEntry =
  | { kind: 'dir'; path: string; mode?: number }
  | { kind: 'file'; path: string; mode?: number; source: string }
  | { kind: 'file'; path: string; mode?: number; content: string | Buffer }
  | { kind: 'symlink'; path: string; target: string };

export interface BuiltLayer {
  /** gzip-compressed tar (the blob). */
  blob: Buffer;
  /** sha256 of the blob. */
  digest: string;
  /** sha256 of the uncompressed tar (rootfs.diff_ids entry). */
  diffId: string;
}

/** "/usr/bin/x", "usr/bin/x/" → "usr/bin/x"; refuses paths escaping the root. */
function cleanPath(path: string): string {
  const clean = posix.normalize(`/${path}`).replace(/^\/+|\/+$/g, '');
  if (clean === '' || clean.startsWith('..')) throw new Error(`layer path "${path}" is not inside the image root`);
  return clean;
}

/** Entries keyed by clean path, with every missing parent directory added (mode 0755). */
function withParents(entries: readonly LayerEntry[]): Map<string, LayerEntry> {
  const byPath = new Map<string, LayerEntry>();
  for (const entry of entries) {
    const path = cleanPath(entry.path);
    const previous = byPath.get(path);
    if (previous && !(previous.kind === 'dir' && entry.kind === 'dir')) {
      throw new Error(`layer has two entries for "${path}"`);
    }
    byPath.set(path, { ...entry, path });
    for (let dir = posix.dirname(path); dir !== '.'; dir = posix.dirname(dir)) {
      if (!byPath.has(dir)) byPath.set(dir, { kind: 'dir', path: dir });
    }
  }
  return byPath;
}

async function fileBody(entry: Extract<LayerEntry, { kind: 'file' }>): Promise<{ body: Buffer; mode: number }> {
  if ('content' in entry) {
    return { body: Buffer.from(entry.content), mode: entry.mode ?? 0o644 };
  }
  const [body, info] = await Promise.all([readFile(entry.source), stat(entry.source)]);
  return { body, mode: entry.mode ?? info.mode & 0o7777 };
}

/** The uncompressed tar of `entries`. */
export async function buildLayerTar(entries: readonly LayerEntry[]): Promise<Buffer> {
  const byPath = withParents(entries);
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (chunk: unknown) => {
    chunks.push(chunk as Buffer);
  });
  const finished = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  const common = { uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: REPRODUCIBLE_MTIME };
  for (const path of [...byPath.keys()].sort()) {
    const entry = byPath.get(path);
    if (!entry) continue;
    if (entry.kind === 'dir') {
      pack.entry({ ...common, name: `${path}/`, type: 'directory', mode: entry.mode ?? 0o755 });
    } else if (entry.kind === 'symlink') {
      pack.entry({ ...common, name: path, type: 'symlink', linkname: entry.target, mode: 0o777 });
    } else {
      const { body, mode } = await fileBody(entry);
      await new Promise<void>((resolve, reject) =>
        pack.entry({ ...common, name: path, type: 'file', mode, size: body.length }, body, (err) => (err ? reject(err) : resolve())),
      );
    }
  }
  pack.finalize();
  await finished;
  return Buffer.concat(chunks);
}

export async function buildLayer(entries: readonly LayerEntry[]): Promise<BuiltLayer> {
  const tarBytes = await buildLayerTar(entries);
  const blob = await gzipAsync(tarBytes, { level: 6 });
  return { blob, digest: sha256(blob), diffId: sha256(tarBytes) };
}
