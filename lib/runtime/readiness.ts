/**
 * Waiting for a service's readiness probe: attempt, pause, attempt… until it
 * passes, the deadline passes (PakostiiError with the probe's last error) or
 * the run is aborted.
 */
import { PakostiiError } from '../errors.js';
import { describeProbe, type Probe } from '../spec/probes.js';
import { delay } from './delay.js';

/** How a probe reaches its service (runner namespace for HTTP/TCP, the container for exec). */
export interface ProbeTransport {
  httpStatus(port: number, method: string, path: string, timeoutMs: number, signal: AbortSignal): Promise<number>;
  tcpConnect(port: number, timeoutMs: number, signal: AbortSignal): Promise<void>;
  exec(argv: readonly string[], timeoutMs: number, signal: AbortSignal): Promise<{ exitCode: number; stderr: string }>;
  /** The service's output since its latest start. */
  logs(): Promise<{ stdout: string; stderr: string }>;
}

/** Lines quoted in a log probe's error. */
const QUOTED_LINES = 5;

/** One attempt: resolves when ready, rejects with the reason it is not. */
export async function probeOnce(probe: Probe, transport: ProbeTransport, signal: AbortSignal): Promise<void> {
  const attempt = AbortSignal.any([signal, AbortSignal.timeout(probe.timeoutMs)]);
  switch (probe.kind) {
    case 'http': {
      const status = await transport.httpStatus(probe.port, probe.method, probe.path, probe.timeoutMs, attempt);
      if (status !== probe.expectStatus) throw new Error(`answered ${status}, expected ${probe.expectStatus}`);
      return;
    }
    case 'tcp':
      return transport.tcpConnect(probe.port, probe.timeoutMs, attempt);
    case 'exec': {
      const result = await transport.exec(probe.argv, probe.timeoutMs, attempt);
      if (result.exitCode !== 0) throw new Error(`exited ${result.exitCode}${result.stderr ? `: ${result.stderr.trim().slice(0, 300)}` : ''}`);
      return;
    }
    case 'log': {
      const { stdout, stderr } = await transport.logs();
      const text = probe.stream === 'stdout' ? stdout : probe.stream === 'stderr' ? stderr : `${stdout}\n${stderr}`;
      const lines = text.split('\n').filter((l) => l.trim() !== '');
      const seen = lines.filter((l) => probe.pattern.test(l)).length;
      if (seen >= probe.times) return;
      // The last lines of each stream as written (interleaving across streams is unknown).
      const last = [...stdout.split('\n'), ...stderr.split('\n')].filter((l) => l.trim() !== '').slice(-QUOTED_LINES);
      const quoted = last.length === 0 ? 'the service wrote nothing yet' : `last lines seen:\n${last.map((l) => `  | ${l.slice(0, 300)}`).join('\n')}`;
      throw new Error(`${seen} of ${probe.times} lines matching ${String(probe.pattern)}; ${quoted}`);
    }
  }
}

export interface WaitReadyOptions {
  /** e.g. `service "etcd" on node "etcd1"` */
  what: string;
  deadlineMs: number;
  signal: AbortSignal;
  /** Called after each failed attempt (for debug logs). */
  onAttemptFailed?: (error: unknown, attempt: number) => void;
}

/** Resolves with the number of attempts it took. */
export async function waitReady(probe: Probe, transport: ProbeTransport, options: WaitReadyOptions): Promise<number> {
  const started = Date.now();
  let lastError: unknown;
  for (let attempt = 1; ; attempt++) {
    options.signal.throwIfAborted();
    try {
      await probeOnce(probe, transport, options.signal);
      return attempt;
    } catch (error) {
      options.signal.throwIfAborted();
      lastError = error;
      options.onAttemptFailed?.(error, attempt);
    }
    if (Date.now() - started + probe.intervalMs > options.deadlineMs) {
      const reason = lastError instanceof Error ? lastError.message : String(lastError);
      throw new PakostiiError(
        `${options.what} did not become ready within ${options.deadlineMs} ms (${attempt} attempts of ${describeProbe(probe)}); last error: ${reason}`,
        {
          cause: lastError,
          hint: 'check the service logs in the artifacts directory; raise readinessTimeoutMs if it is only slow',
        },
      );
    }
    await delay(probe.intervalMs, options.signal);
  }
}
