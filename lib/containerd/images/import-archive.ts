/**
 * importArchive: loads an OCI image layout or `docker save` tarball into
 * containerd — blobs into the content store, an image record per name, and
 * the layers unpacked into snapshots — all under a temporary lease. Running
 * it again with the same archive changes nothing (present content and
 * snapshots are skipped).
 */
import { stat } from 'node:fs/promises';
import { ContainerdError } from '../../errors.js';
import type { ImageInfo } from '../types.js';
import { scanArchive, streamArchiveEntries } from './archive-reader.js';
import { writeBlob } from './content-writer.js';
import { getImage } from './image-store.js';
import { planImport, type PlanOptions, type PlannedBlob } from './import-plan.js';
import { withImageLease } from './lease.js';
import type { ImagesRpc } from './rpc.js';
import { unpackImage } from './unpack.js';

export type ImportOptions = PlanOptions;

async function writeBlobs(rpc: ImagesRpc, path: string, blobs: PlannedBlob[], lease: string): Promise<void> {
  // Big blobs (layers) stream in one second pass over the archive; documents come
  // last from memory, so a manifest's GC labels only ever point at stored content.
  const streamed = blobs.filter((b) => b.entry !== undefined);
  const missing = new Map<string, PlannedBlob>();
  for (const blob of streamed) {
    const present = await rpc.contentInfo(blob.descriptor.digest);
    if (present) await writeBlob(rpc, { descriptor: blob.descriptor, labels: blob.labels, source: new Uint8Array(0) }, { lease });
    else missing.set(blob.entry ?? '', blob);
  }
  if (missing.size > 0) {
    await streamArchiveEntries(path, new Set(missing.keys()), async (name, chunks) => {
      const blob = missing.get(name);
      if (blob) await writeBlob(rpc, { descriptor: blob.descriptor, labels: blob.labels, source: chunks }, { lease });
    });
  }
  for (const blob of blobs) {
    if (blob.data) await writeBlob(rpc, { descriptor: blob.descriptor, labels: blob.labels, source: blob.data }, { lease });
  }
}

export async function importArchive(rpc: ImagesRpc, path: string, options: ImportOptions = {}): Promise<ImageInfo[]> {
  try {
    await stat(path);
  } catch (err) {
    throw new ContainerdError(`import ${path}: cannot read the archive (${(err as NodeJS.ErrnoException).code ?? String(err)})`, {
      hint: 'build the test images with `npx tsx scripts/build-images.ts`, or give the path of an OCI/docker-archive tarball',
    });
  }
  const scan = await scanArchive(path);
  const plan = planImport(path, scan, options);
  return withImageLease(rpc, `import ${path}`, async (lease) => {
    await writeBlobs(rpc, path, plan.blobs, lease);
    const out: ImageInfo[] = [];
    for (const image of plan.images) {
      await rpc.imagePut({ name: image.name, target: image.target, labels: {} });
      await unpackImage(
        rpc,
        {
          imageName: image.name,
          configDigest: image.manifest.config.digest,
          layers: image.manifest.layers,
          diffIds: image.config.rootfs?.diff_ids ?? [],
        },
        { lease },
      );
      const info = await getImage(rpc, image.name);
      if (!info) throw new ContainerdError(`import ${path}: image ${image.name} is not readable after import`, { hint: 'check containerd’s log' });
      out.push(info);
    }
    return out;
  });
}
