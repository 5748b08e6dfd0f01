/**
 * The options of t.workload() and their checks: every mistake is a SpecError
 * naming the option, raised before a client is opened or an operation issued.
 */
import { SpecError } from '../errors.js';
import type { Checker } from '../history/types.js';
import type { Client } from './client.js';
import { toGenerator, type Generator, type GeneratorLike } from './generator.js';
import type { Nemesis } from './nemesis.js';
import { checkSeed, type Seed } from './random.js';

export interface WorkloadOptions<C = unknown> {
  /** Number of client threads (logical processes at a time). */
  concurrency: number;
  /** The node each thread talks to: thread i gets nodes[i % nodes.length] (default: every node of the cluster). */
  nodes?: readonly string[];
  client: Client<C>;
  /** The operations to issue (see gen.*). */
  generator: GeneratorLike;
  /** A fault schedule that runs while `generator` does; healed when it ends. */
  nemesis?: Nemesis;
  /** How long the system may recover after the heal, before `final` (default 5000 ms with a nemesis, else 0). */
  recoveryMs?: number;
  /** Operations after the heal and the recovery, e.g. final reads. */
  final?: GeneratorLike;
  /** An operation not complete after this is recorded as info (default 5000 ms). */
  opTimeoutMs?: number;
  /** Seed of every random choice (default random; PAKOSTII_SEED overrides it). */
  seed?: Seed;
  /** Checkers to run on the history; a `false` verdict fails the test. */
  checker?: Checker | readonly Checker[];
  /** Time budget of each checker, ms (default 60000); past it the checker should answer 'unknown'. */
  checkTimeoutMs?: number;
}

export interface CheckedOptions<C> {
  concurrency: number;
  threadNodes: string[];
  client: Client<C>;
  generator: Generator;
  nemesis: Nemesis | undefined;
  recoveryMs: number;
  final: Generator | undefined;
  opTimeoutMs: number;
  seed: Seed | undefined;
  checkers: Checker[];
  checkTimeoutMs: number;
}

export const DEFAULT_OP_TIMEOUT_MS = 5_000;
export const DEFAULT_RECOVERY_MS = 5_000;
export const DEFAULT_CHECK_TIMEOUT_MS = 60_000;
export const MAX_CONCURRENCY = 10_000;

const WHERE = 'workload';

function positiveMs(value: unknown, name: string, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new SpecError(`${WHERE}: ${name} must be a ${allowZero ? 'non-negative' : 'positive'} number of ms, got ${JSON.stringify(value)}`, {
      hint: `e.g. ${name}: ${fallback || 1000}`,
    });
  }
  return value;
}

export function checkWorkloadOptions<C>(options: WorkloadOptions<C>, clusterNodes: readonly string[]): CheckedOptions<C> {
  if (options === null || typeof options !== 'object') {
    throw new SpecError(`${WHERE}: options must be an object`, { hint: '{ concurrency, client, generator, … }' });
  }
  const { concurrency } = options;
  if (typeof concurrency !== 'number' || !Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
    throw new SpecError(`${WHERE}: concurrency must be an integer from 1 to ${MAX_CONCURRENCY}, got ${JSON.stringify(concurrency)}`, {
      hint: 'concurrency is the number of client processes running at once, e.g. 10',
    });
  }
  const nodes = options.nodes ?? clusterNodes;
  if (!Array.isArray(nodes) || nodes.length === 0) {
    throw new SpecError(`${WHERE}: nodes must be a non-empty list of node names`, { hint: `the cluster's nodes: ${clusterNodes.join(', ')}` });
  }
  for (const node of nodes) {
    if (!clusterNodes.includes(node)) {
      throw new SpecError(`${WHERE}: unknown node ${JSON.stringify(node)} in nodes`, { hint: `the cluster's nodes: ${clusterNodes.join(', ')}` });
    }
  }
  const client = options.client;
  if (client === null || typeof client !== 'object' || typeof client.open !== 'function' || typeof client.invoke !== 'function' || (client.close !== undefined && typeof client.close !== 'function')) {
    throw new SpecError(`${WHERE}: client must be an object with open(node, process) and invoke(client, op, ctx) (and optionally close(client))`, {
      hint: 'wrap your client library: { open: (node) => connect(node), invoke: async (c, op) => ({ type: "ok", value }), close: (c) => c.close() }',
    });
  }
  if (options.generator === undefined) throw new SpecError(`${WHERE}: generator is missing`, { hint: "e.g. generator: gen.mix([{ f: 'read' }, …])" });
  const generator = toGenerator(options.generator, `${WHERE}: generator`);
  const final = options.final === undefined ? undefined : toGenerator(options.final, `${WHERE}: final`);
  const nemesis = options.nemesis;
  if (nemesis !== undefined && (nemesis === null || typeof nemesis !== 'object' || typeof nemesis.schedule !== 'function' || typeof nemesis.invoke !== 'function' || typeof nemesis.heal !== 'function')) {
    throw new SpecError(`${WHERE}: nemesis must be a Nemesis (e.g. nemesis.partitions())`, { hint: 'build one with nemesis.partitions(), nemesis.kills(), nemesis.compose(…)' });
  }
  const checkers = options.checker === undefined ? [] : Array.isArray(options.checker) ? [...(options.checker as Checker[])] : [options.checker as Checker];
  checkers.forEach((checker, i) => {
    if (checker === null || typeof checker !== 'object' || typeof checker.check !== 'function' || typeof checker.name !== 'string') {
      throw new SpecError(`${WHERE}: checker${checkers.length > 1 ? `[${i}]` : ''} must be a Checker { name, check(history) }`, { hint: 'e.g. checkers.linearizable({ model: models.casRegister() })' });
    }
  });
  return {
    concurrency,
    threadNodes: Array.from({ length: concurrency }, (_, i) => nodes[i % nodes.length]!),
    client,
    generator,
    nemesis,
    recoveryMs: positiveMs(options.recoveryMs, 'recoveryMs', nemesis ? DEFAULT_RECOVERY_MS : 0, true),
    final,
    opTimeoutMs: positiveMs(options.opTimeoutMs, 'opTimeoutMs', DEFAULT_OP_TIMEOUT_MS),
    seed: options.seed === undefined ? undefined : checkSeed(options.seed, WHERE),
    checkers,
    checkTimeoutMs: positiveMs(options.checkTimeoutMs, 'checkTimeoutMs', DEFAULT_CHECK_TIMEOUT_MS),
  };
}
