/**
 * ContainerdClient: the one object the runtime holds to talk to containerd
 * (contract in lib/containerd/index.ts). Connects over gRPC, checks the daemon
 * answers, and delegates: images → images/, containers → container.ts,
 * events → events.ts, run objects → run-objects.ts.
 */
import { stat } from 'node:fs/promises';
import { ContainerdError } from '../errors.js';
import { CONTAINERD_NAMESPACE } from '../host/names.js';
import { api } from './api.js';
import { createContainer } from './container.js';
import { DEFAULT_CONTAINERD_SOCKET } from '../host/paths.js';
import { RUN_AS_ROOT_HINT, startContainerdHint, toContainerdError } from './errors.js';
import { subscribeTaskExits } from './events.js';
import { ContainerdGrpc } from './grpc.js';
import type { ReadXattr } from './overlay-view.js';
import * as images from './images/index.js';
import type { Container, ContainerCreateRequest, ImageInfo, PluginInfo, PullProgress, RunObjects, TaskExitEvent } from './types.js';
import { labelledRunIds, listRunObjects, removeRunObjects } from './run-objects.js';

/** How long connect() waits for the daemon's Version answer. */
const CONNECT_TIMEOUT_MS = 5_000;

/** Fails with a person-readable error when the socket is missing or not ours to open. */
async function checkSocket(socket: string): Promise<void> {
  try {
    const info = await stat(socket);
    if (!info.isSocket()) {
      throw new ContainerdError(`connect to containerd at ${socket} failed: it is not a unix socket`, {
        hint: `point the socket option at containerd's socket (usually ${DEFAULT_CONTAINERD_SOCKET})`,
      });
    }
  } catch (err) {
    if (err instanceof ContainerdError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new ContainerdError(`connect to containerd failed: socket ${socket} does not exist (containerd is not running)`, {
        cause: err,
        hint: startContainerdHint(socket),
      });
    }
    if (code === 'EACCES') {
      throw new ContainerdError(`connect to containerd at ${socket} failed: permission denied`, { cause: err, hint: RUN_AS_ROOT_HINT });
    }
    throw new ContainerdError(`connect to containerd at ${socket} failed: ${(err as Error).message}`, { cause: err });
  }
}

export interface ConnectOptions {
  socket?: string;
  namespace?: string;
  /**
   * Reads an xattr of a host path (lib/native's getXattr): createContainer needs it to see
   * an image's opaque directories when it reads the image's user database. Without it this
   * client can do everything but create containers.
   */
  readXattr?: ReadXattr;
}

export class ContainerdClient {
  private constructor(
    private readonly grpc: ContainerdGrpc,
    private readonly readXattr: ReadXattr | undefined,
  ) {}

  /** Connects and checks the daemon answers; ContainerdError with a "how to start containerd" hint otherwise. */
  static async connect(options: ConnectOptions = {}): Promise<ContainerdClient> {
    const socket = options.socket ?? DEFAULT_CONTAINERD_SOCKET;
    await checkSocket(socket);
    const client = new ContainerdClient(ContainerdGrpc.open({ socket, namespace: options.namespace ?? CONTAINERD_NAMESPACE }), options.readXattr);
    try {
      await api(client.grpc).version.version({}, { timeoutMs: CONNECT_TIMEOUT_MS, operation: `connect to containerd at ${socket}` });
    } catch (err) {
      client.close();
      const details = err instanceof Error ? err.message : String(err);
      if (/EACCES|permission denied/i.test(details)) {
        throw new ContainerdError(`connect to containerd at ${socket} failed: permission denied`, { cause: err, grpcCode: 'UNAVAILABLE', hint: RUN_AS_ROOT_HINT });
      }
      throw err;
    }
    return client;
  }

  get socket(): string {
    return this.grpc.socket;
  }

  get namespace(): string {
    return this.grpc.namespace;
  }

  /** The gRPC handle, for library code that needs a service the facade does not wrap. */
  get rpc(): ContainerdGrpc {
    return this.grpc;
  }

  async version(): Promise<{ version: string; revision: string }> {
    const res = await api(this.grpc).version.version({}, { operation: 'containerd version' });
    return { version: res.version, revision: res.revision };
  }

  async plugins(filters: string[] = []): Promise<PluginInfo[]> {
    const res = await api(this.grpc).introspection.plugins({ filters }, { operation: 'list containerd plugins' });
    return res.plugins.map((p) => ({
      type: p.type,
      id: p.id,
      ...(p.init_err && (p.init_err.code !== 0 || p.init_err.message) ? { initError: p.init_err.message } : {}),
    }));
  }

  close(): void {
    this.grpc.close();
  }

  getImage(ref: string): Promise<ImageInfo | undefined> {
    return images.getImage(this.grpc, ref);
  }

  ensureImage(ref: string, options: { onProgress?: (p: PullProgress) => void; signal?: AbortSignal } = {}): Promise<ImageInfo> {
    return images.ensureImage(this.grpc, ref, options);
  }

  pullImage(ref: string, options: { onProgress?: (p: PullProgress) => void; signal?: AbortSignal } = {}): Promise<ImageInfo> {
    return images.pullImage(this.grpc, ref, options);
  }

  /** `options.baseName` names an image whose archive carries no full name (e.g. only a tag). */
  importArchive(path: string, options: images.ImportOptions = {}): Promise<ImageInfo[]> {
    return images.importArchive(this.grpc, path, options);
  }

  async createContainer(spec: ContainerCreateRequest): Promise<Container> {
    const readXattr = this.readXattr;
    if (!readXattr) {
      throw new ContainerdError(`create container ${spec.id} failed: this containerd client cannot read an image's overlay marks`, {
        hint: 'a bug in the caller: connect with { readXattr: getXattr } (lib/native) to create containers',
      });
    }
    const image = await this.getImage(spec.image);
    if (!image) {
      throw new ContainerdError(`create container ${spec.id} failed: image ${spec.image} is not in containerd (namespace ${this.namespace})`, {
        grpcCode: 'NOT_FOUND',
        hint: `pull or import it first (ensureImage("${spec.image}"), or \`pakostii images\`)`,
      });
    }
    try {
      return await createContainer(this.grpc, spec, image, readXattr);
    } catch (err) {
      throw toContainerdError(err, { operation: `create container ${spec.id}`, socket: this.socket });
    }
  }

  /** Subscribe to task exits in this client's namespace; returns an unsubscribe function. */
  onTaskExit(listener: (event: TaskExitEvent) => void): () => void {
    return subscribeTaskExits(this.grpc, listener);
  }

  listRunObjects(runId: string): Promise<RunObjects> {
    return listRunObjects(this.grpc, runId);
  }

  removeRunObjects(runId: string): Promise<void> {
    return removeRunObjects(this.grpc, runId);
  }

  /** Run ids labelled on containers, snapshots and leases of this client's namespace (for the janitor's deep mode). */
  labelledRunIds(): Promise<string[]> {
    return labelledRunIds(this.grpc);
  }

  /** Names of every containerd namespace. */
  async listNamespaces(): Promise<string[]> {
    const { namespaces } = await api(this.grpc).namespaces.list({}, { operation: 'list containerd namespaces' });
    return namespaces.map(({ name }) => name);
  }
}
