/**
 * Readiness probes: how the runtime knows a service is ready before the test
 * function starts. HTTP and TCP probes connect from the runner's namespace (so
 * they see the cluster network as clients do); exec probes run inside the
 * service's container.
 */
import { SpecError } from '../errors.js';
import { checkArgv, checkPort, checkPositiveMs, checkStatusCode } from './rules.js';

export const DEFAULT_PROBE_TIMEOUT_MS = 2_000;
export const DEFAULT_PROBE_INTERVAL_MS = 250;

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'OPTIONS' | 'PATCH';
const HTTP_METHODS: readonly HttpMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'];

interface ProbeTiming {
  /** How long one attempt may take. */
  readonly timeoutMs: number;
  /** Pause between failed attempts. */
  readonly intervalMs: number;
}

export interface HttpProbe extends ProbeTiming {
  readonly kind: 'http';
  readonly port: number;
  readonly path: string;
  readonly method: HttpMethod;
  readonly expectStatus: number;
}

export interface TcpProbe extends ProbeTiming {
  readonly kind: 'tcp';
  readonly port: number;
}

export interface ExecProbe extends ProbeTiming {
  readonly kind: 'exec';
  /** Runs in the service's container; exit code 0 means ready. */
  readonly argv: readonly string[];
}

export interface LogProbe extends ProbeTiming {
  readonly kind: 'log';
  /** Matched against each line the service wrote since it (re)started. */
  readonly pattern: RegExp;
  /** How many matching lines make the service ready. */
  readonly times: number;
  readonly stream: 'stdout' | 'stderr' | 'both';
}

export type Probe = HttpProbe | TcpProbe | ExecProbe | LogProbe;

export interface LogProbeOptions {
  /** Matching lines needed (default 1): e.g. 2 for a server that logs "ready" once per listener. */
  times?: number;
  /** Which output to read (default both). */
  stream?: 'stdout' | 'stderr' | 'both';
  /** Pause between reads of the log (default 250 ms). */
  intervalMs?: number;
}

export interface HttpProbeOptions {
  port: number;
  path?: string;
  method?: HttpMethod;
  expectStatus?: number;
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Probes made by the factories below. A hand-made object (`{ kind: 'tcp', port }`)
 * skipped their checks (no timeout: a NaN deadline, readiness waiting forever), so
 * withReadiness() accepts only these.
 */
const MADE_PROBES = new WeakSet<object>();

function made<T extends Probe>(probe: T): T {
  MADE_PROBES.add(probe);
  return probe;
}

/** True for a probe built by httpProbe(), tcpProbe() or execProbe(). */
export function isMadeProbe(value: unknown): value is Probe {
  return typeof value === 'object' && value !== null && MADE_PROBES.has(value);
}

function timing(options: { timeoutMs?: number; intervalMs?: number }, where: string): ProbeTiming {
  return {
    timeoutMs: checkPositiveMs(options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS, 'timeoutMs', where),
    intervalMs: checkPositiveMs(options.intervalMs ?? DEFAULT_PROBE_INTERVAL_MS, 'intervalMs', where),
  };
}

/** Ready when `method path` on the service's node answers `expectStatus` (default GET / → 200). */
export function httpProbe(options: HttpProbeOptions): HttpProbe {
  const where = 'httpProbe()';
  if (options === null || typeof options !== 'object') {
    throw new SpecError(`${where}: options must be an object`, { hint: 'e.g. httpProbe({ port: 2379, path: "/health" })' });
  }
  const path = options.path ?? '/';
  if (typeof path !== 'string' || !path.startsWith('/') || /[\s\0]/.test(path)) {
    throw new SpecError(`${where}: path ${JSON.stringify(path)} must start with "/" and contain no whitespace`, {
      hint: 'e.g. "/health"',
    });
  }
  const method = options.method ?? 'GET';
  if (!HTTP_METHODS.includes(method)) {
    throw new SpecError(`${where}: method ${JSON.stringify(method)} is not supported`, { hint: `use one of ${HTTP_METHODS.join(', ')}` });
  }
  return made(Object.freeze({
    kind: 'http',
    port: checkPort(options.port, where),
    path,
    method,
    expectStatus: checkStatusCode(options.expectStatus ?? 200, where),
    ...timing(options, where),
  }));
}

/** Ready when a TCP connection to the port succeeds. */
export function tcpProbe(options: { port: number; timeoutMs?: number; intervalMs?: number }): TcpProbe {
  const where = 'tcpProbe()';
  if (options === null || typeof options !== 'object') {
    throw new SpecError(`${where}: options must be an object`, { hint: 'e.g. tcpProbe({ port: 6379 })' });
  }
  return made(Object.freeze({ kind: 'tcp', port: checkPort(options.port, where), ...timing(options, where) }));
}

/** Ready when `argv` exits 0 inside the service's container. No shell is involved. */
export function execProbe(argv: string[], options: { timeoutMs?: number; intervalMs?: number } = {}): ExecProbe {
  const where = 'execProbe()';
  return made(Object.freeze({ kind: 'exec', argv: Object.freeze(checkArgv(argv, 'argv', where)), ...timing(options, where) }));
}

/**
 * Ready once the service's stdout/stderr (since its latest start) has `times`
 * lines matching `pattern`, e.g. logProbe(/Ready to accept connections/).
 * A timeout quotes the last lines the service wrote.
 */
export function logProbe(pattern: RegExp | string, options: LogProbeOptions = {}): LogProbe {
  const where = 'logProbe()';
  if (!(pattern instanceof RegExp) && (typeof pattern !== 'string' || pattern === '')) {
    throw new SpecError(`${where}: pattern must be a RegExp or a non-empty string`, { hint: 'e.g. logProbe(/ready to accept connections/)' });
  }
  // No g/y flags: a stateful lastIndex would skip matches between lines.
  const regex = typeof pattern === 'string' ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
  const times = options.times ?? 1;
  if (!Number.isInteger(times) || times < 1) throw new SpecError(`${where}: times ${String(times)} must be a whole number ≥ 1`, { hint: 'e.g. { times: 2 }' });
  const stream = options.stream ?? 'both';
  if (!['stdout', 'stderr', 'both'].includes(stream)) throw new SpecError(`${where}: stream ${JSON.stringify(stream)} is not stdout, stderr or both`, { hint: "e.g. { stream: 'stderr' }" });
  return made(Object.freeze({ kind: 'log', pattern: regex, times, stream, ...timing({ intervalMs: options.intervalMs }, where) }));
}

/** Human description used in logs and errors: "GET :2379/health → 200". */
export function describeProbe(probe: Probe): string {
  switch (probe.kind) {
    case 'http':
      return `HTTP ${probe.method} :${probe.port}${probe.path} expecting ${probe.expectStatus}`;
    case 'tcp':
      return `TCP connect :${probe.port}`;
    case 'exec':
      return `exec ${JSON.stringify(probe.argv)}`;
    case 'log':
      return `log line ${String(probe.pattern)}${probe.times > 1 ? ` ×${probe.times}` : ''} on ${probe.stream === 'both' ? 'stdout/stderr' : probe.stream}`;
  }
}
