/**
 * ImagesRpc on top of containerd's typed ports (lib/containerd/api.ts): the
 * mapping between proto messages (snake_case) and the image code's records,
 * NOT_FOUND/ALREADY_EXISTS handling and operation names for error messages live
 * here and nowhere else in the image code.
 */
import type { ClientDuplexStream } from '@grpc/grpc-js';
import { api, type ContainerdPorts } from '../api.js';
import type { PbContentInfo, PbDescriptor, PbImage, PbSnapshotInfo, WriteContentRequest, WriteContentResponse } from '../api-messages.js';
import { ContainerdError } from '../../errors.js';
import { ignoreNotFound, isAlreadyExists, toContainerdError } from '../errors.js';
import type { CallOptions as GrpcCallOptions, ContainerdGrpc } from '../grpc.js';
import type { Descriptor } from './media-types.js';
import type { CallOptions, ContentInfo, ContentWriteStream, ImageRecord, ImagesRpc, SnapshotInfo } from './rpc.js';

const toPb = (d: Descriptor): PbDescriptor => ({ media_type: d.mediaType, digest: d.digest, size: d.size, annotations: d.annotations ?? {} });
const fromPb = (d: PbDescriptor): Descriptor => ({ mediaType: d.media_type, digest: d.digest, size: Number(d.size) });
const contentInfo = (i: PbContentInfo): ContentInfo => ({ digest: i.digest, size: Number(i.size), labels: i.labels ?? {} });
const snapshotInfo = (i: PbSnapshotInfo): SnapshotInfo => ({
  name: i.name,
  parent: i.parent,
  kind: (String(i.kind).toLowerCase() as SnapshotInfo['kind']) ?? 'unknown',
  labels: i.labels ?? {},
});
const imageRecord = (i: PbImage): ImageRecord => {
  if (!i.target) throw new ContainerdError(`read image ${i.name} failed: containerd answered without its target`);
  return { name: i.name, labels: i.labels ?? {}, target: fromPb(i.target) };
};

function grpcOptions(operation: string, options: CallOptions = {}): GrpcCallOptions {
  return { operation, ...(options.lease ? { lease: options.lease } : {}), ...(options.signal ? { signal: options.signal } : {}) };
}

/**
 * containerd's Content.Write is lockstep: one response per request. This
 * turns the duplex stream into awaitable request → response exchanges.
 */
class LockstepWriter implements ContentWriteStream {
  readonly #stream: ClientDuplexStream<WriteContentRequest, WriteContentResponse>;
  readonly #waiting: Array<{ resolve: (r: WriteContentResponse) => void; reject: (e: unknown) => void }> = [];
  #failure: unknown;
  #cancelled = false;
  #detachAbort: () => void = () => undefined;

  constructor(grpc: ContainerdGrpc, options: CallOptions) {
    this.#stream = api(grpc).content.write(grpcOptions('write content', options));
    this.#stream.on('data', (res: WriteContentResponse) => this.#waiting.shift()?.resolve(res));
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

  #send(req: WriteContentRequest): Promise<WriteContentResponse> {
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

/** The image code's view of a containerd handle (closures over its ports, which api() keeps per handle). */
export function imagesRpc(grpc: ContainerdGrpc): ImagesRpc {
  const { content, images, snapshots, diff, leases }: ContainerdPorts = api(grpc);
  return {
    namespace: grpc.namespace,

    async contentInfo(digest) {
      const res = await ignoreNotFound(content.info({ digest }, grpcOptions(`read content info ${digest}`)));
      return res?.info ? contentInfo(res.info) : undefined;
    },
    async contentSetLabels(digest, labels) {
      const paths = Object.keys(labels).map((k) => `labels.${k}`);
      await content.update({ info: { digest, labels }, update_mask: { paths } }, grpcOptions(`label content ${digest}`));
    },
    async contentRead(digest, options = {}) {
      const chunks = await content.read({ digest }, grpcOptions(`read content ${digest}`, options)).collect();
      return Buffer.concat(chunks.map((c) => c.data));
    },
    contentWrite: (options = {}) => new LockstepWriter(grpc, options),
    async contentAbort(ref) {
      await ignoreNotFound(content.abort({ ref }, grpcOptions(`abort content write ${ref}`)));
    },
    async contentDelete(digest) {
      await ignoreNotFound(content.delete({ digest }, grpcOptions(`delete content ${digest}`)));
    },
    async contentList(filters = []) {
      const pages = await content.list({ filters }, grpcOptions('list content')).collect();
      return pages.flatMap((p) => p.info.map(contentInfo));
    },

    async imageGet(name) {
      const res = await ignoreNotFound(images.get({ name }, grpcOptions(`get image ${name}`)));
      return res?.image ? imageRecord(res.image) : undefined;
    },
    async imagePut(image) {
      const pb = { name: image.name, labels: image.labels, target: toPb(image.target) };
      try {
        await images.create({ image: pb }, grpcOptions(`create image ${image.name}`));
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        await images.update({ image: pb, update_mask: { paths: ['target', 'labels'] } }, grpcOptions(`update image ${image.name}`));
      }
    },
    async imageDelete(name) {
      await ignoreNotFound(images.delete({ name, sync: true }, grpcOptions(`delete image ${name}`)));
    },
    async imageList(filters = []) {
      const res = await images.list({ filters }, grpcOptions('list images'));
      return res.images.map(imageRecord);
    },

    async snapshotStat(snapshotter, key) {
      const res = await ignoreNotFound(snapshots.stat({ snapshotter, key }, grpcOptions(`stat snapshot ${key}`)));
      return res?.info ? snapshotInfo(res.info) : undefined;
    },
    async snapshotPrepare(snapshotter, key, parent, labels, options) {
      const res = await snapshots.prepare({ snapshotter, key, parent, labels }, grpcOptions(`prepare snapshot ${key}`, options));
      return res.mounts;
    },
    async snapshotCommit(snapshotter, name, key, labels, options) {
      try {
        await snapshots.commit({ snapshotter, name, key, labels }, grpcOptions(`commit snapshot ${name}`, options));
        return 'committed';
      } catch (err) {
        if (isAlreadyExists(err)) return 'exists';
        throw err;
      }
    },
    async snapshotRemove(snapshotter, key) {
      await ignoreNotFound(snapshots.remove({ snapshotter, key }, grpcOptions(`remove snapshot ${key}`)));
    },
    async snapshotList(snapshotter, filters = []) {
      const pages = await snapshots.list({ snapshotter, filters }, grpcOptions('list snapshots')).collect();
      return pages.flatMap((p) => p.info.map(snapshotInfo));
    },

    async diffApply(layer, mounts, options) {
      const res = await diff.apply({ diff: toPb(layer), mounts }, grpcOptions(`apply layer ${layer.digest}`, options));
      if (!res.applied) throw new ContainerdError(`apply layer ${layer.digest} failed: containerd answered without the applied layer`);
      return fromPb(res.applied);
    },

    async leaseCreate(id, labels) {
      await leases.create({ id, labels }, grpcOptions(`create lease ${id}`));
    },
    async leaseDelete(id) {
      await ignoreNotFound(leases.delete({ id, sync: false }, grpcOptions(`delete lease ${id}`)));
    },
    async leaseAddResource(id, resource) {
      await leases.addResource({ id, resource }, grpcOptions(`add ${resource.type} ${resource.id} to lease ${id}`));
    },
    async leaseList(filters = []) {
      const res = await leases.list({ filters }, grpcOptions('list leases'));
      return res.leases.map((l) => ({ id: l.id, labels: l.labels ?? {} }));
    },
  };
}
