/** Content digests and snapshot chain ids. */
import { createHash } from 'node:crypto';

export function sha256(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/**
 * Chain ids of a layer stack (OCI image spec): the first is the first diff id,
 * each next one is sha256(previous + " " + diff id). The last is the name of
 * the committed snapshot holding the whole rootfs.
 */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const diffId of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? diffId : sha256(`${prev} ${diffId}`));
  }
  return out;
}

export function chainId(diffIds: readonly string[]): string {
  const ids = chainIds(diffIds);
  const last = ids[ids.length - 1];
  if (last === undefined) throw new Error('an image needs at least one layer to have a chain id');
  return last;
}

const SHA256 = /^sha256:[a-f0-9]{64}$/;

/** True for digests this code can verify (sha256, the only algorithm registries use in practice). */
export function isSha256Digest(digest: string): boolean {
  return SHA256.test(digest);
}

/** The hex part of a sha256 digest, for blob paths ("blobs/sha256/<hex>"). */
export function digestHex(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1);
}
