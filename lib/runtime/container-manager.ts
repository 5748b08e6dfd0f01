/**
 * The run's containers: images ensured, one containerd container per service
 * joined to its node's namespace, with /etc/hosts and user files bind-mounted
 * read-only and stdout/stderr appended straight to the artifacts. Starts
 * services (after their start delay), awaits their readiness probes in
 * parallel, logs unexpected exits, and removes everything it created.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import * as containerd from '../containerd/index.js';
import type { Container, ContainerdClient } from '../containerd/index.js';
import type { ContainerSpec as ServiceSpec } from '../spec/container.js';
import type { ClusterPlan, PlannedNode } from '../spec/plan.js';
import type { Artifacts } from './artifacts.js';
import { removeRunCgroups } from '../host/cgroups.js';
import { getXattr } from '../native/index.js';
import { writeHostsFile } from './hosts-file.js';
import { LABELS, names } from '../host/names.js';
import { noteObject } from '../host/run-objects.js';
import type { NetworkManager } from './network-manager.js';
import { delay } from './delay.js';
import { createPullReporter } from './pull-progress.js';
import { waitReady, type ProbeTransport } from './readiness.js';

/** How long after t.containers.kill/stop/restart an exit counts as caused by it. */
const EXPECTED_EXIT_MS = 30_000;

export interface ContainerdOptions {
  socket?: string;
  namespace?: string;
}

export interface ServiceRuntime {
  readonly node: string;
  readonly service: string;
  readonly container: Container;
}

export interface ContainerManagerContext {
  runId: string;
  testName: string;
  plan: ClusterPlan;
  logger: Logger;
  network: NetworkManager;
  artifacts: Artifacts;
  workDir: string;
  containerd: ContainerdOptions;
  readinessTimeoutMs: number;
  /** Builds the transport a service's probe uses (runner-namespace HTTP/TCP, exec in the container). */
  probeTransport: (node: string, container: Container) => ProbeTransport;
  /** Connects to containerd; replaced in tests. */
  connect?: (options: ContainerdOptions) => Promise<ContainerdClient>;
}

export class ContainerManager {
  readonly #ctx: ContainerManagerContext;
  readonly #logger: Logger;
  #client: ContainerdClient | undefined;
  #unsubscribe: (() => void) | undefined;
  readonly #services = new Map<string, ServiceRuntime>();
  #cgroupNoted = false;
  #stopping = false;
  /** Container id → why the test ended its process (t.containers.kill/stop/restart). */
  readonly #expectedExits = new Map<string, { reason: string; until: number }>();

  constructor(ctx: ContainerManagerContext) {
    this.#ctx = ctx;
    this.#logger = ctx.logger.child({ component: 'container_manager' });
  }

  get client(): ContainerdClient {
    if (!this.#client) throw new Error('containerd not connected');
    return this.#client;
  }

  /** The container of `service` on `node` (validated by the caller against the plan). */
  service(node: string, service: string): ServiceRuntime {
    const found = this.#services.get(key(node, service));
    if (!found) throw new Error(`service ${service} on node ${node} was not created`);
    return found;
  }

  get services(): readonly ServiceRuntime[] {
    return [...this.#services.values()];
  }

  async provision(signal: AbortSignal): Promise<void> {
    const { plan } = this.#ctx;
    this.#logger.info('preparing containers');
    const connect = this.#ctx.connect ?? ((o: ContainerdOptions) => containerd.ContainerdClient.connect({ ...o, readXattr: getXattr }));
    this.#client = await connect(this.#ctx.containerd);
    this.#unsubscribe = this.#client.onTaskExit((event) => this.#onExit(event));

    await this.#ensureImages(signal);
    const hostsPath = join(this.#ctx.workDir, 'hosts');
    await writeHostsFile(hostsPath, this.#ctx.network.nodes);

    const all = plan.nodes.flatMap((node) => node.services.map((service) => ({ node, service })));
    await settleAll(all.map(({ node, service }) => this.#create(node, service, hostsPath)));
    await failFast(signal, (phase) => all.map(({ node, service }) => this.#startAndAwaitReady(node, service, phase)));
  }

  async #ensureImages(signal: AbortSignal): Promise<void> {
    const images = [...new Set(this.#ctx.plan.nodes.flatMap((n) => n.services.map((s) => s.image)))];
    const reporter = createPullReporter(this.#logger);
    try {
      await settleAll(images.map((image) => this.client.ensureImage(image, { onProgress: (p) => reporter.onProgress(p), signal })));
    } finally {
      reporter.done();
    }
  }

  async #create(node: PlannedNode, service: ServiceSpec, hostsPath: string): Promise<void> {
    const { runId, testName, artifacts, network, workDir } = this.#ctx;
    const mounts = [{ source: hostsPath, destination: '/etc/hosts' }];
    const filesDir = join(workDir, 'files', node.name, service.name);
    for (const [target, content] of service.files) {
      const source = join(filesDir, target);
      await mkdir(dirname(source), { recursive: true });
      await writeFile(source, content, { mode: 0o644 });
      mounts.push({ source, destination: target });
    }
    const id = names.container(runId, node.name, service.name);
    // runc makes the run's cgroup parent when the first task starts: noted before, so the janitor may remove it.
    if (!this.#cgroupNoted) noteObject(runId, { kind: 'cgroup', path: names.cgroup(runId) });
    this.#cgroupNoted = true;
    const container = await this.client.createContainer({
      id,
      image: service.image,
      hostname: node.name,
      netnsPath: network.netnsPath(node.name),
      env: { ...service.env },
      ...(service.command ? { command: [...service.command] } : {}),
      mounts,
      labels: {
        [LABELS.run]: runId,
        [LABELS.test]: testName,
        [LABELS.node]: node.name,
        [LABELS.service]: service.name,
        [LABELS.pid]: String(process.pid),
      },
      stdoutPath: artifacts.stdoutPath(node.name, service.name),
      stderrPath: artifacts.stderrPath(node.name, service.name),
      cgroupsPath: `${names.cgroup(runId)}/${node.name}-${service.name}`,
    });
    this.#services.set(key(node.name, service.name), Object.freeze({ node: node.name, service: service.name, container }));
  }

  async #startAndAwaitReady(node: PlannedNode, service: ServiceSpec, signal: AbortSignal): Promise<void> {
    const runtime = this.service(node.name, service.name);
    if (service.startDelayMs > 0) {
      this.#logger.info({ node: node.name, name: service.name, delay_ms: service.startDelayMs }, 'delaying container start');
      await delay(service.startDelayMs, signal);
    }
    await runtime.container.start();
    this.#logger.info({ node: node.name, container_id: runtime.container.id, name: service.name }, 'container running');
    await this.#awaitReady(node, service, runtime, signal);
  }

  /** Await the service's readiness probe again (after t.containers.start/restart); no probe → resolves at once. */
  async awaitReady(nodeName: string, serviceName: string, signal: AbortSignal): Promise<void> {
    const node = this.#ctx.plan.node(nodeName, 'awaitReady');
    const service = this.#ctx.plan.service(nodeName, serviceName, 'awaitReady');
    await this.#awaitReady(node, service, this.service(nodeName, serviceName), signal);
  }

  async #awaitReady(node: PlannedNode, service: ServiceSpec, runtime: ServiceRuntime, signal: AbortSignal): Promise<void> {
    const probe = service.readiness;
    if (!probe) return;
    const what = `service ${JSON.stringify(service.name)} on node ${JSON.stringify(node.name)}`;
    const attempts = await waitReady(probe, this.#ctx.probeTransport(node.name, runtime.container), {
      what,
      deadlineMs: this.#ctx.readinessTimeoutMs,
      signal,
      onAttemptFailed: (error, attempt) =>
        this.#logger.debug({ node: node.name, name: service.name, attempt, err: error }, 'readiness probe failed'),
    });
    this.#logger.info({ node: node.name, name: service.name, attempts }, 'container ready');
  }

  /**
   * The service's next exit, within EXPECTED_EXIT_MS, is the test's own doing (`reason`).
   * Bounded in time: a kill with a signal the process survives must not excuse a later crash.
   */
  expectExit(node: string, service: string, reason: string): void {
    this.#expectedExits.set(this.service(node, service).container.id, { reason, until: Date.now() + EXPECTED_EXIT_MS });
  }

  #onExit(event: containerd.TaskExitEvent): void {
    if (this.#stopping) return;
    const found = this.services.find((s) => s.container.id === event.containerId);
    if (!found) return;
    const expected = this.#expectedExits.get(event.containerId);
    this.#expectedExits.delete(event.containerId);
    // Stop waits up to its timeout before SIGKILL, so the window starts counting after the call.
    if (expected && Date.now() <= expected.until) {
      this.#logger.info({ node: found.node, service: found.service, exit_code: event.exitCode, cause: expected.reason }, 'service exited');
      return;
    }
    this.#logger.warn({ node: found.node, service: found.service, exit_code: event.exitCode }, 'service exited unexpectedly');
  }

  /** Best-effort removal of every container of the run (and anything else labelled with it). */
  async teardown(): Promise<unknown[]> {
    this.#stopping = true;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    const errors: unknown[] = [];
    const client = this.#client;
    if (!client) return errors;
    const results = await Promise.allSettled(this.services.map((s) => s.container.remove()));
    for (const r of results) if (r.status === 'rejected') errors.push(r.reason);
    this.#services.clear();
    // Catches what a failed create may have left (snapshot, lease) before it was recorded.
    try {
      await client.removeRunObjects(this.#ctx.runId);
    } catch (error) {
      errors.push(error);
    }
    client.close();
    this.#client = undefined;
    try {
      await removeRunCgroups(this.#ctx.runId);
    } catch (error) {
      errors.push(error);
    }
    return errors;
  }
}

/**
 * Runs tasks sharing one abort signal; the first failure aborts the others (no
 * point waiting 60 s for the rest when one service already failed), waits for
 * all of them to stop, then rejects with that first failure.
 */
async function failFast(signal: AbortSignal, start: (phase: AbortSignal) => Promise<unknown>[]): Promise<void> {
  const phase = new AbortController();
  const combined = AbortSignal.any([signal, phase.signal]);
  let first: { error: unknown } | undefined;
  const tasks = start(combined).map((task) =>
    task.catch((error: unknown) => {
      if (!first) first = { error };
      phase.abort(error);
    }),
  );
  await Promise.all(tasks);
  if (first) throw first.error;
}

function key(node: string, service: string): string {
  return `${node}\u0000${service}`;
}

/** Like Promise.all, but waits for every promise before rejecting with the first error (nothing left running). */
async function settleAll(promises: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
