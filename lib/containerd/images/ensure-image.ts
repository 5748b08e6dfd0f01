/**
 * ensureImage: the local image when it is present and unpacked (no network
 * at all), unpacked from local content when only the snapshots are missing,
 * otherwise pulled from its registry.
 */
import type { ImageInfo } from '../types.js';
import { resolveImage } from './image-store.js';
import { withImageLease } from './lease.js';
import { pullImage, type PullOptions } from './pull.js';
import type { ImagesRpc } from './rpc.js';
import { isUnpacked, unpackImage } from './unpack.js';

export async function ensureImage(rpc: ImagesRpc, ref: string, options: PullOptions = {}): Promise<ImageInfo> {
  const local = await resolveImage(rpc, ref);
  if (local) {
    if (await isUnpacked(rpc, local.info.chainId)) return local.info;
    const layersPresent = await Promise.all(local.manifest.layers.map(async (l) => (await rpc.contentInfo(l.digest)) !== undefined));
    if (layersPresent.every(Boolean)) {
      await withImageLease(rpc, `unpack ${local.info.name}`, (lease) =>
        unpackImage(rpc, { imageName: local.info.name, configDigest: local.configDigest, layers: local.manifest.layers, diffIds: local.diffIds }, { lease }),
      );
      return local.info;
    }
  }
  return pullImage(rpc, ref, options);
}
