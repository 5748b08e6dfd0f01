/**
 * gRPC failures → ContainerdError. The message names the operation and the
 * object; the hint says what a person can do about it (errors are for people).
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { ContainerdError } from '../errors.js';
import { DEFAULT_CONTAINERD_SOCKET } from '../host/paths.js';

const CODE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(GrpcStatus)
    .filter((entry): entry is [string, number] => typeof entry[1] === 'number')
    .map(([name, code]) => [code, name]),
);

/** The shape of an error @grpc/grpc-js hands to callbacks and stream 'error' events. */
interface GrpcServiceError {
  code: number;
  details?: string;
  message: string;
}

function isGrpcError(err: unknown): err is GrpcServiceError {
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'number' && 'details' in err;
}

export function grpcCodeName(code: number): string {
  return CODE_NAMES[code] ?? `CODE_${code}`;
}

/** How to get a containerd that answers on `socket`. */
export function startContainerdHint(socket: string): string {
  return (
    `start containerd: \`sudo systemctl start containerd\`, or \`sudo bash scripts/start-containerd.sh\` ` +
    `(from the pakostii repo), or \`sudo containerd --address ${socket} &\``
  );
}

export const RUN_AS_ROOT_HINT =
  'pakostii talks to containerd and creates network namespaces: run the tests as root (e.g. `sudo npx vitest run`)';

function hintFor(code: string, details: string, socket: string): string | undefined {
  if (code === 'UNAVAILABLE') {
    if (/EACCES|permission denied/i.test(details)) return RUN_AS_ROOT_HINT;
    return `containerd does not answer on ${socket}; ${startContainerdHint(socket)}`;
  }
  if (code === 'PERMISSION_DENIED') return RUN_AS_ROOT_HINT;
  if (code === 'DEADLINE_EXCEEDED') return 'containerd did not answer in time; check its log (journalctl -u containerd or /var/log/pakostii-containerd.log)';
  if (code === 'FAILED_PRECONDITION' && /namespace/i.test(details))
    return 'every call must carry the containerd-namespace header (a bug in pakostii: please report it)';
  return undefined;
}

export interface ErrorContext {
  /** What was being done, e.g. "create container pk-abcde-n1-redis" or "Tasks.Start". */
  operation: string;
  socket?: string;
  /** Overrides the default hint for this code. */
  hint?: string;
}

/**
 * Wraps anything thrown by a gRPC call. ContainerdErrors pass through (so
 * layered helpers can each call this without double wrapping).
 */
export function toContainerdError(err: unknown, context: ErrorContext): ContainerdError {
  if (err instanceof ContainerdError) return err;
  const socket = context.socket ?? DEFAULT_CONTAINERD_SOCKET;
  if (isGrpcError(err)) {
    const code = grpcCodeName(err.code);
    const details = err.details || err.message;
    const hint = context.hint ?? hintFor(code, details, socket);
    return new ContainerdError(`${context.operation} failed: ${details} (${code})`, {
      cause: err,
      grpcCode: code,
      ...(hint === undefined ? {} : { hint }),
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ContainerdError(`${context.operation} failed: ${message}`, {
    cause: err,
    ...(context.hint === undefined ? {} : { hint: context.hint }),
  });
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ContainerdError ? err.grpcCode === 'NOT_FOUND' : isGrpcError(err) && err.code === GrpcStatus.NOT_FOUND;
}

export function isAlreadyExists(err: unknown): boolean {
  return err instanceof ContainerdError
    ? err.grpcCode === 'ALREADY_EXISTS'
    : isGrpcError(err) && err.code === GrpcStatus.ALREADY_EXISTS;
}

/** Runs `call`, resolving undefined when containerd says the object does not exist. */
export async function ignoreNotFound<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
