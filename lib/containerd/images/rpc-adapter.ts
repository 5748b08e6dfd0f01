/**
 * ImagesRpc on top of the shared gRPC handle (lib/containerd/grpc.ts): proto
 * field names (snake_case), NOT_FOUND/ALREADY_EXISTS handling and operation
 * names for error messages live here and nowhere else in the image code.
 */
import type { ClientDuplexStream } from '@grpc/grpc-js';
import { ignoreNotFound, isAlreadyExists, toContainerdError } from '../errors.js';
import type { CallOptions as GrpcCallOptions, ContainerdGrpc } from '../grpc.js';
import type { Descriptor } from './media-types.js';
import type { CallOptions, ContentInfo, ContentWriteStream, ImageRecord, ImagesRpc, Mount, SnapshotInfo } from './rpc.js';

interface PbDescriptor {
  media_type: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}
interface PbContentInfo {
  digest: string;
  size: number;
  labels: Record<string, string>;
}
interface PbSnapshotInfo {
  name: string;
  parent: string;
  kind: string;
  labels: Record<string, string>;
}
interface PbImage {
  name: string;
  labels: Record<string, string>;
  target: PbDescriptor;
}
interface WriteRequest {
  action: 'STAT' | 'WRITE' | 'COMMIT';
  ref: string;
  total?: number;
  expected?: string;
  offset?: number;
  data?: Uint8Array;
  labels?: Record<string, string>;
}
interface WriteResponse {
  action: string;
  offset: number;
  total: number;
  digest: string;
}

const toPb = (d: Descriptor): PbDescriptor => ({ media_type: d.mediaType, digest: d.digest, size: d.size, annotations: d.annotations ?? {} });
const fromPb = (d: PbDescriptor): Descriptor => ({ mediaType: d.media_type, digest: d.digest, size: Number(d.size) });
const contentInfo = (i: PbContentInfo): ContentInfo => ({ digest: i.digest, size: Number(i.size), labels: i.labels ?? {} });
const snapshotInfo = (i: PbSnapshotInfo): SnapshotInfo => ({
  name: i.name,
  parent: i.parent,
  kind: (String(i.kind).toLowerCase() as SnapshotInfo['kind']) ?? 'unknown',
  labels: i.labels ?? {},
});
const imageRecord = (i: PbImage): ImageRecord => ({ name: i.name, labels: i.labels ?? {}, target: fromPb(i.target) });

function grpcOptions(operation: string, options: CallOptions = {}): GrpcCallOptions {
  return { operation, ...(options.lease ? { lease: options.lease } : {}), ...(options.signal ? { signal: options.signal } : {}) };
}

/**
 * containerd's Content.Write is lockstep: one response per request. This
 * turns the duplex stream into awaitable request → response exchanges.
 */
class LockstepWriter implements ContentWriteStream {
  readonly #stream: ClientDuplexStream<WriteRequest, WriteResponse>;
  readonly #waiting: Array<{ resolve: (r: WriteResponse) => void; reject: (e: unknown) => void }> = [];
  #failure: unknown;
  #cancelled = false;
  #detachAbort: () => void = () => undefined;

  constructor(grpc: ContainerdGrpc, options: CallOptions) {
    this.#stream = grpc.bidiStream<WriteRequest, WriteResponse>('content', 'Write', grpcOptions('write content', options));
    this.#stream.on('data', (res: WriteResponse) => this.#waiting.shift()?.resolve(res));
    this.#stream.on('error', (err: unknown) => {
      if (this.#cancelled) return;
      this.#failure = toContainerdError(err, { operation: 'write content', socket: grpc.socket });
      for (const w of this.#waiting.splice(0)) w.reject(this.#failure);
    });
    this.#stream.on('end', () => {
      const early = new Error('containerd closed the content write stream early');
      for (const w of this.#waiting.splice(0)) w.reject(this.#failure ?? early);
    });
    const { signal } = options;
    if (signal) {
      const onAbort = () => this.close(true);
      signal.addEventListener('abort', onAbort, { once: true });
      this.#detachAbort = () => signal.removeEventListener('abort', onAbort);
    }
  }

  #send(req: WriteRequest): Promise<WriteResponse> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.#stream.write(req);
    });
  }

  async stat(ref: string, total: number, expected: string) {
    return { offset: Number((await this.#send({ action: 'STAT', ref, total, expected })).offset) };
  }
  async write(ref: string, offset: number, data: Uint8Array) {
    return { offset: Number((await this.#send({ action: 'WRITE', ref, offset, data })).offset) };
  }
  async commit(ref: string, total: number, offset: number, expected: string, labels: Record<string, string>) {
    return { digest: (await this.#send({ action: 'COMMIT', ref, total, offset, expected, labels })).digest };
  }
  close(cancel = false): void {
    this.#detachAbort();
    if (cancel) {
      this.#cancelled = true;
      this.#stream.cancel();
    } else {
      this.#stream.end();
    }
  }
}

const adapters = new WeakMap<ContainerdGrpc, ImagesRpc>();

/** The image code's view of a containerd handle (cached per handle). */
export function imagesRpc(grpc: ContainerdGrpc): ImagesRpc {
  let rpc = adapters.get(grpc);
  if (!rpc) {
    rpc = createImagesRpc(grpc);
    adapters.set(grpc, rpc);
  }
  return rpc;
}

function createImagesRpc(grpc: ContainerdGrpc): ImagesRpc {
  const call = <T>(service: Parameters<ContainerdGrpc['unary']>[0], method: string, request: object, operation: string, options?: CallOptions) =>
    grpc.unary<T>(service, method, request, grpcOptions(operation, options));
  return {
    namespace: grpc.namespace,

    async contentInfo(digest) {
      const res = await ignoreNotFound(call<{ info: PbContentInfo }>('content', 'Info', { digest }, `read content info ${digest}`));
      return res ? contentInfo(res.info) : undefined;
    },
    async contentSetLabels(digest, labels) {
      const paths = Object.keys(labels).map((k) => `labels.${k}`);
      await call('content', 'Update', { info: { digest, labels }, update_mask: { paths } }, `label content ${digest}`);
    },
    async contentRead(digest, options = {}) {
      const chunks = await grpc.serverStream<{ data: Buffer }>('content', 'Read', { digest }, grpcOptions(`read content ${digest}`, options)).collect();
      return Buffer.concat(chunks.map((c) => c.data));
    },
    contentWrite: (options = {}) => new LockstepWriter(grpc, options),
    async contentAbort(ref) {
      await ignoreNotFound(call('content', 'Abort', { ref }, `abort content write ${ref}`));
    },
    async contentDelete(digest) {
      await ignoreNotFound(call('content', 'Delete', { digest }, `delete content ${digest}`));
    },
    async contentList(filters = []) {
      const pages = await grpc.serverStream<{ info: PbContentInfo[] }>('content', 'List', { filters }, { operation: 'list content' }).collect();
      return pages.flatMap((p) => p.info.map(contentInfo));
    },

    async imageGet(name) {
      const res = await ignoreNotFound(call<{ image: PbImage | null }>('images', 'Get', { name }, `get image ${name}`));
      return res?.image ? imageRecord(res.image) : undefined;
    },
    async imagePut(image) {
      const pb = { name: image.name, labels: image.labels, target: toPb(image.target) };
      try {
        await call('images', 'Create', { image: pb }, `create image ${image.name}`);
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        await call('images', 'Update', { image: pb, update_mask: { paths: ['target', 'labels'] } }, `update image ${image.name}`);
      }
    },
    async imageDelete(name) {
      await ignoreNotFound(call('images', 'Delete', { name, sync: true }, `delete image ${name}`));
    },
    async imageList(filters = []) {
      const res = await call<{ images: PbImage[] }>('images', 'List', { filters }, 'list images');
      return res.images.map(imageRecord);
    },

    async snapshotStat(snapshotter, key) {
      const res = await ignoreNotFound(call<{ info: PbSnapshotInfo }>('snapshots', 'Stat', { snapshotter, key }, `stat snapshot ${key}`));
      return res ? snapshotInfo(res.info) : undefined;
    },
    async snapshotPrepare(snapshotter, key, parent, labels, options) {
      const res = await call<{ mounts: Mount[] }>('snapshots', 'Prepare', { snapshotter, key, parent, labels }, `prepare snapshot ${key}`, options);
      return res.mounts;
    },
    async snapshotCommit(snapshotter, name, key, labels, options) {
      try {
        await call('snapshots', 'Commit', { snapshotter, name, key, labels }, `commit snapshot ${name}`, options);
        return 'committed';
      } catch (err) {
        if (isAlreadyExists(err)) return 'exists';
        throw err;
      }
    },
    async snapshotRemove(snapshotter, key) {
      await ignoreNotFound(call('snapshots', 'Remove', { snapshotter, key }, `remove snapshot ${key}`));
    },
    async snapshotList(snapshotter, filters = []) {
      const pages = await grpc.serverStream<{ info: PbSnapshotInfo[] }>('snapshots', 'List', { snapshotter, filters }, { operation: 'list snapshots' }).collect();
      return pages.flatMap((p) => p.info.map(snapshotInfo));
    },

    async diffApply(layer, mounts, options) {
      const res = await call<{ applied: PbDescriptor }>('diff', 'Apply', { diff: toPb(layer), mounts }, `apply layer ${layer.digest}`, options);
      return fromPb(res.applied);
    },

    async leaseCreate(id, labels) {
      await call('leases', 'Create', { id, labels }, `create lease ${id}`);
    },
    async leaseDelete(id) {
      await ignoreNotFound(call('leases', 'Delete', { id, sync: false }, `delete lease ${id}`));
    },
    async leaseAddResource(id, resource) {
      await call('leases', 'AddResource', { id, resource }, `add ${resource.type} ${resource.id} to lease ${id}`);
    },
    async leaseList(filters = []) {
      const res = await call<{ leases: Array<{ id: string; labels: Record<string, string> }> }>('leases', 'List', { filters }, 'list leases');
      return res.leases.map((l) => ({ id: l.id, labels: l.labels ?? {} }));
    },
  };
}
