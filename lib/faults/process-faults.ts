/**
 * t.containers: process faults on one service — kill with a signal, stop,
 * start, restart, pause (cgroup freezer: the process exists but makes no
 * progress), resume. Each is one containerd call on the service's container,
 * logged and written to the fault timeline. start/restart can wait for the
 * service's readiness probe again ({ awaitReady: true }).
 */
import type { Logger } from 'pino';
import type { Container } from '../containerd/index.js';
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
  /** Throws StateError once the test function has finished. */
  assertRunning(where: string): void;
}

const SIGNAL = /^SIG[A-Z0-9]+$/;

export class ContainersHandle {
  readonly #ctx: ProcessFaultContext;

  constructor(ctx: ProcessFaultContext) {
    this.#ctx = ctx;
  }

  /** Send `signal` (default SIGKILL) to the service's main process. */
  kill(node: string, service: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (typeof signal !== 'string' || !SIGNAL.test(signal)) {
      return Promise.reject(
        new SpecError(`kill ${node}/${service}: invalid signal ${JSON.stringify(signal)}`, { hint: 'use a signal name such as "SIGKILL" or "SIGTERM"' }),
      );
    }
    return this.#run('kill', node, service, { signal }, (c) => c.kill(signal));
  }

  /** SIGTERM, then SIGKILL after timeoutMs; the service stays down until start(). */
  stop(node: string, service: string, options: StopOptions = {}): Promise<void> {
    const timeoutMs = this.#timeout(options, `stop ${node}/${service}`);
    return this.#run('stop', node, service, timeoutMs === undefined ? {} : { timeout_ms: timeoutMs }, async (c) => {
      await c.stop(timeoutMs === undefined ? {} : { timeoutMs });
    });
  }

  /** Start a stopped (or killed, or exited) service: a new process, same container and files. */
  start(node: string, service: string, options: StartOptions = {}): Promise<void> {
    return this.#run('start', node, service, { await_ready: options.awaitReady === true }, async (c) => {
      await c.start();
      if (options.awaitReady) await this.#ctx.awaitReady(node, service, this.#ctx.signal);
    });
  }

  /** stop() then start(): a new process. */
  restart(node: string, service: string, options: RestartOptions = {}): Promise<void> {
    const timeoutMs = this.#timeout(options, `restart ${node}/${service}`);
    const params = { await_ready: options.awaitReady === true, ...(timeoutMs === undefined ? {} : { timeout_ms: timeoutMs }) };
    return this.#run('restart', node, service, params, async (c) => {
      await c.restart(timeoutMs === undefined ? {} : { timeoutMs });
      if (options.awaitReady) await this.#ctx.awaitReady(node, service, this.#ctx.signal);
    });
  }

  /** Freeze every process of the service (cgroup freezer): alive, connections open, no progress. */
  pause(node: string, service: string): Promise<void> {
    return this.#run('pause', node, service, {}, (c) => c.pause());
  }

  resume(node: string, service: string): Promise<void> {
    return this.#run('resume', node, service, {}, (c) => c.resume());
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
