/**
 * Media types of the OCI image spec and of Docker's schema 2, and the
 * containerd labels that tie content and snapshots together for its garbage
 * collector. Kept in one place so import, pull and unpack agree on them.
 */

export const MediaType = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const;

export function isIndex(mediaType: string): boolean {
  return mediaType === MediaType.ociIndex || mediaType === MediaType.dockerManifestList;
}

export function isManifest(mediaType: string): boolean {
  return mediaType === MediaType.ociManifest || mediaType === MediaType.dockerManifest;
}

/** Every manifest type we can read, for the registry's Accept header (most preferred first). */
export const MANIFEST_ACCEPT = [
  MediaType.ociIndex,
  MediaType.dockerManifestList,
  MediaType.ociManifest,
  MediaType.dockerManifest,
].join(', ');

/** The snapshotter every pakostii container uses (see ImageInfo.chainId). */
export const SNAPSHOTTER = 'overlayfs';

/** containerd's GC and unpack labels (same keys as containerd's own puller/unpacker). */
export const Labels = {
  /** On a manifest: its config blob. */
  gcRefConfig: 'containerd.io/gc.ref.content.config',
  /** On a manifest: layer i (`containerd.io/gc.ref.content.l.<i>`). */
  gcRefLayer: (i: number) => `containerd.io/gc.ref.content.l.${i}`,
  /** On an index: manifest i (`containerd.io/gc.ref.content.m.<i>`). */
  gcRefManifest: (i: number) => `containerd.io/gc.ref.content.m.${i}`,
  /** On a config blob: the committed snapshot of the unpacked rootfs, keeping the whole chain alive. */
  gcRefSnapshot: (snapshotter: string) => `containerd.io/gc.ref.snapshot.${snapshotter}`,
  /** On a layer blob: the digest of its uncompressed tar (diff id). */
  uncompressed: 'containerd.io/uncompressed',
  /** On pulled content: where it came from (`containerd.io/distribution.source.<host>` = repository). */
  distributionSource: (host: string) => `containerd.io/distribution.source.${host}`,
  /** On a snapshot: the chain id it was unpacked for. */
  snapshotRef: 'containerd.io/snapshot.ref',
  /** On a lease: when containerd may drop it even if nobody deletes it (RFC 3339). */
  gcExpire: 'containerd.io/gc.expire',
} as const;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
}

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
}

export interface ImageIndex {
  schemaVersion: number;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageManifest {
  schemaVersion: number;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** The parts of an OCI/Docker image config pakostii reads. */
export interface ImageConfigFile {
  architecture?: string;
  os?: string;
  config?: {
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    Env?: string[] | null;
    WorkingDir?: string;
    User?: string;
  };
  rootfs?: { type: string; diff_ids: string[] };
}
