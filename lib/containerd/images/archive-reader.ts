/**
 * Reads image archives (OCI image layout or `docker save` tarballs, plain or
 * gzip-compressed) in two sequential passes over the file, never extracting
 * to disk: `scanArchive` hashes every entry and keeps the small ones (index,
 * manifests, configs) in memory; `streamArchiveEntries` later hands the big
 * ones (layers) to a consumer as streams.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';

/** Entries up to this size are kept in memory by the scan (JSON documents are far smaller). */
export const MAX_BUFFERED_ENTRY = 4 * 1024 * 1024;

export interface ScannedEntry {
  name: string;
  size: number;
  digest: string;
  /** Starts with the gzip magic bytes (a compressed layer). */
  gzip: boolean;
  /** Contents, when size ≤ MAX_BUFFERED_ENTRY. */
  data: Buffer | undefined;
}

export interface ArchiveScan {
  /** Regular files by clean name; hard and symbolic links resolved to their target's entry. */
  entries: Map<string, ScannedEntry>;
}

function cleanName(name: string): string {
  return posix.normalize(name).replace(/^(\.\/)+|^\/+/, '').replace(/\/+$/, '');
}

async function isGzipFile(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

async function openTar(path: string): Promise<Readable[]> {
  const file = createReadStream(path, { highWaterMark: 1024 * 1024 });
  return (await isGzipFile(path)) ? [file, createGunzip()] : [file];
}

/** Iterates the archive's entries; `onEntry` must consume (or drain) the stream before resolving. */
async function walk(path: string, onEntry: (header: tar.Header, chunks: AsyncIterable<Buffer>) => Promise<void>): Promise<void> {
  const extract = tar.extract();
  const sources = await openTar(path);
  const feeding = pipeline([...sources, extract] as unknown as [Readable, NodeJS.WritableStream]);
  const consuming = (async () => {
    try {
      for await (const entry of extract) {
        await onEntry(entry.header, entry as AsyncIterable<Buffer>);
        entry.resume(); // drain whatever the consumer left
      }
    } catch (err) {
      extract.destroy(err as Error); // stops reading the file too
      throw err;
    }
  })();
  await Promise.all([feeding, consuming]);
}

export async function scanArchive(path: string): Promise<ArchiveScan> {
  const entries = new Map<string, ScannedEntry>();
  const links: Array<{ name: string; target: string }> = [];
  await walk(path, async (header, stream) => {
    const name = cleanName(header.name);
    if ((header.type === 'symlink' || header.type === 'link') && header.linkname) {
      const target = header.type === 'symlink' ? posix.join(posix.dirname(name), header.linkname) : header.linkname;
      links.push({ name, target: cleanName(target) });
      return;
    }
    if (header.type !== 'file' && header.type !== 'contiguous-file') return;
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let size = 0;
    let head: Buffer | undefined;
    for await (const chunk of stream) {
      hash.update(chunk);
      head ??= chunk;
      size += chunk.length;
      if (size <= MAX_BUFFERED_ENTRY) chunks.push(chunk);
    }
    entries.set(name, {
      name,
      size,
      digest: `sha256:${hash.digest('hex')}`,
      gzip: head !== undefined && head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b,
      data: size <= MAX_BUFFERED_ENTRY ? Buffer.concat(chunks) : undefined,
    });
  });
  // Links may point at links (docker save reuses layers across images); resolve a few levels deep.
  for (let round = 0; round < 8; round++) {
    for (const { name, target } of links) {
      const resolved = entries.get(target);
      if (resolved && !entries.has(name)) entries.set(name, { ...resolved, name });
    }
  }
  return { entries };
}

/**
 * Second pass: calls `consume` with the stream of each entry named in
 * `wanted` (matching by name; links were resolved by the scan, so pass the
 * resolved names). Entries are visited in archive order.
 */
export async function streamArchiveEntries(
  path: string,
  wanted: ReadonlySet<string>,
  consume: (name: string, chunks: AsyncIterable<Buffer>) => Promise<void>,
): Promise<void> {
  const pending = new Set(wanted);
  await walk(path, async (header, stream) => {
    const name = cleanName(header.name);
    if (!pending.has(name) || (header.type !== 'file' && header.type !== 'contiguous-file')) return;
    pending.delete(name);
    await consume(name, stream);
  });
  if (pending.size > 0) throw new Error(`archive ${path} changed while importing: ${[...pending].join(', ')} missing`);
}
