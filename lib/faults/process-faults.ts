/**
 * t.containers: process faults on one service — kill with a signal, stop,
 * start, restart, pause (cgroup freezer: the process exists but makes no
 * progress), resume. Each is one containerd call on the service's container,
 * logged and written to the fault timeline. start/restart can wait for the
 * service's readiness probe again ({ awaitReady: true }).
 */
import type { Logger } from 'pino';
import type { Container } from '../containerd/index.js';
import { RootfsView } from './rootfs-files.js';
import { SpecError } from '../errors.js';
import type { ClusterPlan } from '../spec/plan.js';
import { checkPositiveMs } from '../spec/rules.js';
import { faultTimeNow } from './registry.js';
import type { FaultTimeline } from './timeline.js';

export interface StartOptions {
  /** Wait for the service's readiness probe before resolving (default false). */
  awaitReady?: boolean;
}

export interface StopOptions {
  /** Grace period between SIGTERM and SIGKILL (default 10 s). */
  timeoutMs?: number;
}

export type RestartOptions = StartOptions & StopOptions;

/** What the handle needs from the run (a ContainerManager and friends). */
export interface ProcessFaultContext {
  readonly plan: ClusterPlan;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly timeline: FaultTimeline | undefined;
  container(node: string, service: string): Container;
  awaitReady(node: string, service: string, signal: AbortSignal): Promise<void>;
  /**
   * The test itself is about to end the service's process (kill/stop/restart): its exit is
   * then reported as caused by `reason`, not as unexpected (the exit event may come after the call returned).
   */
  expectExit?(node: string, service: string, reason: string): void;
  /** Throws StateError once the test function has finished. */
  assertRunning(where: string): void;
}

/** t.containers: process faults and file access on one service (implemented by RunContainers). */
export interface ContainersHandle {
  /** Send `signal` (default SIGKILL) to the service's main process. */
  kill(node: string, service: string, signal?: NodeJS.Signals): Promise<void>;
  /** SIGTERM, then SIGKILL after timeoutMs; the service stays down until start(). */
  stop(node: string, service: string, options?: StopOptions): Promise<void>;
  /** Start a stopped (or killed, or exited) service: a new process, same container and files. */
  start(node: string, service: string, options?: StartOptions): Promise<void>;
  /** stop() then start(): a new process. */
  restart(node: string, service: string, options?: RestartOptions): Promise<void>;
  /** Freeze every process of the service (cgroup freezer): alive, connections open, no progress. */
  pause(node: string, service: string): Promise<void>;
  resume(node: string, service: string): Promise<void>;
  /**
   * A tar archive of `path` in the service's container (a file, or a directory
   * with everything under it), byte for byte; works on a running and on a
   * stopped container (then read from its snapshot). Not a fault: not in the timeline.
   */
  copyFrom(node: string, service: string, path: string): Promise<Buffer>;
  /** Unpack the tar archive `archive` into directory `dir` of the container (created if missing); running or stopped. */
  copyTo(node: string, service: string, dir: string, archive: Uint8Array): Promise<void>;
  /** The bytes of one file of the container; running or stopped. */
  readFile(node: string, service: string, path: string): Promise<Buffer>;
  /** Write one file into the container (parents created, owner root unless given); running or stopped. */
  writeFile(node: string, service: string, path: string, data: Uint8Array, options?: { mode?: number; uid?: number; gid?: number }): Promise<void>;
}

const SIGNAL = /^SIG[A-Z0-9]+$/;

/** ContainersHandle over the run's containers, logged and written to the fault timeline. */
export class RunContainers implements ContainersHandle {
  readonly #ctx: ProcessFaultContext;

  constructor(ctx: ProcessFaultContext) {
    this.#ctx = ctx;
  }

  kill(node: string, service: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (typeof signal !== 'string' || !SIGNAL.test(signal)) {
      return Promise.reject(
        new SpecError(`kill ${node}/${service}: invalid signal ${JSON.stringify(signal)}`, { hint: 'use a signal name such as "SIGKILL" or "SIGTERM"' }),
      );
    }
    return this.#run('kill', node, service, { signal }, (c) => {
      this.#ctx.expectExit?.(node, service, `t.containers.kill(${signal})`);
      return c.kill(signal);
    });
  }

  stop(node: string, service: string, options: StopOptions = {}): Promise<void> {
    const timeoutMs = this.#timeout(options, `stop ${node}/${service}`);
    return this.#run('stop', node, service, timeoutMs === undefined ? {} : { timeout_ms: timeoutMs }, async (c) => {
      this.#ctx.expectExit?.(node, service, 't.containers.stop()');
      await c.stop(timeoutMs === undefined ? {} : { timeoutMs });
    });
  }

  start(node: string, service: string, options: StartOptions = {}): Promise<void> {
    const params = { await_ready: options.awaitReady === true };
    return this.#run('start', node, service, params, async (c) => {
      await c.start();
      if (options.awaitReady) await this.#ready('start', node, service, params);
    });
  }

  restart(node: string, service: string, options: RestartOptions = {}): Promise<void> {
    const timeoutMs = this.#timeout(options, `restart ${node}/${service}`);
    const params = { await_ready: options.awaitReady === true, ...(timeoutMs === undefined ? {} : { timeout_ms: timeoutMs }) };
    return this.#run('restart', node, service, params, async (c) => {
      this.#ctx.expectExit?.(node, service, 't.containers.restart()');
      await c.restart(timeoutMs === undefined ? {} : { timeoutMs });
      if (options.awaitReady) await this.#ready('restart', node, service, params);
    });
  }

  pause(node: string, service: string): Promise<void> {
    return this.#run('pause', node, service, {}, (c) => c.pause());
  }

  resume(node: string, service: string): Promise<void> {
    return this.#run('resume', node, service, {}, (c) => c.resume());
  }

  /** Await readiness, then record it: faults.jsonl says when the service was back, not only when it was told to start. */
  async #ready(kind: string, node: string, service: string, params: Record<string, unknown>): Promise<void> {
    await this.#ctx.awaitReady(node, service, this.#ctx.signal);
    this.#ctx.timeline?.ready(faultTimeNow(), `${node}/${service}`, kind, { node, service, ...params });
    this.#ctx.logger.info({ fault: `${node}/${service}`, kind, node, service }, 'service ready again');
  }

  copyFrom(node: string, service: string, path: string): Promise<Buffer> {
    return this.#files('copyFrom', node, service, path, (root, p) => root.packTar(p));
  }

  copyTo(node: string, service: string, dir: string, archive: Uint8Array): Promise<void> {
    return this.#files('copyTo', node, service, dir, (root, p) => root.extractTar(p, archive));
  }

  readFile(node: string, service: string, path: string): Promise<Buffer> {
    return this.#files('readFile', node, service, path, (root, p) => root.readFile(p));
  }

  writeFile(node: string, service: string, path: string, data: Uint8Array, options: { mode?: number; uid?: number; gid?: number } = {}): Promise<void> {
    return this.#files('writeFile', node, service, path, (root, p) =>
      root.writeFile(p, data, options.mode ?? 0o644, { uid: options.uid ?? 0, gid: options.gid ?? 0 }),
    );
  }

  async #files<T>(kind: string, node: string, service: string, path: string, action: (root: RootfsView, path: string) => Promise<T>): Promise<T> {
    const where = `t.containers.${kind}(${JSON.stringify(node)}, ${JSON.stringify(service)}, ${JSON.stringify(path)})`;
    this.#ctx.plan.service(node, service, where);
    this.#ctx.assertRunning(where);
    if (typeof path !== 'string' || !path.startsWith('/') || path.includes('\0')) {
      throw new SpecError(`${where}: the path must be absolute inside the container`, { hint: 'e.g. "/data/dump.rdb"' });
    }
    return action(RootfsView.of(await this.#ctx.container(node, service).rootfs()), path);
  }

  #timeout(options: StopOptions, where: string): number | undefined {
    return options.timeoutMs === undefined ? undefined : checkPositiveMs(options.timeoutMs, 'timeoutMs', where);
  }

  async #run(kind: string, node: string, service: string, extra: Record<string, unknown>, action: (c: Container) => Promise<void>): Promise<void> {
    const where = `${kind} ${node}/${service}`;
    this.#ctx.plan.service(node, service, `t.containers.${kind}(${JSON.stringify(node)}, ${JSON.stringify(service)})`);
    this.#ctx.assertRunning(where);
    const container = this.#ctx.container(node, service);
    const params = { node, service, ...extra };
    // Recorded when issued (the timeline stays in time order and survives a crash mid-call);
    // a failure adds a process_failed line.
    this.#ctx.timeline?.process(faultTimeNow(), `${node}/${service}`, kind, params);
    this.#ctx.logger.info({ fault: `${node}/${service}`, kind, ...extra, node, service }, 'process fault');
    try {
      await action(container);
    } catch (error) {
      this.#ctx.timeline?.process(faultTimeNow(), `${node}/${service}`, kind, params, error);
      this.#ctx.logger.warn({ fault: `${node}/${service}`, kind, err: error }, 'process fault failed');
      throw error;
    }
  }
}
