/**
 * Error types shared by every layer. Each carries a `hint`: what the person
 * running the test should do about it (errors are for people).
 */
export class PakostiiError extends Error {
  readonly hint: string | undefined;
  constructor(message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(options.hint ? `${message}\n  hint: ${options.hint}` : message, { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
  }
}

/** The cluster spec or an argument given to the API is invalid. Raised before anything is created. */
export class SpecError extends PakostiiError {}

/** A handle (fault, port forward, test handle) was used in a state that does not allow it. */
export class StateError extends PakostiiError {}

/** A kernel operation done by the native addon failed. */
export class NativeError extends PakostiiError {
  /** The operation that failed, e.g. "netns create" or "veth create". */
  readonly op: string;
  /** errno of the failed syscall (0 when not a syscall failure). */
  readonly errno: number;
  /** Symbolic errno, e.g. "EEXIST". */
  readonly code: string;
  constructor(op: string, errno: number, code: string, message: string, hint?: string) {
    super(message, hint === undefined ? {} : { hint });
    this.op = op;
    this.errno = errno;
    this.code = code;
  }
}

/** containerd is unreachable, refused a request, or a container/image operation failed. */
export class ContainerdError extends PakostiiError {
  /** gRPC status code name when the error came from containerd, e.g. "NOT_FOUND". */
  readonly grpcCode: string | undefined;
  constructor(message: string, options: { cause?: unknown; hint?: string; grpcCode?: string } = {}) {
    super(message, options);
    this.grpcCode = options.grpcCode;
  }
}

/** The feature needs something this kernel or machine does not have. */
export class NotSupportedError extends PakostiiError {}

/** `test.run()` rejects with this when the test function fails, provisioning fails or the run is interrupted. */
export class TestFailedError extends PakostiiError {
  readonly id: string;
  readonly testName: string;
  readonly artifactsDir: string;
  readonly durationMs: number;
  constructor(
    message: string,
    fields: { id: string; testName: string; artifactsDir: string; durationMs: number; cause?: unknown },
  ) {
    super(message, { cause: fields.cause });
    this.id = fields.id;
    this.testName = fields.testName;
    this.artifactsDir = fields.artifactsDir;
    this.durationMs = fields.durationMs;
  }
}

/** The message of anything thrown: an Error's message, else its string form. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
