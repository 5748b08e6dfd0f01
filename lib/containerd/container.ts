/**
 * A service container: created once (snapshot + container record under a
 * short-lived lease), then any number of tasks (start/stop/restart), each
 * logging through the binary:// writer into the spec's two files. Its parts
 * live apart: tasks.ts, exec.ts, image-files.ts (the image's user database),
 * oci-spec.ts, log-writer.ts, overlay-view.ts (the snapshot's layers).
 */
import { open, stat } from 'node:fs/promises';
import { ContainerdError, StateError } from '../errors.js';
import { LABELS } from '../host/names.js';
import { api } from './api.js';
import { ignoreNotFound, isNotFound } from './errors.js';
import { execInContainer } from './exec.js';
import type { ContainerdGrpc } from './grpc.js';
import { jsonAny } from './protos.js';
import type { Mount } from './images/rpc.js';
import type { Container, ContainerCreateRequest, ExecResult, ImageInfo, RootfsLocation, TaskStatus } from './types.js';
import { readUserDatabase } from './image-files.js';
import { rootfsLayers, type ReadXattr } from './overlay-view.js';
import { ensureLogWriter, logUri, prepareLogFiles } from './log-writer.js';
import { containerNofile } from './nofile.js';
import { buildRuntimeSpec, resolveUser, RUNC_RUNTIME, RUNTIME_SPEC_TYPE_URL, type OciSpec } from './oci-spec.js';
import {
  createTask,
  deleteTask,
  getTask,
  killTask,
  pauseTask,
  resumeTask,
  startTask,
  waitTask,
  type ExitStatus,
} from './tasks.js';

export const SNAPSHOTTER = 'overlayfs';
const DEFAULT_STOP_TIMEOUT_MS = 10_000;
/** After SIGKILL a process dies at once; this only bounds a wedged shim. */
const KILL_GRACE_MS = 10_000;

/** Creates snapshot + container (see the class comment); undoes both when anything fails. */
export async function createContainer(grpc: ContainerdGrpc, spec: ContainerCreateRequest, image: ImageInfo, readXattr: ReadXattr): Promise<ServiceContainer> {
  // Without a lease, the prepared snapshot is unreferenced until the container exists and GC may take it.
  const lease = `${spec.id}.create`;
  const { leases, snapshots, containers } = api(grpc);
  await leases.create({ id: lease, labels: spec.labels }, { operation: `create lease ${lease}` });
  let prepared = false;
  try {
    const { mounts } = await snapshots.prepare(
      { snapshotter: SNAPSHOTTER, key: spec.id, parent: image.chainId, labels: spec.labels },
      { lease, operation: `prepare snapshot ${spec.id} from image ${image.name}` },
    );
    prepared = true;
    const user = resolveUser(image.config.user, await readUserDatabase(mounts, image.name, readXattr), image.name);
    const runtimeSpec = buildRuntimeSpec({ spec, image, user, nofile: await containerNofile() });
    await containers.create(
      {
        container: {
          id: spec.id,
          labels: spec.labels,
          image: image.name,
          runtime: { name: RUNC_RUNTIME },
          spec: jsonAny(RUNTIME_SPEC_TYPE_URL, runtimeSpec),
          snapshotter: SNAPSHOTTER,
          snapshot_key: spec.id,
        },
      },
      { lease, operation: `create container ${spec.id}` },
    );
    return new ServiceContainer(grpc, spec, runtimeSpec);
  } catch (err) {
    if (prepared) await ignoreNotFound(snapshots.remove({ snapshotter: SNAPSHOTTER, key: spec.id })).catch(() => undefined);
    throw err;
  } finally {
    await ignoreNotFound(leases.delete({ id: lease, sync: false })).catch(() => undefined);
  }
}

export class ServiceContainer implements Container {
  /** Wait call issued before the current task started (containerd wants Wait before Start). */
  private exit: Promise<ExitStatus> | undefined;
  private logOffsets = { stdout: 0, stderr: 0 };

  constructor(
    private readonly grpc: ContainerdGrpc,
    readonly spec: ContainerCreateRequest,
    readonly runtimeSpec: OciSpec,
  ) {}

  get id(): string {
    return this.spec.id;
  }

  /** The service's name for people: its label, else the container id. */
  get serviceName(): string {
    return this.spec.labels[LABELS.service] ?? this.spec.id;
  }

  private notRunning(action: string): ContainerdError {
    return new ContainerdError(`${action} failed: service ${this.serviceName} is not running (container ${this.id} has no task)`, {
      grpcCode: 'NOT_FOUND',
      hint: 'start the service first (or check its stderr log: it may have exited)',
    });
  }

  /** The task's status, or undefined when the container has no task. */
  /** The rootfs mounts of the container's snapshot (what a new task mounts, or a stopped one's files). */
  private async mounts(): Promise<Mount[]> {
    const { mounts } = await api(this.grpc).snapshots.mounts({ snapshotter: SNAPSHOTTER, key: this.id }, { operation: `get rootfs mounts of ${this.id}` });
    return mounts;
  }

  private async task(): Promise<TaskStatus | undefined> {
    try {
      return (await getTask(this.grpc, this.id)).status;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async start(): Promise<void> {
    const status = await this.task();
    if (status === 'running' || status === 'paused' || status === 'created') {
      throw new StateError(`start service ${this.serviceName} failed: its task is already ${status}`, {
        hint: 'stop() or restart() it instead',
      });
    }
    // A task that exited on its own is still there until deleted: clear it (logs are kept).
    if (status !== undefined) await ignoreNotFound(deleteTask(this.grpc, this.id));

    const writer = await ensureLogWriter();
    await prepareLogFiles(this.spec.stdoutPath, this.spec.stderrPath);
    // Log files are appended to across restarts: remember where this start's output begins.
    this.logOffsets = { stdout: (await stat(this.spec.stdoutPath)).size, stderr: (await stat(this.spec.stderrPath)).size };
    const uri = logUri(writer, this.spec.stdoutPath, this.spec.stderrPath);
    const mounts = await this.mounts();
    await createTask(this.grpc, { containerId: this.id, rootfs: mounts, stdout: uri, stderr: uri });
    try {
      const exit = waitTask(this.grpc, this.id);
      exit.catch(() => undefined); // observed by stop()/remove(); never an unhandled rejection
      this.exit = exit;
      await startTask(this.grpc, this.id);
    } catch (err) {
      this.exit = undefined;
      await killTask(this.grpc, this.id, 'SIGKILL', { all: true }).catch(() => undefined);
      await ignoreNotFound(deleteTask(this.grpc, this.id)).catch(() => undefined);
      throw err;
    }
  }

  async rootfs(): Promise<RootfsLocation> {
    const task = await getTask(this.grpc, this.id).catch((err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw err;
    });
    if (task && task.status !== 'stopped' && task.pid > 0) return { state: 'running', layers: [`/proc/${task.pid}/root`], description: `container ${this.id} (running)` };
    const mounts = await this.mounts();
    return { state: 'stopped', layers: rootfsLayers(mounts), description: `container ${this.id} (stopped)` };
  }

  async logsSinceStart(): Promise<{ stdout: string; stderr: string }> {
    const since = async (path: string, offset: number): Promise<string> => {
      const file = await open(path, 'r').catch(() => undefined);
      if (!file) return '';
      try {
        const { size } = await file.stat();
        const buffer = Buffer.alloc(Math.max(0, size - offset));
        await file.read(buffer, 0, buffer.length, offset);
        return buffer.toString('utf8');
      } finally {
        await file.close();
      }
    };
    return { stdout: await since(this.spec.stdoutPath, this.logOffsets.stdout), stderr: await since(this.spec.stderrPath, this.logOffsets.stderr) };
  }

  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    try {
      await killTask(this.grpc, this.id, signal);
    } catch (err) {
      if (isNotFound(err)) throw this.notRunning(`send ${signal} to service ${this.serviceName}`);
      throw err;
    }
  }

  private waitForExit(timeoutMs: number): Promise<ExitStatus | undefined> {
    const abort = new AbortController();
    const exit = this.exit ?? waitTask(this.grpc, this.id, '', abort.signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    return Promise.race([exit, timeout]).finally(() => {
      clearTimeout(timer);
      abort.abort();
    });
  }

  async stop(options: { timeoutMs?: number } = {}): Promise<number> {
    const status = await this.task();
    if (status === undefined) throw this.notRunning(`stop service ${this.serviceName}`);
    // A frozen process cannot act on SIGTERM (nor, under cgroup v1, die of SIGKILL): thaw first.
    if (status === 'paused') await resumeTask(this.grpc, this.id);
    if (status !== 'stopped') {
      await ignoreNotFound(killTask(this.grpc, this.id, 'SIGTERM'));
      const exited = await this.waitForExit(options.timeoutMs ?? DEFAULT_STOP_TIMEOUT_MS);
      if (!exited) {
        await ignoreNotFound(killTask(this.grpc, this.id, 'SIGKILL', { all: true }));
        if (!(await this.waitForExit(KILL_GRACE_MS))) {
          throw new ContainerdError(`stop service ${this.serviceName} failed: still running ${KILL_GRACE_MS} ms after SIGKILL`, {
            hint: 'the process may be stuck in the kernel (D state); check `ps` and the containerd log',
          });
        }
      }
    }
    this.exit = undefined;
    const deleted = await ignoreNotFound(deleteTask(this.grpc, this.id));
    return deleted?.exitCode ?? 0;
  }

  async restart(options: { timeoutMs?: number } = {}): Promise<void> {
    if ((await this.task()) !== undefined) await this.stop(options);
    await this.start();
  }

  pause(): Promise<void> {
    return this.onTask('pause', () => pauseTask(this.grpc, this.id));
  }

  resume(): Promise<void> {
    return this.onTask('resume', () => resumeTask(this.grpc, this.id));
  }

  /** A call on the running task: no task is "not running", said as such. */
  private async onTask(action: string, call: () => Promise<void>): Promise<void> {
    try {
      await call();
    } catch (err) {
      if (isNotFound(err)) throw this.notRunning(`${action} service ${this.serviceName}`);
      throw err;
    }
  }

  async status(): Promise<TaskStatus> {
    return (await this.task()) ?? 'stopped';
  }

  async exec(
    argv: string[],
    options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number; signal?: AbortSignal; maxOutputBytes?: number } = {},
  ): Promise<ExecResult> {
    const status = await this.task();
    if (status !== 'running') {
      throw new ContainerdError(
        `exec ${JSON.stringify(argv)} in service ${this.serviceName} failed: service ${this.serviceName} is not running` +
          (status ? ` (its task is ${status})` : ''),
        { grpcCode: 'FAILED_PRECONDITION', hint: status === 'paused' ? 'resume() it first' : 'start the service first (or check its stderr log)' },
      );
    }
    return execInContainer(this.grpc, { containerId: this.id, serviceName: this.serviceName, process: this.runtimeSpec.process }, argv, options);
  }

  async remove(): Promise<void> {
    await removeContainer(this.grpc, this.id);
    this.exit = undefined;
  }
}

/**
 * Kills and deletes the task, deletes the container and its snapshot.
 * Idempotent: every "not found" is success. Used by remove() and the janitor path.
 */
export async function removeContainer(grpc: ContainerdGrpc, id: string): Promise<void> {
  const status = await getTask(grpc, id).then(
    (t) => t.status,
    (err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw err;
    },
  );
  if (status !== undefined) {
    if (status === 'paused') await ignoreNotFound(resumeTask(grpc, id)).catch(() => undefined);
    if (status !== 'stopped') {
      const abort = new AbortController();
      const exited = waitTask(grpc, id, '', abort.signal).catch(() => undefined);
      await ignoreNotFound(killTask(grpc, id, 'SIGKILL', { all: true })).catch(() => undefined);
      const timer = setTimeout(() => abort.abort(), KILL_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
    await ignoreNotFound(deleteTask(grpc, id));
  }
  await ignoreNotFound(api(grpc).containers.delete({ id }, { operation: `delete container ${id}` }));
  await ignoreNotFound(api(grpc).snapshots.remove({ snapshotter: SNAPSHOTTER, key: id }, { operation: `remove snapshot ${id}` }));
}
