/**
 * Reading images back out of containerd: the image record → (index →)
 * platform manifest → config, giving the ImageInfo the runtime needs
 * (digest, chain id, entrypoint/cmd/env…).
 */
import type { ImageInfo } from '../types.js';
import { chainId } from './digest.js';
import { isIndex, isManifest, type Descriptor, type ImageConfigFile, type ImageIndex, type ImageManifest } from './media-types.js';
import { selectPlatformManifest } from './platform.js';
import { normalizeReference } from './reference.js';
import type { ImagesRpc } from './rpc.js';

export interface ResolvedImage {
  info: ImageInfo;
  manifest: ImageManifest;
  configDigest: string;
  diffIds: string[];
}

function isNotFound(err: unknown): boolean {
  return (err as { grpcCode?: string }).grpcCode === 'NOT_FOUND' || (err as { code?: unknown }).code === 5;
}

async function readJson<T>(rpc: ImagesRpc, digest: string): Promise<T | undefined> {
  try {
    return JSON.parse((await rpc.contentRead(digest)).toString('utf8')) as T;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** The platform manifest descriptor of `target` (itself when it is a manifest). Undefined when content is missing. */
export async function platformManifest(rpc: ImagesRpc, target: Descriptor): Promise<Descriptor | undefined> {
  if (isManifest(target.mediaType)) return target;
  if (!isIndex(target.mediaType)) return undefined;
  const index = await readJson<ImageIndex>(rpc, target.digest);
  if (!index) return undefined;
  const chosen = selectPlatformManifest(index.manifests);
  return chosen && isIndex(chosen.mediaType) ? platformManifest(rpc, chosen) : chosen;
}

/** Image record + manifest + config, or undefined when the image (or part of its metadata) is not in containerd. */
export async function resolveImage(rpc: ImagesRpc, ref: string): Promise<ResolvedImage | undefined> {
  const name = normalizeReference(ref);
  const record = await rpc.imageGet(name);
  if (!record) return undefined;
  const manifestDesc = await platformManifest(rpc, record.target);
  if (!manifestDesc) return undefined;
  const manifest = await readJson<ImageManifest>(rpc, manifestDesc.digest);
  if (!manifest) return undefined;
  const config = await readJson<ImageConfigFile>(rpc, manifest.config.digest);
  if (!config) return undefined;
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length === 0) return undefined;
  const c = config.config ?? {};
  return {
    info: {
      name,
      digest: manifestDesc.digest,
      chainId: chainId(diffIds),
      config: {
        entrypoint: c.Entrypoint ?? [],
        cmd: c.Cmd ?? [],
        env: c.Env ?? [],
        workingDir: c.WorkingDir ?? '',
        user: c.User ?? '',
      },
    },
    manifest,
    configDigest: manifest.config.digest,
    diffIds,
  };
}

export async function getImage(rpc: ImagesRpc, ref: string): Promise<ImageInfo | undefined> {
  return (await resolveImage(rpc, ref))?.info;
}
