/**
 * containerd's v1 protos as pakostii loads them (once per process) and the
 * well-known types its messages carry (Any, Timestamp). grpc.ts builds the
 * service clients on these definitions.
 *
 * Messages keep the proto field names (keepCase: snake_case), int64 arrive as
 * numbers, enums as their names, bytes as Buffer, absent fields as defaults.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import { ContainerdError } from '../errors.js';
import { findPackageRoot } from '../host/package-root.js';
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
