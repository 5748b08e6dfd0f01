/**
 * Thin wrappers over containerd's Tasks service, through its port in api.ts
 * (one process tree per container; exec processes are addressed by exec_id). Every error names the
 * task; NOT_FOUND handling is left to callers that know what "absent" means.
 */
import { constants } from 'node:os';
import { ContainerdError } from '../errors.js';
import type { TaskStatus } from './types.js';
import { api } from './api.js';
import type { ContainerdGrpc } from './grpc.js';
import { fromTimestamp, type ProtoAny } from './protos.js';
import type { Mount } from './images/rpc.js';

export interface ExitStatus {
  exitCode: number;
  exitedAt: Date;
}

export interface TaskInfo {
  pid: number;
  status: TaskStatus;
}

const what = (containerId: string, execId?: string): string => (execId ? `exec ${execId} in ${containerId}` : `task ${containerId}`);

/** Signal name (SIGTERM) or number → number. */
export function signalNumber(signal: NodeJS.Signals | number): number {
  if (typeof signal === 'number') return signal;
  const n = (constants.signals as Record<string, number | undefined>)[signal];
  if (n === undefined) throw new ContainerdError(`unknown signal ${signal}`, { hint: 'use a POSIX signal name such as SIGTERM or SIGKILL' });
  return n;
}

export function toTaskStatus(status: string): TaskStatus {
  switch (status) {
    case 'CREATED':
      return 'created';
    case 'RUNNING':
      return 'running';
    case 'STOPPED':
      return 'stopped';
    case 'PAUSED':
    case 'PAUSING':
      return 'paused';
    default:
      return 'unknown';
  }
}

export async function createTask(
  grpc: ContainerdGrpc,
  request: { containerId: string; rootfs: Mount[]; stdout: string; stderr: string },
): Promise<number> {
  const res = await api(grpc).tasks.create(
    {
      container_id: request.containerId,
      rootfs: request.rootfs.map((m) => ({ type: m.type, source: m.source, target: m.target ?? '', options: m.options })),
      stdin: '',
      stdout: request.stdout,
      stderr: request.stderr,
      terminal: false,
    },
    { operation: `create ${what(request.containerId)}` },
  );
  return res.pid;
}

export async function startTask(grpc: ContainerdGrpc, containerId: string, execId = ''): Promise<number> {
  const res = await api(grpc).tasks.start({ container_id: containerId, exec_id: execId }, { operation: `start ${what(containerId, execId)}` });
  return res.pid;
}

/** Resolves when the process exits (immediately when it already has). Issue before startTask. */
export async function waitTask(grpc: ContainerdGrpc, containerId: string, execId = '', signal?: AbortSignal): Promise<ExitStatus> {
  const res = await api(grpc).tasks.wait(
    { container_id: containerId, exec_id: execId },
    { operation: `wait for ${what(containerId, execId)}`, ...(signal ? { signal } : {}) },
  );
  return { exitCode: res.exit_status, exitedAt: fromTimestamp(res.exited_at) };
}

export async function killTask(
  grpc: ContainerdGrpc,
  containerId: string,
  signal: NodeJS.Signals | number,
  options: { all?: boolean; execId?: string } = {},
): Promise<void> {
  await api(grpc).tasks.kill(
    { container_id: containerId, exec_id: options.execId ?? '', signal: signalNumber(signal), all: options.all ?? false },
    { operation: `send ${typeof signal === 'number' ? `signal ${signal}` : signal} to ${what(containerId, options.execId)}` },
  );
}

/** Deletes a stopped task (containerd refuses a running one). Resolves its exit status. */
export async function deleteTask(grpc: ContainerdGrpc, containerId: string): Promise<ExitStatus> {
  const res = await api(grpc).tasks.delete({ container_id: containerId }, { operation: `delete ${what(containerId)}` });
  return { exitCode: res.exit_status, exitedAt: fromTimestamp(res.exited_at) };
}

export async function deleteProcess(grpc: ContainerdGrpc, containerId: string, execId: string): Promise<void> {
  await api(grpc).tasks.deleteProcess({ container_id: containerId, exec_id: execId }, { operation: `delete ${what(containerId, execId)}` });
}

export async function getTask(grpc: ContainerdGrpc, containerId: string, execId = ''): Promise<TaskInfo> {
  const { process: found } = await api(grpc).tasks.get({ container_id: containerId, exec_id: execId }, { operation: `get ${what(containerId, execId)}` });
  if (!found) throw new ContainerdError(`get ${what(containerId, execId)} failed: containerd answered without the process`);
  return { pid: found.pid, status: toTaskStatus(found.status) };
}

export async function pauseTask(grpc: ContainerdGrpc, containerId: string): Promise<void> {
  await api(grpc).tasks.pause({ container_id: containerId }, { operation: `pause ${what(containerId)}` });
}

export async function resumeTask(grpc: ContainerdGrpc, containerId: string): Promise<void> {
  await api(grpc).tasks.resume({ container_id: containerId }, { operation: `resume ${what(containerId)}` });
}

export async function execProcessRequest(
  grpc: ContainerdGrpc,
  request: { containerId: string; execId: string; spec: ProtoAny; stdout: string; stderr: string },
): Promise<void> {
  await api(grpc).tasks.exec(
    {
      container_id: request.containerId,
      exec_id: request.execId,
      stdin: '',
      stdout: request.stdout,
      stderr: request.stderr,
      terminal: false,
      spec: request.spec,
    },
    { operation: `create ${what(request.containerId, request.execId)}` },
  );
}
