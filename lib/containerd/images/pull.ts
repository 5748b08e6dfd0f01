/**
 * pullImage: fetches an image from its registry (distribution v2 API) into
 * containerd and unpacks it. The tag is always resolved again (tags move);
 * blobs already in the content store are not downloaded. Multi-platform
 * images keep their index as the image target, like `ctr pull` does, with
 * only this machine's platform fetched.
 */
import { ContainerdError } from '../../errors.js';
import type { ImageInfo, PullProgress } from '../types.js';
import { writeBlob } from './content-writer.js';
import { getImage } from './image-store.js';
import { withImageLease } from './lease.js';
import { isIndex, isManifest, Labels, type Descriptor, type ImageConfigFile, type ImageIndex, type ImageManifest } from './media-types.js';
import { formatPlatform, hostPlatform, selectPlatformManifest } from './platform.js';
import { PullProgressTracker } from './progress.js';
import { parseReference, registryHost, type ImageReference } from './reference.js';
import { RegistryClient, RegistryError, type FetchedManifest } from './registry-client.js';
import type { ImagesRpc } from './rpc.js';
import { unpackImage } from './unpack.js';

export interface PullOptions {
  onProgress?: (p: PullProgress) => void;
  signal?: AbortSignal;
  /** Registries (host[:port]) to reach over plain HTTP besides loopback ones and $PAKOSTII_INSECURE_REGISTRIES. */
  insecureRegistries?: readonly string[];
  /** Parallel blob downloads. */
  concurrency?: number;
}

export function pullHint(ref: ImageReference): string {
  return (
    `check the image name and tag, and that this machine can reach ${registryHost(ref)} (proxy, DNS, firewall). ` +
    'Without network access, import a local archive instead: `pakostii images import <file.tar>` ' +
    '(pakostii’s own test images: `npx tsx scripts/build-images.ts --import`)'
  );
}

function pullError(ref: ImageReference, err: unknown): unknown {
  if (err instanceof RegistryError) return new ContainerdError(`pull ${ref.name}: ${err.message}`, { cause: err, hint: pullHint(ref) });
  if (err instanceof ContainerdError && !err.message.startsWith(`pull ${ref.name}`)) {
    return new ContainerdError(`pull ${ref.name}: ${err.message}`, { cause: err, hint: err.hint ?? pullHint(ref), ...(err.grpcCode ? { grpcCode: err.grpcCode } : {}) });
  }
  return err;
}

function parseDocument<T>(ref: ImageReference, m: FetchedManifest): T {
  try {
    return JSON.parse(m.bytes.toString('utf8')) as T;
  } catch (error) {
    // The digest matched, so the registry stores a broken document: retrying will not help.
    throw new ContainerdError(`pull ${ref.name}: the registry's manifest ${m.digest} is not valid JSON`, {
      cause: error,
      hint: 'push the image again; the stored manifest is corrupt',
    });
  }
}

async function resolvePlatformManifest(
  ref: ImageReference,
  registry: RegistryClient,
  top: FetchedManifest,
): Promise<{ manifest: FetchedManifest; indexes: Array<{ doc: FetchedManifest; chosen: string }> }> {
  const indexes: Array<{ doc: FetchedManifest; chosen: string }> = [];
  let current = top;
  for (let depth = 0; isIndex(current.mediaType); depth++) {
    const index = parseDocument<ImageIndex>(ref, current);
    const chosen = selectPlatformManifest(index.manifests ?? []);
    if (!chosen || depth > 3) {
      const available = (index.manifests ?? []).flatMap((d) => (d.platform ? [formatPlatform(d.platform)] : [])).join(', ');
      throw new ContainerdError(`pull ${ref.name}: no image for ${formatPlatform(hostPlatform())} (available: ${available || 'none'})`, {
        hint: 'use an image built for this machine’s architecture',
      });
    }
    indexes.push({ doc: current, chosen: chosen.digest });
    current = await registry.getManifest(chosen.digest);
  }
  if (!isManifest(current.mediaType)) {
    throw new ContainerdError(`pull ${ref.name}: unsupported manifest type "${current.mediaType}"`, {
      hint: 'pakostii reads OCI and Docker schema 2 images; schema 1 images must be converted (e.g. re-pushed with a current docker)',
    });
  }
  return { manifest: current, indexes };
}

/** Runs `jobs` with at most `limit` in flight; the first failure rejects (others finish). */
async function runLimited(jobs: Array<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async () => {
    while (next < jobs.length && errors.length === 0) {
      const job = jobs[next++];
      if (job) await job().catch((err: unknown) => void errors.push(err));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  if (errors.length > 0) throw errors[0];
}

export async function pullImage(rpc: ImagesRpc, refString: string, options: PullOptions = {}): Promise<ImageInfo> {
  const ref = parseReference(refString);
  const registry = new RegistryClient(ref, { ...(options.signal ? { signal: options.signal } : {}), ...(options.insecureRegistries ? { insecureRegistries: options.insecureRegistries } : {}) });
  const source = { [Labels.distributionSource(ref.domain)]: ref.path };
  try {
    const top = await registry.getManifest();
    const { manifest: manifestDoc, indexes } = await resolvePlatformManifest(ref, registry, top);
    const manifest = parseDocument<ImageManifest>(ref, manifestDoc);
    const blobs: Descriptor[] = [manifest.config, ...manifest.layers];
    const present = await Promise.all(blobs.map(async (d) => (await rpc.contentInfo(d.digest)) !== undefined));
    const progress = new PullProgressTracker(ref.name, blobs.reduce((s, d) => s + d.size, 0), options.onProgress);
    blobs.forEach((d, i) => present[i] && progress.add(d.size));
    progress.add(0);

    return await withImageLease(rpc, `pull ${ref.name}`, async (lease) => {
      const callOptions = { lease, ...(options.signal ? { signal: options.signal } : {}) };
      const store = (d: Descriptor, labels: Record<string, string>) => async () => {
        const labelled = { ...source, ...labels };
        if (await rpc.contentInfo(d.digest)) {
          await writeBlob(rpc, { descriptor: d, labels: labelled, source: new Uint8Array(0) }, callOptions); // labels + lease only
          return;
        }
        const body = await registry.getBlob(d.digest);
        try {
          await writeBlob(rpc, { descriptor: d, labels: labelled, source: body as unknown as AsyncIterable<Uint8Array>, onBytes: (n) => progress.add(n) }, callOptions);
        } catch (err) {
          await body.cancel().catch(() => undefined); // release the HTTP connection
          throw err;
        }
      };
      await runLimited(blobs.map((d) => store(d, {})), options.concurrency ?? 3);

      // Documents, children before parents, with the GC labels containerd's puller writes.
      const config = JSON.parse((await rpc.contentRead(manifest.config.digest, callOptions)).toString('utf8')) as ImageConfigFile;
      const diffIds = config.rootfs?.diff_ids ?? [];
      const manifestLabels: Record<string, string> = { ...source, [Labels.gcRefConfig]: manifest.config.digest };
      manifest.layers.forEach((l, i) => (manifestLabels[Labels.gcRefLayer(i)] = l.digest));
      const manifestDesc = { mediaType: manifestDoc.mediaType, digest: manifestDoc.digest, size: manifestDoc.bytes.length };
      await writeBlob(rpc, { descriptor: manifestDesc, labels: manifestLabels, source: manifestDoc.bytes }, callOptions);
      for (const { doc, chosen } of [...indexes].reverse()) {
        const index = parseDocument<ImageIndex>(ref, doc);
        const labels: Record<string, string> = { ...source };
        index.manifests.forEach((m, i) => m.digest === chosen && (labels[Labels.gcRefManifest(i)] = m.digest));
        await writeBlob(rpc, { descriptor: { mediaType: doc.mediaType, digest: doc.digest, size: doc.bytes.length }, labels, source: doc.bytes }, callOptions);
      }

      await rpc.imagePut({ name: ref.name, target: { mediaType: top.mediaType, digest: top.digest, size: top.bytes.length }, labels: {} });
      await unpackImage(rpc, { imageName: ref.name, configDigest: manifest.config.digest, layers: manifest.layers, diffIds }, callOptions);
      progress.finish();
      const info = await getImage(rpc, ref.name);
      if (!info) throw new ContainerdError(`pull ${ref.name}: image is not readable after the pull`, { hint: 'check containerd’s log' });
      return info;
    });
  } catch (err) {
    throw pullError(ref, err);
  }
}
