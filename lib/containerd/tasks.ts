/**
 * Thin typed wrappers over containerd's Tasks service (one process tree per
 * container; exec processes are addressed by exec_id). Every error names the
 * task; NOT_FOUND handling is left to callers that know what "absent" means.
 */
import { constants } from 'node:os';
import { ContainerdError } from '../errors.js';
import type { TaskStatus } from './types.js';
import type { ContainerdGrpc } from './grpc.js';
import { fromTimestamp, type ProtoAny, type ProtoTimestamp } from './protos.js';
import type { Mount } from './images/rpc.js';

export interface ExitStatus {
  exitCode: number;
  exitedAt: Date;
}

interface PbProcess {
  container_id: string;
  id: string;
  pid: number;
  status: string;
  exit_status: number;
  exited_at: ProtoTimestamp | null;
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
  const res = await grpc.unary<{ pid: number }>(
    'tasks',
    'Create',
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
  const res = await grpc.unary<{ pid: number }>('tasks', 'Start', { container_id: containerId, exec_id: execId }, { operation: `start ${what(containerId, execId)}` });
  return res.pid;
}

/** Resolves when the process exits (immediately when it already has). Issue before startTask. */
export async function waitTask(grpc: ContainerdGrpc, containerId: string, execId = '', signal?: AbortSignal): Promise<ExitStatus> {
  const res = await grpc.unary<{ exit_status: number; exited_at: ProtoTimestamp | null }>(
    'tasks',
    'Wait',
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
  await grpc.unary(
    'tasks',
    'Kill',
    { container_id: containerId, exec_id: options.execId ?? '', signal: signalNumber(signal), all: options.all ?? false },
    { operation: `send ${typeof signal === 'number' ? `signal ${signal}` : signal} to ${what(containerId, options.execId)}` },
  );
}

/** Deletes a stopped task (containerd refuses a running one). Resolves its exit status. */
export async function deleteTask(grpc: ContainerdGrpc, containerId: string): Promise<ExitStatus> {
  const res = await grpc.unary<{ exit_status: number; exited_at: ProtoTimestamp | null }>(
    'tasks',
    'Delete',
    { container_id: containerId },
    { operation: `delete ${what(containerId)}` },
  );
  return { exitCode: res.exit_status, exitedAt: fromTimestamp(res.exited_at) };
}

export async function deleteProcess(grpc: ContainerdGrpc, containerId: string, execId: string): Promise<void> {
  await grpc.unary('tasks', 'DeleteProcess', { container_id: containerId, exec_id: execId }, { operation: `delete ${what(containerId, execId)}` });
}

export async function getTask(grpc: ContainerdGrpc, containerId: string, execId = ''): Promise<TaskInfo> {
  const res = await grpc.unary<{ process: PbProcess }>('tasks', 'Get', { container_id: containerId, exec_id: execId }, { operation: `get ${what(containerId, execId)}` });
  return { pid: res.process.pid, status: toTaskStatus(res.process.status) };
}

export async function pauseTask(grpc: ContainerdGrpc, containerId: string): Promise<void> {
  await grpc.unary('tasks', 'Pause', { container_id: containerId }, { operation: `pause ${what(containerId)}` });
}

export async function resumeTask(grpc: ContainerdGrpc, containerId: string): Promise<void> {
  await grpc.unary('tasks', 'Resume', { container_id: containerId }, { operation: `resume ${what(containerId)}` });
}

export async function execProcessRequest(
  grpc: ContainerdGrpc,
  request: { containerId: string; execId: string; spec: ProtoAny; stdout: string; stderr: string },
): Promise<void> {
  await grpc.unary(
    'tasks',
    'Exec',
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
