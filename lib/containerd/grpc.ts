/**
 * containerd's v1 gRPC services over @grpc/grpc-js (protos and their
 * well-known types: protos.ts): one channel per socket, and promise/stream wrappers that add the
 * `containerd-namespace` (and optional `containerd-lease`) metadata and turn
 * gRPC failures into ContainerdError. This is the transport under the typed
 * ports of api.ts; only api.ts names a method (lint holds everything else to the ports).
 * The same v1 services exist in containerd 1.6, 1.7 and 2.x.
 */
import * as grpc from '@grpc/grpc-js';
import { ContainerdError } from '../errors.js';
import { DEFAULT_CONTAINERD_SOCKET } from '../host/paths.js';
import { toContainerdError } from './errors.js';
import { containerdProtos, SERVICES, type ServiceName } from './protos.js';

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
    const fail = (err: unknown): unknown => this.fail(err, service, method, options);
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
          throw fail(err);
        }
      },
    };
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
