/**
 * The narrow slice of containerd's API the image code uses, as typed
 * methods. Import, pull and unpack are written against this interface; the
 * adapter (images/rpc-adapter.ts) maps it onto containerd's typed ports
 * (lib/containerd/api.ts), so proto field spellings stay out of the image code.
 */
import type { Mount } from '../api-messages.js';
import type { Descriptor } from './media-types.js';

export interface ContentInfo {
  digest: string;
  size: number;
  labels: Record<string, string>;
}

export type { Mount } from '../api-messages.js';

export interface SnapshotInfo {
  name: string;
  parent: string;
  kind: 'view' | 'active' | 'committed' | 'unknown';
  labels: Record<string, string>;
}

export interface ImageRecord {
  name: string;
  target: Descriptor;
  labels: Record<string, string>;
}

/** One Content.Write stream: every request gets exactly one response (containerd's lockstep protocol). */
export interface ContentWriteStream {
  stat(ref: string, total: number, expected: string): Promise<{ offset: number }>;
  write(ref: string, offset: number, data: Uint8Array): Promise<{ offset: number }>;
  commit(ref: string, total: number, offset: number, expected: string, labels: Record<string, string>): Promise<{ digest: string }>;
  /** Ends the stream (after commit) or cancels it (on failure). */
  close(cancel?: boolean): void;
}

export interface CallOptions {
  /** Lease id sent as the `containerd-lease` header, protecting what the call creates from GC. */
  lease?: string;
  signal?: AbortSignal;
}

export interface ImagesRpc {
  readonly namespace: string;

  contentInfo(digest: string): Promise<ContentInfo | undefined>;
  /** Sets the given labels (others untouched). */
  contentSetLabels(digest: string, labels: Record<string, string>): Promise<void>;
  contentRead(digest: string, options?: CallOptions): Promise<Buffer>;
  contentWrite(options?: CallOptions): ContentWriteStream;
  contentAbort(ref: string): Promise<void>;
  contentDelete(digest: string): Promise<void>;
  contentList(filters?: string[]): Promise<ContentInfo[]>;

  imageGet(name: string): Promise<ImageRecord | undefined>;
  /** Creates the image, or updates its target and labels when the name exists. */
  imagePut(image: ImageRecord): Promise<void>;
  imageDelete(name: string): Promise<void>;
  imageList(filters?: string[]): Promise<ImageRecord[]>;

  snapshotStat(snapshotter: string, key: string): Promise<SnapshotInfo | undefined>;
  snapshotPrepare(snapshotter: string, key: string, parent: string, labels: Record<string, string>, options?: CallOptions): Promise<Mount[]>;
  /** Resolves 'exists' when a snapshot with that name is already committed. */
  snapshotCommit(snapshotter: string, name: string, key: string, labels: Record<string, string>, options?: CallOptions): Promise<'committed' | 'exists'>;
  /** Tolerates a missing snapshot. */
  snapshotRemove(snapshotter: string, key: string): Promise<void>;
  snapshotList(snapshotter: string, filters?: string[]): Promise<SnapshotInfo[]>;

  diffApply(layer: Descriptor, mounts: Mount[], options?: CallOptions): Promise<Descriptor>;

  leaseCreate(id: string, labels: Record<string, string>): Promise<void>;
  /** Tolerates a missing lease. */
  leaseDelete(id: string): Promise<void>;
  leaseAddResource(id: string, resource: { id: string; type: string }): Promise<void>;
  leaseList(filters?: string[]): Promise<Array<{ id: string; labels: Record<string, string> }>>;
}
