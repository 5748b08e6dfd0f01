/**
 * Writes an OCI image-layout tarball (oci-layout, index.json, blobs/sha256/…)
 * holding one single-platform image, the format `importArchive` reads and
 * `ctr images import` / `skopeo copy oci-archive:` understand. Used by
 * scripts/build-images.ts and the tests to make local images without a registry.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { digestHex, sha256 } from './digest.js';
import { REPRODUCIBLE_MTIME, type BuiltLayer } from './layer-builder.js';
import { MediaType, type ImageIndex, type ImageManifest, type Platform } from './media-types.js';
import { hostPlatform } from './platform.js';
import { parseReference } from './reference.js';

export interface ImageConfigInput {
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
  user?: string;
  labels?: Record<string, string>;
}

export interface OciImageInput {
  /** Image name, e.g. "pakostii.local/etcd:3.4" (stored as annotations in index.json). */
  ref: string;
  layers: readonly BuiltLayer[];
  config: ImageConfigInput;
  platform?: Platform;
}

export interface WrittenArchive {
  name: string;
  manifestDigest: string;
  configDigest: string;
  /** Sum of config, manifest and layer blob sizes. */
  size: number;
}

export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

/** The image's blobs and index; pure, so callers can know digests before writing anything. */
export function composeOciImage(input: OciImageInput): { index: Buffer; blobs: Buffer[]; name: string; manifestDigest: string; configDigest: string } {
  const name = parseReference(input.ref).name;
  const platform = input.platform ?? hostPlatform();
  const config = json({
    created: REPRODUCIBLE_MTIME.toISOString(),
    architecture: platform.architecture,
    ...(platform.variant ? { variant: platform.variant } : {}),
    os: platform.os,
    config: {
      Env: input.config.env ?? [DEFAULT_PATH_ENV],
      ...(input.config.entrypoint ? { Entrypoint: input.config.entrypoint } : {}),
      ...(input.config.cmd ? { Cmd: input.config.cmd } : {}),
      WorkingDir: input.config.workingDir ?? '/',
      ...(input.config.user ? { User: input.config.user } : {}),
      ...(input.config.labels ? { Labels: input.config.labels } : {}),
    },
    rootfs: { type: 'layers', diff_ids: input.layers.map((l) => l.diffId) },
  });
  const configDigest = sha256(config);
  const manifestDoc: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: configDigest, size: config.length },
    layers: input.layers.map((l) => ({ mediaType: MediaType.ociLayerGzip, digest: l.digest, size: l.blob.length })),
  };
  const manifest = json(manifestDoc);
  const manifestDigest = sha256(manifest);
  const tag = parseReference(input.ref).tag ?? 'latest';
  const indexDoc: ImageIndex = {
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: [
      {
        mediaType: MediaType.ociManifest,
        digest: manifestDigest,
        size: manifest.length,
        platform,
        // Same pair of annotations containerd's exporter writes: full name + tag.
        annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': tag },
      },
    ],
  };
  return { index: json(indexDoc), blobs: [config, manifest, ...input.layers.map((l) => l.blob)], name, manifestDigest, configDigest };
}

/** Writes the archive to `path` (atomically: a temp file renamed into place). */
export async function writeOciArchive(path: string, input: OciImageInput): Promise<WrittenArchive> {
  const image = composeOciImage(input);
  const pack = tar.pack();
  const tmp = `${path}.${process.pid}.tmp`;
  const written = pipeline(pack, createWriteStream(tmp));
  const header = { mtime: REPRODUCIBLE_MTIME, uid: 0, gid: 0, mode: 0o644 };
  const add = (name: string, body: Buffer) => pack.entry({ ...header, name, size: body.length }, body);
  try {
    add('oci-layout', json({ imageLayoutVersion: '1.0.0' }));
    add('index.json', image.index);
    pack.entry({ ...header, name: 'blobs/', type: 'directory', mode: 0o755 });
    pack.entry({ ...header, name: 'blobs/sha256/', type: 'directory', mode: 0o755 });
    const seen = new Set<string>();
    for (const blob of image.blobs) {
      const hex = digestHex(sha256(blob));
      if (seen.has(hex)) continue; // two identical layers are one blob
      seen.add(hex);
      add(`blobs/sha256/${hex}`, blob);
    }
    pack.finalize();
    await written;
    await rename(tmp, path);
  } catch (err) {
    pack.destroy();
    await rm(tmp, { force: true });
    throw err;
  }
  const size = image.blobs.reduce((sum, b) => sum + b.length, 0);
  return { name: image.name, manifestDigest: image.manifestDigest, configDigest: image.configDigest, size };
}
