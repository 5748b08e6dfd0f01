/**
 * Writes one blob into containerd's content store (Content.Write: stat,
 * write chunks, commit with the expected digest and size). The digest is
 * also verified here while streaming, so a corrupt download fails with a
 * message naming the blob instead of containerd's generic precondition error.
 * Content that is already present is not written again (labels are merged).
 */
import { createHash, randomBytes } from 'node:crypto';
import { ContainerdError } from '../../errors.js';
import type { Descriptor } from './media-types.js';
import type { CallOptions, ImagesRpc } from './rpc.js';

/** containerd's gRPC server accepts 16 MiB messages; 1 MiB chunks keep memory flat and progress smooth. */
const CHUNK = 1024 * 1024;

export interface WriteBlobInput {
  descriptor: Descriptor;
  labels: Record<string, string>;
  /** The bytes, whole or as a stream of chunks. */
  source: Uint8Array | AsyncIterable<Uint8Array>;
  /** Called with the byte count of each chunk stored (for progress). */
  onBytes?: (n: number) => void;
}

function isAlreadyExists(err: unknown): boolean {
  return (err as { grpcCode?: string }).grpcCode === 'ALREADY_EXISTS' || (err as { code?: unknown }).code === 6;
}

async function* chunksOf(source: Uint8Array | AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  if (source instanceof Uint8Array) {
    for (let i = 0; i < source.length; i += CHUNK) yield source.subarray(i, i + CHUNK);
    return;
  }
  for await (const piece of source) {
    for (let i = 0; i < piece.length; i += CHUNK) yield piece.subarray(i, i + CHUNK);
  }
}

/** Adds labels to present content when some are missing (an earlier import may predate them). */
async function mergeLabels(rpc: ImagesRpc, digest: string, have: Record<string, string>, want: Record<string, string>): Promise<void> {
  const missing = Object.entries(want).filter(([k, v]) => have[k] !== v);
  if (missing.length > 0) await rpc.contentSetLabels(digest, Object.fromEntries(missing));
}

/** Stores the blob; resolves 'exists' when containerd already had it (nothing was sent). */
export async function writeBlob(rpc: ImagesRpc, input: WriteBlobInput, options: CallOptions = {}): Promise<'written' | 'exists'> {
  const { descriptor: d } = input;
  const present = await rpc.contentInfo(d.digest);
  if (present) {
    await mergeLabels(rpc, d.digest, present.labels, input.labels);
    if (options.lease) await rpc.leaseAddResource(options.lease, { id: d.digest, type: 'content' });
    return 'exists';
  }
  // A unique ref per attempt: a crashed earlier attempt can never hand us a half-written ingest.
  const ref = `pakostii-${d.digest}-${randomBytes(4).toString('hex')}`;
  const stream = rpc.contentWrite(options);
  let committed = false;
  try {
    try {
      await stream.stat(ref, d.size, d.digest);
    } catch (err) {
      if (isAlreadyExists(err)) return 'exists'; // written by someone else since our Info
      throw err;
    }
    const hash = createHash('sha256');
    let offset = 0;
    for await (const chunk of chunksOf(input.source)) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (offset + chunk.length > d.size) throw sizeMismatch(d, offset + chunk.length);
      hash.update(chunk);
      await stream.write(ref, offset, chunk);
      offset += chunk.length;
      input.onBytes?.(chunk.length);
    }
    if (offset !== d.size) throw sizeMismatch(d, offset);
    const actual = `sha256:${hash.digest('hex')}`;
    if (d.digest.startsWith('sha256:') && actual !== d.digest) {
      throw new ContainerdError(`blob ${d.digest} (${d.mediaType}) arrived with digest ${actual}`, {
        hint: 'the source is corrupt or was changed in transit; retry, and check the archive or registry',
      });
    }
    try {
      await stream.commit(ref, d.size, offset, d.digest, input.labels);
    } catch (err) {
      if (isAlreadyExists(err)) return 'exists';
      throw err;
    }
    committed = true;
    return 'written';
  } finally {
    stream.close(!committed);
    if (!committed) await rpc.contentAbort(ref).catch(() => undefined);
  }
}

function sizeMismatch(d: Descriptor, got: number): ContainerdError {
  return new ContainerdError(`blob ${d.digest} (${d.mediaType}) is ${got > d.size ? 'larger' : 'smaller'} than the ${d.size} bytes its descriptor says (got ${got})`, {
    hint: 'the source is corrupt or truncated; retry, and check the archive or registry',
  });
}
