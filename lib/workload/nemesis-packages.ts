/**
 * Ready-made nemeses, like Jepsen's combined nemesis packages: partitions
 * (random halves, an isolated node, majorities ring, …), process kills and
 * pauses. Each runs a cycle — wait `everyMs ± jitterMs`, start a fault, hold it
 * `durationMs`, stop it — whose choices come from the nemesis's seeded stream,
 * and heals whatever is still in effect at the end.
 */
import { SpecError } from '../errors.js';
import type { NetworkFaultHandle } from '../faults/network-fault.js';
import type { GenContext, Generator, Op } from './generator.js';
import type { Nemesis, NemesisEnv } from './nemesis.js';

const MS = 1_000_000;

export interface CycleOptions {
  /** Mean pause between faults, ms (default 5000). */
  everyMs?: number;
  /** The pause varies by up to ± this, ms (default 2000). */
  jitterMs?: number;
  /** How long each fault lasts, ms (default 5000). */
  durationMs?: number;
}

export type PartitionShape = 'randomHalves' | 'isolateNode' | 'majoritiesRing' | 'halves' | 'bridge';
export const PARTITION_SHAPES: readonly PartitionShape[] = ['randomHalves', 'isolateNode', 'majoritiesRing', 'halves', 'bridge'];

export interface PartitionOptions extends CycleOptions {
  /** Shapes to choose from at random (default randomHalves, isolateNode, majoritiesRing). */
  shapes?: readonly PartitionShape[];
  /** Nodes `isolateNode` picks from (default every node). */
  nodes?: readonly string[];
}

export interface ProcessFaultOptions extends CycleOptions {
  /** The service to kill/pause (default: each node's only service). */
  service?: string;
  /** Nodes to pick from (default every node running the service). */
  nodes?: readonly string[];
}

interface Cycle {
  everyNs: number;
  jitterNs: number;
  durationNs: number;
}

function checkCycle(options: CycleOptions, where: string): Cycle {
  const pick = (name: keyof CycleOptions, fallback: number, allowZero: boolean): number => {
    const value = options[name] ?? fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
      throw new SpecError(`${where}: ${name} must be a ${allowZero ? 'non-negative' : 'positive'} number of ms, got ${JSON.stringify(value)}`, {
        hint: `e.g. ${where}({ everyMs: 5000, jitterMs: 2000, durationMs: 5000 })`,
      });
    }
    return value * MS;
  };
  const cycle = { everyNs: pick('everyMs', 5000, false), jitterNs: pick('jitterMs', 2000, true), durationNs: pick('durationMs', 5000, false) };
  if (cycle.jitterNs > cycle.everyNs) {
    throw new SpecError(`${where}: jitterMs (${cycle.jitterNs / MS}) is larger than everyMs (${cycle.everyNs / MS})`, { hint: 'keep jitterMs ≤ everyMs' });
  }
  return cycle;
}

/**
 * The cycle as a generator: `start` ops at planned times, each followed by
 * `stop` after the duration. Planned times follow from the previous planned
 * times (not from when things actually happened), so a seed fixes the plan.
 */
class CycleSchedule implements Generator {
  #nextStart = -1;
  #stop: Op | undefined;
  constructor(
    readonly cycle: Cycle,
    readonly start: (ctx: GenContext) => Op,
    readonly stop: (started: Op) => Op,
  ) {}
  next(ctx: GenContext): Op {
    if (this.#stop !== undefined) {
      const op = this.#stop;
      this.#stop = undefined;
      this.#nextStart = op.at! + this.#pause(ctx);
      return op;
    }
    if (this.#nextStart < 0) this.#nextStart = ctx.time + this.#pause(ctx);
    const op = { ...this.start(ctx), at: this.#nextStart };
    this.#stop = { ...this.stop(op), at: op.at + this.cycle.durationNs };
    return op;
  }
  #pause(ctx: GenContext): number {
    return Math.max(0, this.cycle.everyNs + (ctx.timing.next() * 2 - 1) * this.cycle.jitterNs);
  }
  fresh(): Generator {
    return new CycleSchedule(this.cycle, this.start, this.stop);
  }
}

function checkNodes(env: NemesisEnv, nodes: readonly string[] | undefined, where: string): string[] {
  if (nodes === undefined) return [...env.nodes];
  if (!Array.isArray(nodes) || nodes.length === 0) throw new SpecError(`${where}: nodes must be a non-empty list of node names`, { hint: `the cluster's nodes: ${env.nodes.join(', ')}` });
  for (const node of nodes) {
    if (!env.nodes.includes(node)) throw new SpecError(`${where}: unknown node ${JSON.stringify(node)}`, { hint: `the cluster's nodes: ${env.nodes.join(', ')}` });
  }
  return [...nodes];
}

/**
 * Random partitions: every `everyMs ± jitterMs`, one of `shapes` for `durationMs`, then heal.
 * Partitions cut nodes from each other only; the runner (clients' port forwards) keeps every node.
 */
export function partitions(options: PartitionOptions = {}): Nemesis {
  const where = 'nemesis.partitions';
  const cycle = checkCycle(options, where);
  const shapes = options.shapes ?? ['randomHalves', 'isolateNode', 'majoritiesRing'];
  if (!Array.isArray(shapes) || shapes.length === 0 || shapes.some((s) => !PARTITION_SHAPES.includes(s))) {
    throw new SpecError(`${where}: shapes must be a non-empty list of ${PARTITION_SHAPES.join(', ')}; got ${JSON.stringify(shapes)}`, {
      hint: "e.g. shapes: ['randomHalves', 'isolateNode']",
    });
  }
  const active = new Map<string, NetworkFaultHandle>();
  let counter = 0;
  return {
    name: 'partitions',
    schedule(env) {
      active.clear();
      const targets = checkNodes(env, options.nodes, where);
      if (env.nodes.length < 2) throw new SpecError(`${where}: a partition needs at least 2 nodes; the cluster has ${env.nodes.length}`, { hint: 'add nodes or drop the nemesis' });
      return new CycleSchedule(
        cycle,
        (ctx) => {
          const shape = ctx.random.pick(shapes);
          const value: Record<string, unknown> = { shape };
          if (shape === 'isolateNode') value.node = ctx.random.pick(targets);
          if (shape === 'randomHalves' || shape === 'majoritiesRing') value.seed = ctx.random.int(2 ** 31);
          return { f: 'start-partition', value };
        },
        () => ({ f: 'stop-partition', value: null }),
      );
    },
    async invoke(op, env) {
      if (op.f === 'stop-partition') {
        const healed = [...active.keys()];
        for (const [name, fault] of active) {
          await fault.heal();
          active.delete(name);
        }
        return { healed };
      }
      const value = op.value as { shape: PartitionShape; node?: string; seed?: number };
      const name = `nemesis ${value.shape} #${++counter}`;
      const p = env.partition;
      const fault =
        value.shape === 'isolateNode'
          ? p.isolateNode(name, value.node!).withNetworkAccess()
          : value.shape === 'randomHalves'
            ? p.randomHalves(name, value.seed!)
            : value.shape === 'majoritiesRing'
              ? p.majoritiesRing(name, value.seed!)
              : value.shape === 'halves'
                ? p.halves(name)
                : p.bridge(name);
      await fault.apply();
      active.set(name, fault);
      return { ...value, name, ...fault.params };
    },
    async heal() {
      const healed = [...active.keys()];
      for (const [name, fault] of active) {
        if (fault.active) await fault.heal();
        active.delete(name);
      }
      return healed.map((name) => ({ healed: name }));
    },
  };
}

function processFaults(kind: 'kills' | 'pauses', options: ProcessFaultOptions): Nemesis {
  const where = `nemesis.${kind}`;
  const cycle = checkCycle(options, where);
  const [startF, stopF] = kind === 'kills' ? (['kill', 'start'] as const) : (['pause', 'resume'] as const);
  /** node → service currently down/paused. */
  const affected = new Map<string, string>();
  return {
    name: kind,
    schedule(env) {
      affected.clear();
      const nodes = checkNodes(env, options.nodes, where);
      const targets = nodes.map((node) => {
        const services = env.services(node);
        const service = options.service ?? (services.length === 1 ? services[0] : undefined);
        if (service === undefined || !services.includes(service)) {
          throw new SpecError(
            options.service === undefined
              ? `${where}: node "${node}" runs ${services.length} services (${services.join(', ')}); say which one`
              : `${where}: node "${node}" does not run service ${JSON.stringify(service)} (it runs ${services.join(', ')})`,
            { hint: `${where}({ service: '…' }) or nodes: [...] running it` },
          );
        }
        return { node, service };
      });
      return new CycleSchedule(
        cycle,
        (ctx) => ({ f: startF, value: ctx.random.pick(targets) }),
        (started) => ({ f: stopF, value: started.value }),
      );
    },
    async invoke(op, env) {
      const { node, service } = op.value as { node: string; service: string };
      if (op.f === startF) {
        affected.set(node, service);
        await (kind === 'kills' ? env.containers.kill(node, service) : env.containers.pause(node, service));
      } else {
        await (kind === 'kills' ? startAfterKill(env, node, service) : env.containers.resume(node, service));
        affected.delete(node);
      }
      return { node, service };
    },
    async heal(env) {
      const done: unknown[] = [];
      for (const [node, service] of affected) {
        if (kind === 'kills') await startAfterKill(env, node, service, true);
        else await env.containers.resume(node, service);
        affected.delete(node);
        done.push({ [stopF]: `${node}/${service}` });
      }
      return done;
    },
  };
}

const EXIT_WAIT_MS = 10_000;

/**
 * kill() returns once the signal is sent, not when the task has exited; a start
 * in between is refused ("already running"). Retry until the old task is gone.
 */
async function startAfterKill(env: NemesisEnv, node: string, service: string, awaitReady = false): Promise<void> {
  const deadline = Date.now() + EXIT_WAIT_MS;
  for (;;) {
    try {
      await env.containers.start(node, service, { awaitReady });
      return;
    } catch (error) {
      if (!/already running/.test(String((error as Error)?.message)) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Kill a random node's service (SIGKILL) every `everyMs ± jitterMs`, start it again `durationMs` later. */
export function kills(options: ProcessFaultOptions = {}): Nemesis {
  return processFaults('kills', options);
}

/** Pause a random node's service (cgroup freezer) every `everyMs ± jitterMs`, resume it `durationMs` later. */
export function pauses(options: ProcessFaultOptions = {}): Nemesis {
  return processFaults('pauses', options);
}
