/** What one `pakostii doctor` check reports. */
export type CheckStatus = 'ok' | 'fail' | 'warn';

export interface CheckResult {
  /** Short stable id, e.g. "kernel", "bpf-xdp", "containerd". */
  name: string;
  status: CheckStatus;
  /** What was found (version, path, error). */
  detail: string;
  /** What to do about it; only for fail/warn. */
  hint?: string;
  /** A failing required check makes the doctor exit non-zero: a run would fail without it. */
  required: boolean;
}

export function ok(name: string, detail: string): CheckResult {
  return { name, status: 'ok', detail, required: true };
}

export function fail(name: string, detail: string, hint: string): CheckResult {
  return { name, status: 'fail', detail, hint, required: true };
}

export function warn(name: string, detail: string, hint: string): CheckResult {
  return { name, status: 'warn', detail, hint, required: false };
}

/** First line of an error's message: details belong in one table cell. */
export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

/** Rejects with a timeout error when `promise` takes longer than `ms` (the promise is left to settle). */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
