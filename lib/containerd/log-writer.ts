/**
 * Container stdout/stderr → two host files, through containerd's `binary://`
 * logging protocol. The shim (not the runner) starts the logger, so logs keep
 * flowing when the test process crashes.
 *
 * Why not `file://`: containerd 1.6 writes both streams into the stdout file
 * and its shim crashes when stderr is empty. Why not FIFOs read by the
 * runner: logs would stop with the runner.
 *
 * Protocol (containerd pkg/process/io.go NewBinaryIO, runtime/v2/logging):
 * the shim execs the URI's path with the query as arguments (key value …, in
 * random order), env CONTAINER_ID/CONTAINER_NAMESPACE only (no PATH), fd 3 =
 * stdout, fd 4 = stderr, fd 5 = ready pipe (closed = ready). On task/exec
 * delete it closes the pipes, sends SIGTERM and waits for the logger to exit.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { ContainerdError } from '../errors.js';
import { stateDir as currentStateDir } from '../host/paths.js';

export const LOG_WRITER_NAME = 'log-writer';

/**
 * The logger. `trap '' TERM`: the shim closes the pipes before its SIGTERM,
 * so the copies are about to see EOF; ignoring TERM lets `wait` return only
 * once they have flushed everything (the shim waits up to 12 s). The copies
 * close fd 5 so only the script holds the ready pipe.
 */
export const LOG_WRITER_SCRIPT = `#!/bin/sh
# pakostii log writer: started by the containerd shim (binary:// logging).
# fd 3 = container stdout, fd 4 = container stderr, fd 5 = ready pipe.
# Arguments: "stdout <path>", "stderr <path>" and optionally "limit <bytes>"
# pairs, in any order. With a limit, at most limit+1 bytes of each stream are
# kept (one more than allowed tells the reader it was cut) and the rest is
# read and dropped, so the process never blocks or gets EPIPE.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
out=/dev/null
err=/dev/null
limit=
while [ "$#" -ge 2 ]; do
  case "$1" in
    stdout) out="$2" ;;
    stderr) err="$2" ;;
    limit) limit="$2" ;;
  esac
  shift 2
done
copy() {
  case "$limit" in
    '' | *[!0-9]*) cat >>"$1" ;;
    *) head -c "$((limit + 1))" >>"$1"; cat >/dev/null ;;
  esac
}
trap '' TERM
# exec, not redirections on the call: the shell would keep copies of fds 3-5
# to restore after a function, and the shim would wait for fd 5 forever.
(exec <&3 3<&- 4<&- 5>&-; copy "$out") &
(exec <&4 3<&- 4<&- 5>&-; copy "$err") &
exec 3<&- 4<&- 5>&-
wait
`;

export function logWriterPath(stateDir: string = currentStateDir()): string {
  return join(stateDir, LOG_WRITER_NAME);
}

/**
 * One write per path at a time within this process: a run starts all its
 * services at once, and each asks for the writer. They share the one
 * in-flight write instead of racing each other's temporary files.
 */
const inFlight = new Map<string, Promise<string>>();

/** Writes the logger script (mode 0755) unless it is already there with this content. Returns its path. */
export function ensureLogWriter(stateDir: string = currentStateDir()): Promise<string> {
  const path = logWriterPath(stateDir);
  const pending = inFlight.get(path);
  if (pending) return pending;
  const writing = writeLogWriter(stateDir, path).finally(() => inFlight.delete(path));
  inFlight.set(path, writing);
  return writing;
}

async function writeLogWriter(stateDir: string, path: string): Promise<string> {
  let current: string | undefined;
  try {
    current = await readFile(path, 'utf8');
  } catch {
    current = undefined;
  }
  // Unique per call, not per process: other processes (parallel runs) write
  // the same script at the same time; the last rename wins with identical bytes.
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    if (current !== LOG_WRITER_SCRIPT) {
      await mkdir(stateDir, { recursive: true, mode: 0o755 });
      // Write-then-rename: a shim exec'ing the script never sees it half written.
      await writeFile(tmp, LOG_WRITER_SCRIPT, { mode: 0o755, flag: 'wx' });
      await chmod(tmp, 0o755);
      await rename(tmp, path);
    } else {
      await chmod(path, 0o755);
    }
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new ContainerdError(`write the log writer ${path} failed: ${(err as Error).message}`, {
      cause: err,
      hint: `pakostii needs a writable state dir (${stateDir}); run as root or set PAKOSTII_STATE_DIR`,
    });
  }
  return path;
}

/**
 * The binary:// URI that appends stdout to `stdoutPath` and stderr to `stderrPath`;
 * with `limit`, at most limit+1 bytes of each (the extra byte marks a cut).
 */
export function logUri(writerPath: string, stdoutPath: string, stderrPath: string, limit?: number): string {
  for (const path of [stdoutPath, stderrPath]) {
    if (!isAbsolute(path)) throw new ContainerdError(`log path "${path}" is not absolute`, { hint: 'give absolute host paths for stdout/stderr logs' });
  }
  const query = new URLSearchParams({ stdout: stdoutPath, stderr: stderrPath, ...(limit === undefined ? {} : { limit: String(limit) }) });
  return `binary://${writerPath}?${query.toString()}`;
}

/** Creates the log files' directories and the (possibly empty) files, so both exist from the start. */
export async function prepareLogFiles(stdoutPath: string, stderrPath: string): Promise<void> {
  for (const path of [stdoutPath, stderrPath]) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, '', { flag: 'a' });
  }
}
