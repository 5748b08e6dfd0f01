/**
 * Exec: run a command inside a running service container and collect its
 * exit code, stdout and stderr.
 *
 * Output capture: the exec's stdout/stderr go through the same binary://
 * log writer as the service, into two files of a private temp dir, read once
 * the process is deleted (DeleteProcess waits for the writer to flush and
 * exit). FIFOs would need mkfifo, which Node cannot do without spawning a
 * process (forbidden in lib/) or a native call; files need neither.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ContainerdError } from '../errors.js';
import { execDir } from '../host/paths.js';
import { runIdOfContainer } from '../host/patterns.js';
import { forgetObject, noteObject } from '../host/run-objects.js';
import { ignoreNotFound } from './errors.js';
import type { ContainerdGrpc } from './grpc.js';
import { jsonAny } from './protos.js';
import type { ExecResult } from './types.js';
import { ensureLogWriter, logUri, prepareLogFiles } from './log-writer.js';
import { execProcess, PROCESS_SPEC_TYPE_URL, type OciProcess } from './oci-spec.js';
import { deleteProcess, execProcessRequest, killTask, startTask, waitTask } from './tasks.js';

export interface ExecTarget {
  containerId: string;
  serviceName: string;
  /** The container's own process spec: user, env and cwd of the exec derive from it. */
  process: OciProcess;
}

export interface ExecOptions {
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Bytes kept of each of stdout and stderr (default DEFAULT_EXEC_OUTPUT_LIMIT); the rest is dropped and the result says so. */
  maxOutputBytes?: number;
}

/** 16 MiB per stream: far more than a command's answer, far less than a runaway `cat /dev/zero` would stage. */
export const DEFAULT_EXEC_OUTPUT_LIMIT = 16 * 1024 * 1024;

/** How long an exec may take to die after SIGKILL before we stop waiting for it. */
const KILLED_EXIT_WAIT_MS = 5_000;

export async function execInContainer(grpc: ContainerdGrpc, target: ExecTarget, argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
  const label = `exec ${JSON.stringify(argv)} in service ${target.serviceName}`;
  if (options.signal?.aborted) throw new ContainerdError(`${label} aborted before it started`, { cause: options.signal.reason });
  const process = execProcess(target.process, argv, {
    ...(options.env ? { env: options.env } : {}),
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  const execId = `exec-${randomBytes(6).toString('hex')}`;
  const dir = await makeScratchDir(target.containerId);
  const stdoutPath = join(dir, 'stdout');
  const stderrPath = join(dir, 'stderr');
  try {
    await prepareLogFiles(stdoutPath, stderrPath);
    const limit = options.maxOutputBytes ?? DEFAULT_EXEC_OUTPUT_LIMIT;
    const uri = logUri(await ensureLogWriter(), stdoutPath, stderrPath, limit);
    await execProcessRequest(grpc, {
      containerId: target.containerId,
      execId,
      spec: jsonAny(PROCESS_SPEC_TYPE_URL, process),
      stdout: uri,
      stderr: uri,
    });
    try {
      const exitCode = await runToExit(grpc, target.containerId, execId, label, options);
      // DeleteProcess closes the exec's IO and waits for the writer: after it the files are complete.
      await ignoreNotFound(deleteProcess(grpc, target.containerId, execId));
      const [out, err] = await Promise.all([readCapped(stdoutPath, limit), readCapped(stderrPath, limit)]);
      return {
        exitCode,
        stdout: out.bytes.toString('utf8'),
        stderr: err.bytes.toString('utf8'),
        stdoutBytes: out.bytes,
        stderrBytes: err.bytes,
        stdoutTruncated: out.truncated,
        stderrTruncated: err.truncated,
      };
    } catch (err) {
      await ignoreNotFound(deleteProcess(grpc, target.containerId, execId)).catch(() => undefined);
      throw err;
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A fresh private dir <state dir>/exec/<container id>-<random>, noted in the
 * run's object log before it exists (the janitor removes a dead run's exec
 * dirs only when its log names them). mkdir fails on an existing name, so the
 * dir is always one this call made.
 */
async function makeScratchDir(containerId: string): Promise<string> {
  const baseDir = execDir();
  await mkdir(baseDir, { recursive: true, mode: 0o700 });
  const runId = runIdOfContainer(containerId);
  for (;;) {
    const dir = join(baseDir, `${containerId}-${randomBytes(6).toString('hex')}`);
    if (runId) noteObject(runId, { kind: 'dir', path: dir });
    try {
      await mkdir(dir, { mode: 0o700 });
      return dir;
    } catch (error) {
      if (runId) forgetObject(runId, { kind: 'dir', path: dir });
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/** The first `limit` bytes of a staged stream, and whether there were more (read no further than that). */
async function readCapped(path: string, limit: number): Promise<{ bytes: Buffer; truncated: boolean }> {
  const file = await open(path, 'r');
  try {
    // The file is complete (the writer has exited): no bigger buffer than what is there.
    const buffer = Buffer.alloc(Math.min((await file.stat()).size, limit + 1));
    let filled = 0;
    for (;;) {
      const { bytesRead } = await file.read(buffer, filled, buffer.length - filled, filled);
      filled += bytesRead;
      if (bytesRead === 0 || filled === buffer.length) break;
    }
    return { bytes: buffer.subarray(0, Math.min(filled, limit)), truncated: filled > limit };
  } finally {
    await file.close();
  }
}

/** Start the exec and wait for its exit; a timeout or abort SIGKILLs it and rejects. */
async function runToExit(grpc: ContainerdGrpc, containerId: string, execId: string, label: string, options: ExecOptions): Promise<number> {
  const waitAbort = new AbortController();
  const exited = waitTask(grpc, containerId, execId, waitAbort.signal);
  exited.catch(() => undefined);
  try {
    await startTask(grpc, containerId, execId);
  } catch (err) {
    waitAbort.abort();
    throw err instanceof ContainerdError
      ? new ContainerdError(`${label} failed to start: ${err.message.split('\n')[0]}`, {
          cause: err,
          ...(err.grpcCode ? { grpcCode: err.grpcCode } : {}),
          hint: 'check that the command exists in the image (use an absolute path or one on its PATH)',
        })
      : err;
  }

  let reason: 'timeout' | 'abort' | undefined;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<void>((resolve) => {
    if (options.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        reason = 'timeout';
        resolve();
      }, options.timeoutMs);
    }
    onAbort = () => {
      reason = 'abort';
      resolve();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const first = await Promise.race([exited, stopped]);
    if (first) return first.exitCode;
    await killTask(grpc, containerId, 'SIGKILL', { execId }).catch(() => undefined);
    const killTimer = setTimeout(() => waitAbort.abort(), KILLED_EXIT_WAIT_MS);
    await exited.catch(() => undefined);
    clearTimeout(killTimer);
    if (reason === 'timeout') {
      throw new ContainerdError(`${label} timed out after ${options.timeoutMs} ms (killed with SIGKILL)`, {
        hint: 'raise timeoutMs, or check why the command hangs (a fault you injected may block it)',
      });
    }
    throw new ContainerdError(`${label} was aborted (killed with SIGKILL)`, { cause: options.signal?.reason });
  } finally {
    clearTimeout(timer);
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
  }
}
