/**
 * Temporary leases for image work: everything an import or pull writes
 * (content, ingests, snapshots) is held by the lease until the image record
 * and GC labels reference it; then the lease is dropped. The lease expires on
 * its own (containerd.io/gc.expire) if the process dies mid-way.
 */
import { randomBytes } from 'node:crypto';
import { Labels } from './media-types.js';
import type { ImagesRpc } from './rpc.js';

const EXPIRE_AFTER_MS = 60 * 60 * 1000;

export const IMAGE_LEASE_PREFIX = 'pakostii-image-';

export async function withImageLease<T>(rpc: ImagesRpc, purpose: string, fn: (lease: string) => Promise<T>): Promise<T> {
  const id = `${IMAGE_LEASE_PREFIX}${randomBytes(6).toString('hex')}`;
  await rpc.leaseCreate(id, {
    [Labels.gcExpire]: new Date(Date.now() + EXPIRE_AFTER_MS).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'pakostii.purpose': purpose.slice(0, 200),
  });
  try {
    return await fn(id);
  } finally {
    await rpc.leaseDelete(id).catch(() => undefined);
  }
}
