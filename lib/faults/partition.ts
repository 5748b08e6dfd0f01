/**
 * t.network.partition: constructors of partition faults. Adding a fault kind =
 * a PolicyFill (see isolate-az.ts) plus a method here that validates its
 * arguments against the plan and defines it on the registry.
 *
 * Every constructor takes the fault's name first, and every one may be called
 * without it (the same arguments minus the name): a one-off fault then gets a
 * generated name, "<kind> <n>", unique in the run. `undefined` as the name does
 * the same (majoritiesRing(undefined, seed) is the unnamed ring with a seed).
 */
import { SpecError } from '../errors.js';
import type { ClusterPlan } from '../spec/plan.js';
import { cutBetween, cutComponents, cutGrudge, cutOneWay } from './cuts.js';
import { isolateGroup } from './isolate-az.js';
import { callOf, faultName, networkFault, type NetworkFaultHandle } from './network-fault.js';
import { checkSomePair, describeGroup, resolveGroup, type NodeSelector } from './node-groups.js';
import type { FaultRegistry } from './registry.js';
import type { PolicyFill } from './policy.js';
import { bisect, bridge, majoritiesRing, seedOf, shuffle } from './topologies.js';

/** What isolateAZ returns (kept as a name of its own; every network fault has the same handle). */
export type IsolationHandle = NetworkFaultHandle;

/** t.network.partition: the partition faults of the run (implemented by PartitionFaults). */
export interface Partition {
  /** Cut the nodes of `az` from every other node and from the runner. Nothing changes until apply(). */
  isolateAZ(...args: [az: string] | [name: string | undefined, az: string]): IsolationHandle;
  /** Cut one node from every other node and (unless withNetworkAccess) from the runner, both ways. */
  isolateNode(...args: [node: string] | [name: string | undefined, node: string]): NetworkFaultHandle;
  /**
   * Symmetric cut between two groups of nodes; every other pair (and the runner) keeps talking.
   * Groups may overlap ('all', 'all' cuts every node from every other one); a node is never cut from itself.
   */
  between(...args: [groupA: NodeSelector, groupB: NodeSelector] | [name: string | undefined, groupA: NodeSelector, groupB: NodeSelector]): NetworkFaultHandle;
  /** Packets from `from` nodes to `to` nodes are dropped; packets from `to` to `from` still flow (unless the groups overlap). */
  oneWay(...args: [from: NodeSelector, to: NodeSelector] | [name: string | undefined, from: NodeSelector, to: NodeSelector]): NetworkFaultHandle;
  /** Jepsen's partition-halves: cluster order split in two (smaller half first), cut both ways. */
  halves(name?: string): NetworkFaultHandle;
  /** Jepsen's partition-random-halves, reproducible: the same seed always gives the same halves. */
  randomHalves(...args: [seed: number | string] | [name: string | undefined, seed: number | string]): NetworkFaultHandle;
  /**
   * Jepsen's partition-majorities-ring: every node sees a majority, no two nodes
   * the same one. Ring in cluster order, or shuffled by `seed` when given.
   */
  majoritiesRing(name?: string, seed?: number | string): NetworkFaultHandle;
  /** Jepsen's bridge: two halves cut from each other, one node (the first of the second half) talks to both. */
  bridge(name?: string): NetworkFaultHandle;
}

/** Partition over the run's fault registry, validating every name against the plan. */
export class PartitionFaults implements Partition {
  readonly #registry: FaultRegistry;
  readonly #plan: ClusterPlan;

  constructor(registry: FaultRegistry, plan: ClusterPlan) {
    this.#registry = registry;
    this.#plan = plan;
  }

  isolateAZ(...args: [az: string] | [name: string | undefined, az: string]): IsolationHandle {
    const [given, az] = args.length === 1 ? [undefined, args[0]] : args;
    const where = callOf('isolateAZ', given);
    const name = faultName(this.#registry, given, 'isolateAZ', where);
    const members = this.#plan.azNodes(az, where).map((n) => n.index);
    return networkFault(this.#registry, {
      name,
      kind: 'isolateAZ',
      params: { az },
      fill: isolateGroup(members, this.#registry.nodes),
      touchesRunner: true,
    });
  }

  isolateNode(...args: [node: string] | [name: string | undefined, node: string]): NetworkFaultHandle {
    const [given, node] = args.length === 1 ? [undefined, args[0]] : args;
    const where = callOf('isolateNode', given);
    const name = faultName(this.#registry, given, 'isolateNode', where);
    const index = this.#plan.node(node, where).index;
    return networkFault(this.#registry, {
      name,
      kind: 'isolateNode',
      params: { node },
      fill: isolateGroup([index], this.#registry.nodes),
      touchesRunner: true,
    });
  }

  between(...args: [groupA: NodeSelector, groupB: NodeSelector] | [name: string | undefined, groupA: NodeSelector, groupB: NodeSelector]): NetworkFaultHandle {
    const [given, groupA, groupB] = args.length === 2 ? [undefined, ...args] : args;
    return this.#groupCut('between', given, ['groupA', groupA], ['groupB', groupB], cutBetween);
  }

  oneWay(...args: [from: NodeSelector, to: NodeSelector] | [name: string | undefined, from: NodeSelector, to: NodeSelector]): NetworkFaultHandle {
    const [given, from, to] = args.length === 2 ? [undefined, ...args] : args;
    return this.#groupCut('oneWay', given, ['from', from], ['to', to], cutOneWay);
  }

  halves(given?: string): NetworkFaultHandle {
    const where = callOf('halves', given);
    this.#needNodes(2, where);
    const name = faultName(this.#registry, given, 'halves', where);
    return this.#components(name, 'halves', bisect(this.#plan.nodes), {});
  }

  randomHalves(...args: [seed: number | string] | [name: string | undefined, seed: number | string]): NetworkFaultHandle {
    const [given, seed] = args.length === 1 ? [undefined, args[0]] : args;
    const where = callOf('randomHalves', given);
    checkSeed(seed, where);
    this.#needNodes(2, where);
    const name = faultName(this.#registry, given, 'randomHalves', where);
    return this.#components(name, 'randomHalves', bisect(shuffle(this.#plan.nodes, seedOf(seed))), { seed });
  }

  majoritiesRing(given?: string, seed?: number | string): NetworkFaultHandle {
    const where = callOf('majoritiesRing', given);
    if (seed !== undefined) checkSeed(seed, where);
    this.#needNodes(3, where);
    const name = faultName(this.#registry, given, 'majoritiesRing', where);
    const ring = seed === undefined ? [...this.#plan.nodes] : shuffle(this.#plan.nodes, seedOf(seed));
    const grudge = majoritiesRing(ring.map((n) => n.index));
    const nameOf = new Map(this.#plan.nodes.map((n) => [n.index, n.name]));
    const shown: Record<string, string[]> = {};
    for (const [dst, sources] of grudge) shown[nameOf.get(dst)!] = sources.map((i) => nameOf.get(i)!);
    return networkFault(this.#registry, {
      name,
      kind: 'majoritiesRing',
      params: { ...(seed === undefined ? {} : { seed }), ring: ring.map((n) => n.name), drops_from: shown },
      fill: cutGrudge(grudge),
      touchesRunner: false,
    });
  }

  bridge(given?: string): NetworkFaultHandle {
    const where = callOf('bridge', given);
    this.#needNodes(3, where);
    const name = faultName(this.#registry, given, 'bridge', where);
    const shape = bridge(this.#plan.nodes);
    return networkFault(this.#registry, {
      name,
      kind: 'bridge',
      params: { left: shape.left.map((n) => n.name), bridge: shape.bridge.name, right: shape.right.map((n) => n.name) },
      fill: cutBetween(
        shape.left.map((n) => n.index),
        shape.right.map((n) => n.index),
      ),
      touchesRunner: false,
    });
  }

  /** A cut between two groups of nodes (each named by its argument, as logged), validated against the plan. */
  #groupCut(
    kind: string,
    given: string | undefined,
    [argA, selectorA]: [string, NodeSelector],
    [argB, selectorB]: [string, NodeSelector],
    cut: (a: readonly number[], b: readonly number[]) => PolicyFill,
  ): NetworkFaultHandle {
    const where = callOf(kind, given);
    const a = resolveGroup(this.#plan, selectorA, argA, where);
    const b = resolveGroup(this.#plan, selectorB, argB, where);
    checkSomePair(a, b, where);
    const name = faultName(this.#registry, given, kind, where);
    return networkFault(this.#registry, {
      name,
      kind,
      params: { [argA]: describeGroup(a), [argB]: describeGroup(b) },
      fill: cut(a.indexes, b.indexes),
      touchesRunner: false,
    });
  }

  #components(name: string, kind: string, groups: readonly (readonly PlannedNodeRef[])[], params: Record<string, unknown>): NetworkFaultHandle {
    return networkFault(this.#registry, {
      name,
      kind,
      params: { ...params, groups: groups.map((g) => g.map((n) => n.name)) },
      fill: cutComponents(groups.map((g) => g.map((n) => n.index))),
      touchesRunner: false,
    });
  }

  #needNodes(min: number, where: string): void {
    if (this.#plan.nodes.length < min) {
      throw new SpecError(`${where}: needs at least ${min} nodes, the cluster has ${this.#plan.nodes.length}`, {
        hint: 'use between()/oneWay() to cut specific nodes of a small cluster',
      });
    }
  }
}

/** A seed must be a finite number or a string: anything else (an object, NaN) would shuffle the same way for every value. */
function checkSeed(seed: unknown, where: string): void {
  if (!(typeof seed === 'string' || (typeof seed === 'number' && Number.isFinite(seed)))) {
    throw new SpecError(`${where}: the seed must be a number or a string, got ${typeof seed === 'object' ? JSON.stringify(seed) : String(seed)}`, {
      hint: 'pass any fixed value, e.g. 42; log it to replay a failing run',
    });
  }
}

interface PlannedNodeRef {
  readonly name: string;
  readonly index: number;
}
