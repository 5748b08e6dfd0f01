/**
 * The requests and responses of every containerd method pakostii calls, in the
 * protos' own field names (snake_case, as protos.ts loads them) and only with
 * the fields pakostii sends or reads. They are written by hand and checked
 * against the vendored protos (test/containerd/api-protos.test.ts generates the
 * protos' types and fails on a field or a method the protos do not have).
 * ContainerdApi (api.ts) pairs them with their methods.
 */
import type { ProtoAny, ProtoTimestamp } from './protos.js';

/** A proto message with no field (google.protobuf.Empty, and requests that send nothing). */
export type Empty = Record<never, never>;

export type Labels = Record<string, string>;

/** A mount of a snapshot, as the Snapshots service answers and Tasks.Create takes it. */
export interface Mount {
  type: string;
  source: string;
  target?: string;
  options: string[];
}

export interface PbDescriptor {
  media_type: string;
  digest: string;
  size: number;
  annotations?: Labels;
}

export interface FieldMask {
  paths: string[];
}

export interface Filters {
  filters?: string[];
}

// version, introspection, namespaces

export interface VersionResponse {
  version: string;
  revision: string;
}

export interface PbPlugin {
  type: string;
  id: string;
  init_err: { code: number; message: string } | null;
}

export interface NamespacesResponse {
  namespaces: Array<{ name: string; labels: Labels }>;
}

// tasks

export interface TaskRef {
  container_id: string;
  exec_id?: string;
}

export interface PbProcess {
  container_id: string;
  id: string;
  pid: number;
  /** The Status enum's name: CREATED, RUNNING, STOPPED, PAUSED, PAUSING, UNKNOWN. */
  status: string;
  exit_status: number;
  exited_at: ProtoTimestamp | null;
}

export interface ProcessStdio {
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
}

export interface CreateTaskRequest extends ProcessStdio {
  container_id: string;
  rootfs: Mount[];
}

export interface ExecProcessRequest extends ProcessStdio {
  container_id: string;
  exec_id: string;
  spec: ProtoAny;
}

export interface KillRequest extends TaskRef {
  signal: number;
  all: boolean;
}

export interface ExitResponse {
  exit_status: number;
  exited_at: ProtoTimestamp | null;
}

// containers

export interface PbContainer {
  id: string;
  labels: Labels;
  image: string;
  runtime: { name: string } | null;
  spec: ProtoAny | null;
  snapshotter: string;
  snapshot_key: string;
}

export interface NewContainer {
  id: string;
  labels: Labels;
  image: string;
  runtime: { name: string };
  spec: ProtoAny;
  snapshotter: string;
  snapshot_key: string;
}

// snapshots

export interface SnapshotRef {
  snapshotter: string;
  key: string;
}

export interface PbSnapshotInfo {
  name: string;
  parent: string;
  /** The Kind enum's name: VIEW, ACTIVE, COMMITTED, UNKNOWN. */
  kind: string;
  labels: Labels;
}

export interface PrepareSnapshotRequest extends SnapshotRef {
  parent: string;
  labels: Labels;
}

export interface CommitSnapshotRequest extends SnapshotRef {
  name: string;
  labels: Labels;
}

// leases

export interface PbLease {
  id: string;
  labels: Labels;
}

export interface LeaseResource {
  id: string;
  type: string;
}

// content

export interface PbContentInfo {
  digest: string;
  size: number;
  labels: Labels;
}

export interface WriteContentRequest {
  action: 'STAT' | 'WRITE' | 'COMMIT';
  ref: string;
  total?: number;
  expected?: string;
  offset?: number;
  data?: Uint8Array;
  labels?: Labels;
}

export interface WriteContentResponse {
  action: string;
  offset: number;
  total: number;
  digest: string;
}

// images

export interface PbImage {
  name: string;
  labels: Labels;
  target: PbDescriptor | null;
}

// events

export interface Envelope {
  namespace: string;
  topic: string;
  event: ProtoAny | null;
}
