/**
 * Test: a named cluster spec that can be run. `run(fn)` provisions the network
 * and containers, waits for readiness, calls fn with a TestHandle, and ALWAYS
 * tears everything down (also after a failure half-way through provisioning or
 * an interrupt), then resolves with the result or rejects with TestFailedError.
 *
 * Near 300 lines because run() is one sequence (plan, provision, readiness,
 * the test function, teardown) over one ownership stack, best read top to
 * bottom; its steps live in the managers (network-manager.ts,
 * container-manager.ts) and the stack in teardown-stack.ts.
 */
import { mkdir, rm } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { Logger } from 'pino';
import * as native from '../native/index.js';
import { messageOf, PakostiiError, SpecError, TestFailedError } from '../errors.js';
import { FaultRegistry } from '../faults/registry.js';
import { FaultTimeline } from '../faults/timeline.js';
import type { ClusterSpec } from '../spec/cluster.js';
import { checkTestName, planCluster, type ClusterPlan } from '../spec/plan.js';
import { checkPositiveMs } from '../spec/rules.js';
import { Artifacts } from './artifacts.js';
import { ContainerManager, type ContainerdOptions } from './container-manager.js';
import type { Dial } from './dial.js';
import { guardInterrupts } from './interrupts.js';
import { createDefaultLogger } from './logger.js';
import { defaultWorkBase, stateDir } from '../host/paths.js';
import { ensurePrivateDir } from '../host/private-dir.js';
import { resolvePool } from '../host/subnet-claims.js';
import { registerNewRun, unregisterRun, type RunRegistration } from '../host/run-records.js';
import { cleanupDeadRuns } from '../janitor/index.js';
import { reportAtRunEnd } from '../report/run-end.js';
import { NetworkManager, type Reach } from './network-manager.js';
import { probeTransport } from './probe-transport.js';
import type { RunContext } from './run-context.js';
import type { TestHandle } from './handles.js';
import { RunTestHandle } from './test-handle.js';
import { RunInfo } from './run-info.js';
import { TeardownStack } from './teardown-stack.js';

export interface TestOptions {
  /** A pino logger; default: pretty on a TTY, JSON lines otherwise (PAKOSTII_LOG_FORMAT=json forces JSON). */
  logger?: Logger;
  /** Base directory of artifacts (default ".pakostii" in the cwd); a run writes into <base>/<test>-<id>/. */
  artifactsDir?: string;
  /** Base of the run's scratch files (/etc/hosts, user files): <base>/<id>/, removed at teardown. Default <state dir>/work (root-only; a base another user owns or can write to is refused). */
  workDir?: string;
  containerd?: ContainerdOptions;
  /** How long each service may take to pass its readiness probe after it started (default 60 s). */
  readinessTimeoutMs?: number;
  /**
   * How the test process reaches the nodes. 'forward' (default): through port
   * forwards and t.http only. 'direct': also at every node's cluster address
   * (t.network.ipOf(node)) and port, as cluster-aware clients that follow the
   * addresses nodes advertise need; the run adds one address (and the kernel its
   * three routes) on the run's own bridge, all removed at teardown.
   */
  reach?: Reach;
}

export interface TestResult {
  id: string;
  name: string;
  artifactsDir: string;
  durationMs: number;
  /** From run() to the test function's start (provisioning + readiness). */
  readyMs: number;
}

/**
 * The test body. Throwing/rejecting fails the run; so does *returning* an Error
 * (the Go guide's `return err` idiom), so `return new Error("…")` cannot pass silently.
 */
export type TestFunction = (t: TestHandle) => Promise<void | Error> | void | Error;

export const DEFAULT_READINESS_TIMEOUT_MS = 60_000;

export class Test {
  readonly name: string;
  readonly #plan: ClusterPlan;
  readonly #options: TestOptions;
  #logger: Logger | undefined;

  /** Validates the whole spec now: a SpecError here means nothing was created. */
  constructor(name: string, cluster: ClusterSpec, options: TestOptions = {}) {
    this.name = checkTestName(name);
    this.#plan = planCluster(cluster);
    if (options.readinessTimeoutMs !== undefined) checkPositiveMs(options.readinessTimeoutMs, 'readinessTimeoutMs', 'new Test()');
    if (options.reach !== undefined && options.reach !== 'forward' && options.reach !== 'direct') {
      throw new SpecError(`new Test(): reach must be 'forward' or 'direct', got ${JSON.stringify(options.reach)}`, {
        hint: "use { reach: 'direct' } to let the test process connect to the nodes' cluster addresses",
      });
    }
    if (options.workDir !== undefined && (typeof options.workDir !== 'string' || !isAbsolute(options.workDir))) {
      throw new SpecError(`new Test(): workDir ${JSON.stringify(options.workDir)} is not an absolute path`, {
        hint: 'give an absolute directory for scratch files, or leave it out (default: <state dir>/work)',
      });
    }
    Artifacts.checkBaseOption(options.artifactsDir);
    this.#options = { ...options };
  }

  /** The scratch base, made root-only and checked (never a directory another user can redirect). */
  #workBase(): string {
    return this.#options.workDir ?? defaultWorkBase();
  }

  get #rootLogger(): Logger {
    this.#logger ??= this.#options.logger ?? createDefaultLogger();
    return this.#logger;
  }

  async run(fn: TestFunction): Promise<TestResult> {
    const started = performance.now();
    // Registered before anything exists: the crash janitor removes objects of runs without a live record.
    let id: string;
    try {
      // Before anything is written: the state dir holds what the containerd shim runs as root.
      ensurePrivateDir(stateDir(), { mode: 0o755, what: 'state dir (PAKOSTII_STATE_DIR)' });
      ensurePrivateDir(this.#workBase(), { what: 'scratch base (workDir)' });
      Artifacts.ensureBase(this.#options.artifactsDir);
      // A bad PAKOSTII_SUBNET_POOL is a mistake to report before the run exists, not during provisioning.
      resolvePool();
      // Leftovers of runs whose process is gone (SIGKILL, crash) go first; never throws.
      const swept = await cleanupDeadRuns();
      if (swept.runs.length > 0) this.#rootLogger.warn({ runs: swept.runs.map((r) => r.id), errors: swept.runs.flatMap((r) => r.errors) }, 'removed leftovers of dead runs');
      id = (await registerNewRun((id) => this.#registration(id))).id;
    } catch (error) {
      const message = `cannot register the run: ${messageOf(error)}`;
      this.#rootLogger.error({ error: message }, 'test failed');
      throw new TestFailedError(`test "${this.name}" failed: ${message}`, {
        id: '',
        testName: this.name,
        artifactsDir: '',
        durationMs: Math.round(performance.now() - started),
        cause: error,
      });
    }
    const log = this.#rootLogger.child({ test_id: id });
    const artifacts = new Artifacts(this.name, id, this.#options.artifactsDir);
    const workDir = join(this.#workBase(), id);
    const plan = this.#plan;
    log.info(
      { nodes: plan.nodes.map((n) => n.name), artifacts_dir: artifacts.displayDir, work_dir: workDir },
      `runtime for test "${this.name}" starting`,
    );

    // A run owns kernel and containerd objects: the process must not end (event loop
    // empty, e.g. fn awaiting something that can never settle) before teardown ran.
    const keepAlive = setInterval(() => undefined, 2 ** 30);
    const controller = new AbortController();
    const guard = guardInterrupts(log, id, (signal) =>
      controller.abort(new PakostiiError(`test "${this.name}" was interrupted by ${signal}`, { hint: 'everything the run created is being removed' })),
    );
    // Undo steps, pushed by each resource right before it is created; teardown unwinds them.
    const owned = new TeardownStack();
    owned.push('run record', () => unregisterRun(id));
    const closeables: Array<{ close(): Promise<void> }> = [];
    const network = new NetworkManager(id, plan, log, native, this.#options.reach ?? 'forward');
    const dial: Dial = (ip, port, options) => native.connectInNetns(network.runnerNetns, ip, port, options);
    const containers = new ContainerManager({
      runId: id,
      testName: this.name,
      plan,
      logger: log,
      network,
      artifacts,
      workDir,
      containerd: this.#options.containerd ?? {},
      readinessTimeoutMs: this.#options.readinessTimeoutMs ?? DEFAULT_READINESS_TIMEOUT_MS,
      probeTransport: (node, container) => probeTransport(dial, network.node(node).ip, container),
    });
    const timeline = new FaultTimeline(artifacts.dir, log);
    // The zero of every history time, on faults.jsonl's clock.
    const runInfo = new RunInfo(artifacts.dir, this.name, id, process.hrtime.bigint(), new Date());
    // `failed`, not `failure === undefined`: `throw undefined` and `Promise.reject()` are failures too.
    let failed = false;
    let failure: unknown;
    let readyMs = 0;

    try {
      log.info('preparing runtime');
      owned.push('scratch files', () => rm(workDir, { recursive: true, force: true }));
      // Not recursive: the base was checked; a fresh, root-only directory of this run's own.
      await mkdir(workDir, { mode: 0o700 });
      await artifacts.prepare(plan);
      runInfo.write();
      timeline.create();
      // What the kernel offers for slow links, asked once per run, in parallel with the network.
      const trafficControl = native.probeTrafficControl().catch((error: unknown) => {
        log.warn({ err: error }, 'traffic-control probe failed: slow-link faults are unavailable in this run');
        return undefined;
      });
      owned.push('network', async () => {
        try {
          return await network.teardown();
        } finally {
          log.info('network tore down');
        }
      });
      await network.provision();
      controller.signal.throwIfAborted();
      owned.push('containers', async () => {
        try {
          return await containers.teardown();
        } finally {
          log.info('containers tore down');
        }
      });
      await containers.provision(controller.signal);
      controller.signal.throwIfAborted();
      // What the test's handles open (port forwards, the traffic shaper, the history) is closed
      // after every fault was healed: the shaper's close relies on it.
      owned.push('handles', async () => {
        const results = await Promise.allSettled(closeables.map((c) => c.close()));
        return results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      });
      const engine = network.engine;
      const faults = new FaultRegistry(engine, () => new native.PolicyMatrix(engine.maxNodes), log, timeline.onNetworkEvent);
      owned.push('faults', () => {
        faults.close();
      });
      readyMs = Math.round(performance.now() - started);
      log.info({ ready_ms: readyMs }, 'runtime ready');

      const ctx: RunContext = {
        id,
        name: this.name,
        artifactsDir: artifacts.dir,
        logger: log,
        signal: controller.signal,
        plan,
        network,
        containers,
        faults,
        timeline,
        dial,
        runInfo,
        ...(await trafficControl.then((support) => (support ? { trafficControl: support } : {}))),
        trackCloseable: (c) => closeables.push(c),
      };
      log.info(`starting test "${this.name}"`);
      // An interrupt does not wait for fn: it may be stuck on a peer we are about to remove.
      const body = Promise.resolve()
        .then(() => fn(new RunTestHandle(ctx)))
        .then((returned) => {
          if (returned instanceof Error) throw returned;
        });
      body.catch(() => undefined);
      await Promise.race([body, guard.interrupted.then(() => controller.signal.throwIfAborted())]);
    } catch (error) {
      failed = true;
      failure = controller.signal.aborted && guard.received ? controller.signal.reason : withReason(error);
    }

    log.info({ destination: artifacts.displayDir }, 'artifacts collected');
    log.info('tearing down runtime');
    if (!controller.signal.aborted) controller.abort(new PakostiiError(`test "${this.name}" has finished`));
    const teardownErrors = await owned.unwind();
    for (const error of teardownErrors) log.error({ err: error }, 'teardown step failed');
    timeline.close();
    try {
      runInfo.update({ endedMono: process.hrtime.bigint().toString() });
    } catch {
      // Provisioning failed before the artifacts directory existed: nothing to update.
    }
    await reportAtRunEnd(artifacts.dir, log);
    guard.dispose();
    clearInterval(keepAlive);
    const durationMs = Math.round(performance.now() - started);
    const result: TestResult = { id, name: this.name, artifactsDir: artifacts.dir, durationMs, readyMs };

    if (!failed && teardownErrors.length === 0) {
      log.info({ duration_ms: durationMs }, 'test passed');
      return result;
    }
    const cause =
      teardownErrors.length === 0
        ? failure
        : new AggregateError(failed ? [failure, ...teardownErrors] : teardownErrors, describe(failed, failure, teardownErrors));
    const message = failed ? messageOf(failure) : `teardown failed: ${messageOf(teardownErrors[0])}`;
    log.error({ error: message, duration_ms: durationMs }, 'test failed');
    throw new TestFailedError(`test "${this.name}" failed: ${message}`, {
      id,
      testName: this.name,
      artifactsDir: artifacts.dir,
      durationMs,
      cause,
    });
  }

  /** What the run record of run `id` says: the record is written before anything of the run exists. */
  #registration(id: string): Omit<RunRegistration, 'id'> {
    return {
      testName: this.name,
      workDir: join(this.#workBase(), id),
      artifactsDir: new Artifacts(this.name, id, this.#options.artifactsDir).dir,
      nodes: this.#plan.nodes.map((n) => n.name),
      ...(this.#options.containerd ? { containerd: this.#options.containerd } : {}),
    };
  }
}

/** A rejection without a reason (`throw undefined`, `Promise.reject()`) still fails the test, with words saying so. */
function withReason(error: unknown): unknown {
  if (error !== undefined && error !== null) return error;
  return new PakostiiError(`the test function failed with ${String(error)} (no reason given: \`throw ${String(error)}\` or a rejection without a value)`, {
    hint: 'throw or reject with an Error that says what went wrong',
  });
}

function describe(failed: boolean, failure: unknown, teardownErrors: unknown[]): string {
  const first = failed ? messageOf(failure) : 'test passed';
  return `${first}; and teardown failed: ${teardownErrors.map(messageOf).join('; ')}`;
}
