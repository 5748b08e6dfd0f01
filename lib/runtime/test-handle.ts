/**
 * The handle the test function gets (its public types: handles.ts) — the
 * logger, the run's abort signal, and the ways to reach (port forwards, HTTP,
 * exec) and break (partitions) the cluster. Every name is validated against the
 * plan, so a typo fails with the list of valid names.
 */
import type { Logger } from 'pino';
import type { ExecResult } from '../containerd/types.js';
import { PakostiiError, StateError } from '../errors.js';
import { defineLoss, type LossOptions } from '../faults/loss.js';
import { callOf, type NetworkFaultHandle } from '../faults/network-fault.js';
import { PartitionFaults, type Partition } from '../faults/partition.js';
import { RunContainers, type ContainersHandle } from '../faults/process-faults.js';
import { defineBandwidth, type BandwidthOptions, type SlowLinks } from '../faults/bandwidth.js';
import { faultCapabilities, type FaultCapability } from '../faults/capabilities.js';
import { defineDelay, type DelayOptions } from '../faults/delay.js';
import { PairClassLedger } from '../faults/traffic-classes.js';
import { checkArgv, checkByteCount, checkContainerDir, checkEnvRecord, checkPort, checkPositiveMs } from '../spec/rules.js';
import { DialHttp, type ClusterHttp } from './cluster-http.js';
import { resolveHost } from './dial.js';
import type { DirectReach } from './network-manager.js';
import { RelayPortForward, type ForwardPortOptions, type PortForward } from './port-forward.js';
import { RunHistory } from './run-workload.js';
import type { HistoryRecorder } from '../history/recorder.js';
import type { WorkloadOptions } from '../workload/options.js';
import type { WorkloadResult } from '../workload/workload.js';
import { RunTrafficShaper } from './traffic-shaper.js';
import { RunDelayLine } from './delay-line-shaper.js';
import type { DelayLineCounters } from '../native/delay-line.js';
import type { RunContext } from './run-context.js';
import type { ActiveFault, ExecHandle, ExecOptions, NetworkHandle, TestHandle } from './handles.js';

/** Handles are only usable while the test function runs (t.signal not yet aborted). */
function assertRunning(ctx: RunContext, where: string): void {
  if (ctx.signal.aborted) {
    throw new StateError(`${where}: test "${ctx.name}" (${ctx.id}) has finished or was interrupted`, {
      hint: 'use the test handle only inside the test function, before it returns',
    });
  }
}

/** t.network over the run's context. */
export class RunNetworkHandle implements NetworkHandle {
  readonly #ctx: RunContext;
  #slowLinks: SlowLinks | undefined;
  #delayLine: RunDelayLine | undefined;
  readonly partition: Partition;

  constructor(ctx: RunContext) {
    this.#ctx = ctx;
    this.partition = new PartitionFaults(ctx.faults, ctx.plan);
  }

  loss(...args: [options: LossOptions] | [name: string | undefined, options: LossOptions]): NetworkFaultHandle {
    const [name, options] = args.length === 1 ? [undefined, args[0]] : args;
    return defineLoss(this.#ctx.faults, this.#ctx.plan, name, options);
  }

  delay(...args: [options: DelayOptions] | [name: string | undefined, options: DelayOptions]): NetworkFaultHandle {
    const [name, options] = args.length === 1 ? [undefined, args[0]] : args;
    assertRunning(this.#ctx, callOf('delay', name));
    return defineDelay(this.#links(), this.#ctx.plan, this.#ctx.trafficControl, name, options);
  }

  bandwidth(...args: [options: BandwidthOptions] | [name: string | undefined, options: BandwidthOptions]): NetworkFaultHandle {
    const [name, options] = args.length === 1 ? [undefined, args[0]] : args;
    assertRunning(this.#ctx, callOf('bandwidth', name));
    return defineBandwidth(this.#links(), this.#ctx.plan, this.#ctx.trafficControl, name, options);
  }

  capabilities(): FaultCapability[] {
    return faultCapabilities(this.#ctx.trafficControl);
  }

  delayLineCounters(): DelayLineCounters | undefined {
    return this.#delayLine?.counters();
  }

  /** Slow-link state of the run, made on first use (runs without slow links never touch traffic control). */
  #links(): SlowLinks {
    if (this.#slowLinks === undefined) {
      const ctx = this.#ctx;
      const ledger = new PairClassLedger(ctx.faults.nodes);
      ctx.faults.addHook(ledger.hook);
      let shaper: RunTrafficShaper | undefined;
      this.#slowLinks = {
        registry: ctx.faults,
        ledger,
        shaper: () => {
          if (shaper === undefined) {
            shaper = new RunTrafficShaper(ctx.id, ctx.network, ctx.logger);
            ctx.trackCloseable(shaper);
          }
          return shaper;
        },
        delayLine: () => {
          if (this.#delayLine === undefined) {
            this.#delayLine = new RunDelayLine(ctx.id, ctx.network, ctx.logger);
            ctx.trackCloseable(this.#delayLine);
          }
          return this.#delayLine;
        },
      };
    }
    return this.#slowLinks;
  }

  faults(): ActiveFault[] {
    const registry = this.#ctx.faults;
    return registry.active
      .map((fault) => {
        const at = registry.sinceOf(fault)!;
        return Object.freeze({ name: fault.name, kind: fault.kind, params: fault.details, since: at.wall, sinceNs: at.mono });
      })
      .sort((a, b) => (a.sinceNs < b.sinceNs ? -1 : a.sinceNs > b.sinceNs ? 1 : 0));
  }

  forwardPort(node: string, port: number, options: ForwardPortOptions = {}): PortForward {
    const where = `forwardPort(${JSON.stringify(node)}, ${port})`;
    this.#ctx.plan.node(node, where);
    assertRunning(this.#ctx, where);
    checkPort(port, where);
    if (options.localPort !== undefined) checkPort(options.localPort, `${where}: localPort`);
    const forward = new RelayPortForward(node, this.#ctx.network.node(node).ip, port, this.#ctx.dial, this.#ctx.logger, options);
    this.#ctx.trackCloseable(forward);
    return forward;
  }

  ipOf(node: string): string {
    this.#ctx.plan.node(node, `ipOf(${JSON.stringify(node)})`);
    return this.#ctx.network.node(node).ip;
  }

  ipsOf(nodes: readonly string[]): string[] {
    return nodes.map((node) => this.ipOf(node));
  }

  directReach(): DirectReach | undefined {
    return this.#ctx.network.directReach;
  }
}

export const DEFAULT_EXEC_TIMEOUT_MS = 30_000;
/** The most exec output one stream may keep: it is staged on the host and held in memory. */
export const MAX_EXEC_OUTPUT_BYTES = 1024 * 1024 * 1024;

/** t.exec over the run's context. */
export class RunExecHandle implements ExecHandle {
  readonly #ctx: RunContext;

  constructor(ctx: RunContext) {
    this.#ctx = ctx;
  }

  inContainer(node: string, service: string, ...argv: string[]): Promise<ExecResult> {
    return this.run(node, service, argv);
  }

  async run(node: string, service: string, argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    const where = `exec in ${node}/${service}`;
    this.#ctx.plan.service(node, service, where);
    assertRunning(this.#ctx, where);
    checkArgv(argv, 'argv', where);
    const timeoutMs = checkPositiveMs(options.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS, 'timeoutMs', where);
    if (options.env !== undefined) checkEnvRecord(options.env, where);
    if (options.cwd !== undefined) checkContainerDir(options.cwd, 'cwd', where);
    if (options.maxOutputBytes !== undefined) checkByteCount(options.maxOutputBytes, 'maxOutputBytes', where, MAX_EXEC_OUTPUT_BYTES);
    const { container } = this.#ctx.containers.service(node, service);
    try {
      return await container.exec(argv, {
        timeoutMs,
        signal: this.#ctx.signal,
        ...(options.maxOutputBytes === undefined ? {} : { maxOutputBytes: options.maxOutputBytes }),
        ...(options.env ? { env: options.env } : {}),
        ...(options.cwd ? { cwd: options.cwd } : {}),
      });
    } catch (error) {
      if (error instanceof PakostiiError) throw error;
      throw new PakostiiError(`${where} of ${JSON.stringify(argv)} failed: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
        hint: 'is the service running? (t.exec needs a running task)',
      });
    }
  }
}

/** `t` over the run's context (see TestHandle for what each member does). */
export class RunTestHandle implements TestHandle {
  readonly id: string;
  readonly name: string;
  readonly artifactsDir: string;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly network: NetworkHandle;
  readonly exec: ExecHandle;
  readonly containers: ContainersHandle;
  readonly http: ClusterHttp;
  readonly #history: RunHistory;
  readonly #ctx: RunContext;

  constructor(ctx: RunContext) {
    this.#ctx = ctx;
    this.#history = new RunHistory(ctx);
    this.id = ctx.id;
    this.name = ctx.name;
    this.artifactsDir = ctx.artifactsDir;
    this.logger = ctx.logger;
    this.signal = ctx.signal;
    this.network = new RunNetworkHandle(ctx);
    this.exec = new RunExecHandle(ctx);
    this.containers = new RunContainers({
      plan: ctx.plan,
      logger: ctx.logger,
      signal: ctx.signal,
      timeline: ctx.timeline,
      container: (node, service) => ctx.containers.service(node, service).container,
      awaitReady: (node, service, signal) => ctx.containers.awaitReady(node, service, signal),
      expectExit: (node, service, reason) => ctx.containers.expectExit(node, service, reason),
      assertRunning: (where) => assertRunning(ctx, where),
    });
    this.http = new DialHttp(
      ctx.dial,
      (host, where) => resolveHost(host, ctx.plan, (node) => ctx.network.node(node).ip, where),
      ctx.signal,
    );
  }

  get history(): HistoryRecorder {
    assertRunning(this.#ctx, 't.history');
    return this.#history.recorder;
  }

  workload<C>(options: WorkloadOptions<C>): Promise<WorkloadResult> {
    try {
      assertRunning(this.#ctx, 't.workload');
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#history.workload(options, { partition: this.network.partition, containers: this.containers });
  }
}
