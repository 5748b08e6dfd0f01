/**
 * containerd's v1 gRPC services over @grpc/grpc-js: proto loading (once per
 * process), one channel per socket, and promise/stream wrappers that add the
 * `containerd-namespace` (and optional `containerd-lease`) metadata and turn
 * gRPC failures into ContainerdError.
 *
 * Messages keep the proto field names (keepCase: snake_case), int64 arrive as
 * numbers, enums as their names, bytes as Buffer, absent fields as defaults.
 * The same v1 services exist in containerd 1.6, 1.7 and 2.x.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ContainerdError } from '../errors.js';
import { findPackageRoot } from '../host/package-root.js';
import { DEFAULT_CONTAINERD_SOCKET } from '../host/paths.js';
import { toContainerdError } from './errors.js';

const API = 'github.com/containerd/containerd/api';

/** Service short name → [proto file, fully qualified service name]. */
export const SERVICES = {
  containers: [`${API}/services/containers/v1/containers.proto`, 'containerd.services.containers.v1.Containers'],
  content: [`${API}/services/content/v1/content.proto`, 'containerd.services.content.v1.Content'],
  diff: [`${API}/services/diff/v1/diff.proto`, 'containerd.services.diff.v1.Diff'],
  events: [`${API}/services/events/v1/events.proto`, 'containerd.services.events.v1.Events'],
  images: [`${API}/services/images/v1/images.proto`, 'containerd.services.images.v1.Images'],
  introspection: [`${API}/services/introspection/v1/introspection.proto`, 'containerd.services.introspection.v1.Introspection'],
  leases: [`${API}/services/leases/v1/leases.proto`, 'containerd.services.leases.v1.Leases'],
  namespaces: [`${API}/services/namespaces/v1/namespace.proto`, 'containerd.services.namespaces.v1.Namespaces'],
  snapshots: [`${API}/services/snapshots/v1/snapshots.proto`, 'containerd.services.snapshots.v1.Snapshots'],
  tasks: [`${API}/services/tasks/v1/tasks.proto`, 'containerd.services.tasks.v1.Tasks'],
  version: [`${API}/services/version/v1/version.proto`, 'containerd.services.version.v1.Version'],
} as const;

export type ServiceName = keyof typeof SERVICES;

/** Event payload protos (Events.Subscribe delivers them as Any). */
const EVENT_PROTOS = ['task', 'container', 'content', 'image', 'namespace', 'snapshot'].map(
  (name) => `${API}/events/${name}.proto`,
);

/** Every proto file pakostii needs, relative to an include dir (scripts/vendor-protos.sh copies these). */
export const PROTO_FILES: readonly string[] = [...Object.values(SERVICES).map(([file]) => file), ...EVENT_PROTOS];

/** Debian's golang-github-containerd-containerd-dev (and friends) install the protos here. */
const SYSTEM_PROTO_DIRS = [
  '/usr/share/gocode/src',
  '/usr/share/gocode/src/github.com/gogo/protobuf',
  '/usr/share/gocode/src/github.com/gogo/googleapis',
];

const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
};

export interface ProtoAny {
  type_url: string;
  value: Buffer;
}

export interface ProtoTimestamp {
  seconds: number;
  nanos: number;
}

/**
 * Include dirs, in order: $PAKOSTII_PROTO_DIR, the package's own proto/
 * (filled by scripts/vendor-protos.sh when packaging), then the Debian paths.
 */
export function protoIncludeDirs(): string[] {
  const dirs: string[] = [];
  if (process.env.PAKOSTII_PROTO_DIR) dirs.push(process.env.PAKOSTII_PROTO_DIR);
  const root = findPackageRoot();
  if (root !== undefined) dirs.push(join(root, 'proto'));
  dirs.push(...SYSTEM_PROTO_DIRS);
  return dirs.filter((dir) => existsSync(dir));
}

let loaded: protoLoader.PackageDefinition | undefined;

/** Loads containerd's protos once per process (~40 ms) and caches the definition. */
export function containerdProtos(): protoLoader.PackageDefinition {
  if (loaded) return loaded;
  const includeDirs = protoIncludeDirs();
  const found = includeDirs.some((dir) => existsSync(join(dir, SERVICES.version[0])));
  if (!found) {
    throw new ContainerdError(`load containerd protos failed: ${SERVICES.version[0]} not found in ${includeDirs.join(', ') || '(no include dir exists)'}`, {
      hint: 'install the protos (`sudo apt-get install golang-github-containerd-containerd-dev`) or reinstall pakostii (its proto/ dir holds a copy)',
    });
  }
  try {
    loaded = protoLoader.loadSync([...PROTO_FILES], { ...LOADER_OPTIONS, includeDirs });
  } catch (err) {
    throw toContainerdError(err, { operation: `load containerd protos from ${includeDirs.join(', ')}` });
  }
  return loaded;
}

function messageType(name: string): protoLoader.MessageTypeDefinition<object, object> | undefined {
  const def = containerdProtos()[name];
  return def && def.format === 'Protocol Buffer 3 DescriptorProto'
    ? (def as protoLoader.MessageTypeDefinition<object, object>)
    : undefined;
}

/** An Any holding raw bytes (already-encoded protobuf, or JSON for JSON-typed payloads). */
export function encodeAny(typeUrl: string, value: Uint8Array | string): ProtoAny {
  return { type_url: typeUrl, value: Buffer.from(value) };
}

/** An Any whose payload is JSON (containerd's convention for the OCI runtime spec and process spec). */
export function jsonAny(typeUrl: string, value: unknown): ProtoAny {
  return encodeAny(typeUrl, JSON.stringify(value));
}

/** An Any holding a protobuf message of a loaded type, e.g. 'containerd.events.TaskExit'. */
export function messageAny(typeName: string, value: object): ProtoAny {
  const type = messageType(typeName);
  if (!type) throw new ContainerdError(`encode ${typeName} failed: unknown message type`);
  return { type_url: typeName, value: type.serialize(value) };
}

/**
 * Decodes an Any whose type_url names a loaded protobuf message (with or
 * without a "types.googleapis.com/"-style prefix). Undefined when the type is
 * not one pakostii loaded.
 */
export function decodeAny<T extends object>(any: ProtoAny): T | undefined {
  const name = any.type_url.slice(any.type_url.lastIndexOf('/') + 1);
  const type = messageType(name);
  return type ? (type.deserialize(any.value) as T) : undefined;
}

export function toTimestamp(date: Date): ProtoTimestamp {
  const ms = date.getTime();
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1e6 };
}

export function fromTimestamp(ts: ProtoTimestamp | null | undefined): Date {
  if (!ts) return new Date(0);
  return new Date(Number(ts.seconds) * 1000 + Math.floor(Number(ts.nanos) / 1e6));
}

export interface CallOptions {
  /** Sent as `containerd-lease`: what the call creates is protected from GC by that lease. */
  lease?: string;
  /** Overrides the handle's containerd namespace for this call. */
  namespace?: string;
  /** Cancels the call (it rejects with a ContainerdError, grpcCode CANCELLED). */
  signal?: AbortSignal;
  /** Deadline for the call. */
  timeoutMs?: number;
  /** Names the operation in error messages, e.g. "create container pk-abcde-n1-redis". */
  operation?: string;
}

/** A server-streaming call: iterate it, collect it, or cancel it. */
export interface ServerStream<T> extends AsyncIterable<T> {
  collect(): Promise<T[]>;
  cancel(): void;
}

type AnyClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;
type ClientConstructor = new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ClientOptions) => AnyClient;

const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  // Content.Read chunks and large image indexes exceed the 4 MiB default.
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
  'grpc.max_send_message_length': 64 * 1024 * 1024,
  // unix sockets have no authority; containerd ignores it but HTTP/2 wants one.
  'grpc.default_authority': 'localhost',
};

/** Shared state of every handle on one socket (one channel, one client per service). */
class Connection {
  readonly channel: grpc.Channel;
  private readonly clients = new Map<ServiceName, AnyClient>();
  private readonly grpcObject: grpc.GrpcObject;
  closed = false;

  constructor(readonly socket: string) {
    this.grpcObject = grpc.loadPackageDefinition(containerdProtos());
    this.channel = new grpc.Channel(`unix://${socket}`, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
  }

  client(service: ServiceName): AnyClient {
    let client = this.clients.get(service);
    if (!client) {
      let node: unknown = this.grpcObject;
      for (const part of SERVICES[service][1].split('.')) node = (node as Record<string, unknown>)[part];
      const Ctor = node as ClientConstructor;
      client = new Ctor(`unix://${this.socket}`, grpc.credentials.createInsecure(), { channelOverride: this.channel });
      this.clients.set(service, client);
    }
    return client;
  }

  close(): void {
    this.closed = true;
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
    this.channel.close();
  }
}

/**
 * A handle on containerd for one namespace. `withNamespace` returns another
 * handle sharing the same channel; `close` closes the channel for all of them.
 */
export class ContainerdGrpc {
  private constructor(
    private readonly connection: Connection,
    readonly namespace: string,
  ) {}

  /** Opens (lazily: the first call connects) a channel to unix://<socket>. */
  static open(options: { socket?: string; namespace: string }): ContainerdGrpc {
    return new ContainerdGrpc(new Connection(options.socket ?? DEFAULT_CONTAINERD_SOCKET), options.namespace);
  }

  get socket(): string {
    return this.connection.socket;
  }

  withNamespace(namespace: string): ContainerdGrpc {
    return new ContainerdGrpc(this.connection, namespace);
  }

  close(): void {
    this.connection.close();
  }

  metadata(options: CallOptions = {}): grpc.Metadata {
    const md = new grpc.Metadata();
    md.set('containerd-namespace', options.namespace ?? this.namespace);
    if (options.lease) md.set('containerd-lease', options.lease);
    return md;
  }

  private callOptions(options: CallOptions): grpc.CallOptions {
    return options.timeoutMs === undefined ? {} : { deadline: Date.now() + options.timeoutMs };
  }

  private fail(err: unknown, service: ServiceName, method: string, options: CallOptions): ContainerdError {
    return toContainerdError(err, { operation: options.operation ?? `containerd ${service}.${method}`, socket: this.socket });
  }

  private method(service: ServiceName, method: string): (...args: unknown[]) => grpc.Call {
    if (this.connection.closed) {
      throw new ContainerdError(`containerd ${service}.${method} failed: this containerd client was closed`, {
        hint: 'a bug in the caller: connect again instead of using a closed client',
      });
    }
    const client = this.connection.client(service);
    const fn = client[method];
    if (typeof fn !== 'function') throw new ContainerdError(`containerd ${service}.${method}: no such method in the loaded protos`);
    return fn.bind(client) as (...args: unknown[]) => grpc.Call;
  }

  /** A unary call. Request/response use proto field names (snake_case). */
  unary<Res = Record<string, unknown>>(service: ServiceName, method: string, request: object, options: CallOptions = {}): Promise<Res> {
    let invoke: (...args: unknown[]) => grpc.Call;
    try {
      invoke = this.method(service, method);
    } catch (err) {
      return Promise.reject(this.fail(err, service, method, options));
    }
    return new Promise<Res>((resolve, reject) => {
      if (options.signal?.aborted) return reject(this.fail(abortError(), service, method, options));
      const call = invoke(request, this.metadata(options), this.callOptions(options), (err: grpc.ServiceError | null, res: Res) => {
        options.signal?.removeEventListener('abort', onAbort);
        if (err) reject(this.fail(err, service, method, options));
        else resolve(res);
      });
      const onAbort = (): void => call.cancel();
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** A server-streaming call (Content.Read, Snapshots.List, Events.Subscribe…). */
  serverStream<Res = Record<string, unknown>>(service: ServiceName, method: string, request: object, options: CallOptions = {}): ServerStream<Res> {
    const call = this.method(service, method)(request, this.metadata(options), this.callOptions(options)) as grpc.ClientReadableStream<Res>;
    const onAbort = (): void => call.cancel();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    call.on('close', () => options.signal?.removeEventListener('abort', onAbort));
    let cancelled = false;
    const self = this;
    return {
      cancel(): void {
        cancelled = true;
        call.cancel();
      },
      async collect(): Promise<Res[]> {
        const out: Res[] = [];
        for await (const item of this) out.push(item);
        return out;
      },
      async *[Symbol.asyncIterator](): AsyncIterator<Res> {
        try {
          for await (const item of call) yield item as Res;
        } catch (err) {
          // A cancel we asked for ends the stream quietly.
          if (cancelled && (err as { code?: number }).code === grpc.status.CANCELLED) return;
          throw self.fail(err, service, method, options);
        }
      },
    };
  }

  /** A client-streaming call: write requests, end(), then await `response`. */
  clientStream<Req extends object, Res = Record<string, unknown>>(
    service: ServiceName,
    method: string,
    options: CallOptions = {},
  ): { stream: grpc.ClientWritableStream<Req>; response: Promise<Res> } {
    let stream!: grpc.ClientWritableStream<Req>;
    const response = new Promise<Res>((resolve, reject) => {
      stream = this.method(service, method)(this.metadata(options), this.callOptions(options), (err: grpc.ServiceError | null, res: Res) =>
        err ? reject(this.fail(err, service, method, options)) : resolve(res),
      ) as grpc.ClientWritableStream<Req>;
    });
    return { stream, response };
  }

  /**
   * A bidirectional stream (Content.Write). Its 'error' events are raw gRPC
   * errors: pass them through `toContainerdError` (lib/containerd/errors.ts).
   */
  bidiStream<Req extends object, Res = Record<string, unknown>>(
    service: ServiceName,
    method: string,
    options: CallOptions = {},
  ): grpc.ClientDuplexStream<Req, Res> {
    return this.method(service, method)(this.metadata(options), this.callOptions(options)) as grpc.ClientDuplexStream<Req, Res>;
  }
}

function abortError(): Error {
  return Object.assign(new Error('the call was aborted before it started'), { code: grpc.status.CANCELLED, details: 'aborted' });
}
