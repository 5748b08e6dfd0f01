/**
 * Types of the containerd layer (internal, NOT part of the public API): what
 * the client takes and returns. containerd's gRPC API over @grpc/grpc-js, no
 * `ctr`, no child processes; errors are `ContainerdError` (lib/errors.ts) with
 * a hint a person can act on.
 */

export interface ImageInfo {
  /** Full normalized reference, e.g. "docker.io/library/redis:7" or "pakostii.local/etcd:3.4". */
  name: string;
  /** Digest of the manifest (platform-specific) used for this machine. */
  digest: string;
  /** Snapshot chain id of the unpacked rootfs (overlayfs snapshotter). */
  chainId: string;
  /** Image config: entrypoint, cmd, env, working dir, user. */
  config: { entrypoint: string[]; cmd: string[]; env: string[]; workingDir: string; user: string };
}

export interface PullProgress {
  ref: string;
  bytesDone: number;
  bytesTotal: number;
}

/** What createContainer needs: one service of one node, resolved to containerd's terms. */
export interface ContainerCreateRequest {
  /** containerd container id; also the snapshot key. */
  id: string;
  /** Image reference, already present (see ensureImage). */
  image: string;
  hostname: string;
  /** /run/netns/<name> of the node. */
  netnsPath: string;
  /** Merged over the image's env. */
  env: Record<string, string>;
  /** Replaces the image's entrypoint+cmd when given. */
  command?: string[];
  /** Read-only bind mounts (e.g. /etc/hosts, user files). */
  mounts: Array<{ source: string; destination: string }>;
  /** Labels on container, snapshot and lease (run id, node, service). */
  labels: Record<string, string>;
  /** Absolute host paths the service's stdout/stderr are appended to; survive a crash of the runner. */
  stdoutPath: string;
  stderrPath: string;
  /** cgroup path, e.g. /pakostii/<runId>/<node>-<service>. */
  cgroupsPath: string;
}

export interface ExecResult {
  exitCode: number;
  /** stdout decoded as UTF-8 (invalid sequences become U+FFFD): use stdoutBytes for binary output. */
  stdout: string;
  stderr: string;
  /** stdout byte for byte. */
  stdoutBytes: Buffer;
  stderrBytes: Buffer;
  /** More output than the limit (maxOutputBytes) was written; the rest was dropped. */
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
}

export type TaskStatus = 'created' | 'running' | 'paused' | 'stopped' | 'unknown';

export interface Container {
  readonly id: string;
  /** Create the task (with log files) and start it. */
  start(): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGTERM, wait up to timeoutMs, then SIGKILL; deletes the task. Resolves with the exit code. */
  stop(options?: { timeoutMs?: number }): Promise<number>;
  /** stop() then start(): a new task, same container and snapshot. */
  restart(options?: { timeoutMs?: number }): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  status(): Promise<TaskStatus>;
  exec(
    argv: string[],
    options?: { env?: Record<string, string>; cwd?: string; timeoutMs?: number; signal?: AbortSignal; maxOutputBytes?: number },
  ): Promise<ExecResult>;
  /** Kill and delete task, container and snapshot. Idempotent. */
  remove(): Promise<void>;
  /** Where the host can read and write the container's files (running: /proc/<pid>/root; stopped: the snapshot's layers). */
  rootfs(): Promise<RootfsLocation>;
  /** What the service wrote to stdout and stderr since its last start() (from the log files). */
  logsSinceStart(): Promise<{ stdout: string; stderr: string }>;
}

/**
 * A container's root filesystem as host directories. Running: one directory,
 * /proc/<pid>/root, the container's own merged view. Stopped: the snapshot's
 * overlay layers, top (the writable upperdir) first, still carrying overlayfs's
 * marks (whiteouts, opaque directories) that a reader must honour.
 */
export interface RootfsLocation {
  readonly state: 'running' | 'stopped';
  readonly layers: readonly string[];
  /** e.g. "container <id> (stopped)", for messages. */
  readonly description: string;
}

export interface TaskExitEvent {
  containerId: string;
  exitCode: number;
  exitedAt: Date;
}

/** One containerd plugin as Introspection.Plugins reports it. */
export interface PluginInfo {
  /** e.g. "io.containerd.snapshotter.v1". */
  type: string;
  /** e.g. "overlayfs". */
  id: string;
  /** Present when the plugin failed to initialize (its init error message). */
  initError?: string;
}

export interface RunObjects {
  containers: string[];
  snapshots: string[];
  leases: string[];
}
