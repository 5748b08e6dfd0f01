/**
 * Image functions for ContainerdClient (lib/containerd/client.ts): each takes
 * the client's gRPC handle (or an ImagesRpc, for tests that observe calls).
 *
 *   getImage(grpc, ref)               → ImageInfo | undefined
 *   ensureImage(grpc, ref, options)   → local (unpacked) image, else pulled
 *   pullImage(grpc, ref, options)     → fetched from the registry and unpacked
 *   importArchive(grpc, path)         → images of an OCI-layout / docker-save tarball
 */
import type { ContainerdGrpc } from '../grpc.js';
import type { ImageInfo } from '../types.js';
import { ensureImage as ensure } from './ensure-image.js';
import { getImage as get } from './image-store.js';
import { importArchive as importTarball, type ImportOptions } from './import-archive.js';
import { pullImage as pull, type PullOptions } from './pull.js';
import { imagesRpc } from './rpc-adapter.js';
import type { ImagesRpc } from './rpc.js';

export type { ImportOptions } from './import-archive.js';
export type { PullOptions } from './pull.js';
export type { ImagesRpc } from './rpc.js';
export { imagesRpc } from './rpc-adapter.js';
export { normalizeReference, parseReference, type ImageReference } from './reference.js';
export { INSECURE_REGISTRIES_ENV } from './registry-client.js';

export type ImagesHandle = ContainerdGrpc | ImagesRpc;

function rpcOf(handle: ImagesHandle): ImagesRpc {
  return 'contentWrite' in handle ? handle : imagesRpc(handle);
}

export function getImage(handle: ImagesHandle, ref: string): Promise<ImageInfo | undefined> {
  return get(rpcOf(handle), ref);
}

export function ensureImage(handle: ImagesHandle, ref: string, options: PullOptions = {}): Promise<ImageInfo> {
  return ensure(rpcOf(handle), ref, options);
}

export function pullImage(handle: ImagesHandle, ref: string, options: PullOptions = {}): Promise<ImageInfo> {
  return pull(rpcOf(handle), ref, options);
}

export function importArchive(handle: ImagesHandle, path: string, options: ImportOptions = {}): Promise<ImageInfo[]> {
  return importTarball(rpcOf(handle), path, options);
}
