/**
 * containerd's services as typed ports: `api(grpc).tasks.start({ container_id })`.
 * This is the one place that names a service's methods; everything else in
 * lib/containerd calls these ports. ContainerdApi says what each method sends
 * and answers (api-messages.ts, checked against the vendored protos by
 * test/containerd/api-protos.test.ts); METHODS says how it is called, and a
 * port method `fooBar` is the proto's `FooBar`.
 */
import type { ClientDuplexStream } from '@grpc/grpc-js';
import type { CallOptions, ContainerdGrpc, ServerStream } from './grpc.js';
import type * as M from './api-messages.js';
import type { ServiceName } from './protos.js';

/** How a method is called: one request and one response, a stream of responses, or lockstep both ways. */
export type CallKind = 'unary' | 'serverStream' | 'bidiStream';

interface Method<K extends CallKind, Req, Res> {
  kind: K;
  request: Req;
  response: Res;
}
type Unary<Req, Res> = Method<'unary', Req, Res>;
type Stream<Req, Res> = Method<'serverStream', Req, Res>;
type Bidi<Req, Res> = Method<'bidiStream', Req, Res>;

/** Every containerd method pakostii calls, by service (the keys of protos.ts SERVICES). */
export interface ContainerdApi {
  version: {
    version: Unary<M.Empty, M.VersionResponse>;
  };
  introspection: {
    plugins: Unary<M.Filters, { plugins: M.PbPlugin[] }>;
  };
  namespaces: {
    list: Unary<M.Empty, M.NamespacesResponse>;
    delete: Unary<{ name: string }, M.Empty>;
  };
  tasks: {
    create: Unary<M.CreateTaskRequest, { pid: number }>;
    start: Unary<M.TaskRef, { pid: number }>;
    wait: Unary<M.TaskRef, M.ExitResponse>;
    kill: Unary<M.KillRequest, M.Empty>;
    delete: Unary<{ container_id: string }, M.ExitResponse>;
    deleteProcess: Unary<M.TaskRef & { exec_id: string }, M.ExitResponse>;
    get: Unary<M.TaskRef, { process: M.PbProcess | null }>;
    list: Unary<{ filter?: string }, { tasks: M.PbProcess[] }>;
    listPids: Unary<{ container_id: string }, { processes: Array<{ pid: number }> }>;
    pause: Unary<{ container_id: string }, M.Empty>;
    resume: Unary<{ container_id: string }, M.Empty>;
    exec: Unary<M.ExecProcessRequest, M.Empty>;
  };
  containers: {
    create: Unary<{ container: M.NewContainer }, M.Empty>;
    get: Unary<{ id: string }, { container: M.PbContainer | null }>;
    list: Unary<M.Filters, { containers: M.PbContainer[] }>;
    delete: Unary<{ id: string }, M.Empty>;
  };
  snapshots: {
    prepare: Unary<M.PrepareSnapshotRequest, { mounts: M.Mount[] }>;
    mounts: Unary<M.SnapshotRef, { mounts: M.Mount[] }>;
    stat: Unary<M.SnapshotRef, { info: M.PbSnapshotInfo | null }>;
    commit: Unary<M.CommitSnapshotRequest, M.Empty>;
    remove: Unary<M.SnapshotRef, M.Empty>;
    list: Stream<M.Filters & { snapshotter: string }, { info: M.PbSnapshotInfo[] }>;
  };
  leases: {
    create: Unary<M.PbLease, M.Empty>;
    delete: Unary<{ id: string; sync: boolean }, M.Empty>;
    list: Unary<M.Filters, { leases: M.PbLease[] }>;
    addResource: Unary<{ id: string; resource: M.LeaseResource }, M.Empty>;
    listResources: Unary<{ id: string }, { resources: M.LeaseResource[] }>;
  };
  content: {
    info: Unary<{ digest: string }, { info: M.PbContentInfo | null }>;
    update: Unary<{ info: Pick<M.PbContentInfo, 'digest' | 'labels'>; update_mask: M.FieldMask }, M.Empty>;
    abort: Unary<{ ref: string }, M.Empty>;
    delete: Unary<{ digest: string }, M.Empty>;
    read: Stream<{ digest: string }, { data: Buffer }>;
    list: Stream<M.Filters, { info: M.PbContentInfo[] }>;
    listStatuses: Unary<M.Filters, { statuses: Array<{ ref: string }> }>;
    write: Bidi<M.WriteContentRequest, M.WriteContentResponse>;
  };
  images: {
    get: Unary<{ name: string }, { image: M.PbImage | null }>;
    create: Unary<{ image: M.PbImage }, M.Empty>;
    update: Unary<{ image: M.PbImage; update_mask: M.FieldMask }, M.Empty>;
    delete: Unary<{ name: string; sync: boolean }, M.Empty>;
    list: Unary<M.Filters, { images: M.PbImage[] }>;
  };
  diff: {
    apply: Unary<{ diff: M.PbDescriptor; mounts: M.Mount[] }, { applied: M.PbDescriptor | null }>;
  };
  events: {
    subscribe: Stream<M.Filters, M.Envelope>;
    publish: Unary<{ topic: string; event: M.Envelope['event'] }, M.Empty>;
  };
}

/** How each method is called; the same keys as ContainerdApi (the compiler holds them together). */
export const METHODS = {
  version: { version: 'unary' },
  introspection: { plugins: 'unary' },
  namespaces: { list: 'unary', delete: 'unary' },
  tasks: {
    create: 'unary',
    start: 'unary',
    wait: 'unary',
    kill: 'unary',
    delete: 'unary',
    deleteProcess: 'unary',
    get: 'unary',
    list: 'unary',
    listPids: 'unary',
    pause: 'unary',
    resume: 'unary',
    exec: 'unary',
  },
  containers: { create: 'unary', get: 'unary', list: 'unary', delete: 'unary' },
  snapshots: { prepare: 'unary', mounts: 'unary', stat: 'unary', commit: 'unary', remove: 'unary', list: 'serverStream' },
  leases: { create: 'unary', delete: 'unary', list: 'unary', addResource: 'unary', listResources: 'unary' },
  content: {
    info: 'unary',
    update: 'unary',
    abort: 'unary',
    delete: 'unary',
    read: 'serverStream',
    list: 'serverStream',
    listStatuses: 'unary',
    write: 'bidiStream',
  },
  images: { get: 'unary', create: 'unary', update: 'unary', delete: 'unary', list: 'unary' },
  diff: { apply: 'unary' },
  events: { subscribe: 'serverStream', publish: 'unary' },
} as const satisfies { [S in ServiceName]: { [K in keyof ContainerdApi[S]]: ContainerdApi[S][K] extends Method<infer C, unknown, unknown> ? C : never } };

/** The proto's name of a port method: `deleteProcess` → `DeleteProcess`. */
export function protoMethod(method: string): string {
  return method.charAt(0).toUpperCase() + method.slice(1);
}

type PortMethod<T> =
  T extends Unary<infer Req, infer Res>
    ? (request: Req, options?: CallOptions) => Promise<Res>
    : T extends Stream<infer Req, infer Res>
      ? (request: Req, options?: CallOptions) => ServerStream<Res>
      : T extends Bidi<infer Req, infer Res>
        ? (options?: CallOptions) => ClientDuplexStream<Req, Res>
        : never;

export type ServicePort<S extends ServiceName> = { readonly [K in keyof ContainerdApi[S]]: PortMethod<ContainerdApi[S][K]> };
export type ContainerdPorts = { readonly [S in ServiceName]: ServicePort<S> };

const cache = new WeakMap<ContainerdGrpc, ContainerdPorts>();

/** The typed ports over one gRPC handle (and its namespace); made once per handle. */
export function api(grpc: ContainerdGrpc): ContainerdPorts {
  let ports = cache.get(grpc);
  if (!ports) {
    ports = buildPorts(grpc);
    cache.set(grpc, ports);
  }
  return ports;
}

function buildPorts(grpc: ContainerdGrpc): ContainerdPorts {
  const call = (service: ServiceName, method: string, kind: CallKind): ((...args: never[]) => unknown) => {
    const name = protoMethod(method);
    switch (kind) {
      case 'unary':
        return (request: object, options?: CallOptions) => grpc.unary(service, name, request, options);
      case 'serverStream':
        return (request: object, options?: CallOptions) => grpc.serverStream(service, name, request, options);
      case 'bidiStream':
        return (options?: CallOptions) => grpc.bidiStream(service, name, options);
    }
  };
  const services = Object.entries(METHODS).map(([service, methods]) => [
    service,
    Object.fromEntries(Object.entries(methods).map(([method, kind]) => [method, call(service as ServiceName, method, kind)])),
  ]);
  return Object.fromEntries(services) as ContainerdPorts;
}
