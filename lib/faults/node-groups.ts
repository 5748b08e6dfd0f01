/**
 * Fault arguments that name nodes: one node name or an array of them. Checked
 * against the plan when the fault is created, so a typo fails at the line
 * that made it, with the list of valid names.
 */
import { SpecError } from '../errors.js';
import type { ClusterPlan } from '../spec/plan.js';

/**
 * A node name or several; `from`/`to`/group arguments of network faults. The
 * string 'all' is every node of the cluster (a node that is really called
 * "all" is named as ['all']).
 */
export type NodeSelector = string | readonly string[];

export const ALL_NODES = 'all';

export interface NodeGroup {
  /** Node names, in the order given. */
  readonly names: readonly string[];
  /** Their indexes on the run's network (1..n). */
  readonly indexes: readonly number[];
}

export function resolveGroup(plan: ClusterPlan, selector: NodeSelector, what: string, where: string): NodeGroup {
  const names: readonly unknown[] =
    selector === ALL_NODES ? plan.nodes.map((n) => n.name) : typeof selector === 'string' ? [selector] : Array.isArray(selector) ? selector : [selector];
  if (names.length === 0) {
    throw new SpecError(`${where}: ${what} names no node`, { hint: 'give a node name or a non-empty array of node names' });
  }
  const seen = new Set<string>();
  const indexes: number[] = [];
  for (const name of names) {
    if (typeof name !== 'string') {
      throw new SpecError(`${where}: ${what} must be a node name or an array of node names, got ${JSON.stringify(name)}`, {
        hint: `the cluster's nodes are ${plan.nodes.map((n) => JSON.stringify(n.name)).join(', ')}`,
      });
    }
    if (seen.has(name)) throw new SpecError(`${where}: ${what} names node ${JSON.stringify(name)} twice`, { hint: 'list each node once' });
    seen.add(name);
    indexes.push(plan.node(name, where).index);
  }
  return Object.freeze({ names: Object.freeze([...seen]), indexes: Object.freeze(indexes) });
}

/**
 * Ordered pairs (src, dst) of indexes, src in `from`, dst in `to`, src ≠ dst:
 * overlapping groups mean "every pair between them" (a node is never cut from itself).
 */
export function pairsOf(from: readonly number[], to: readonly number[]): Array<[number, number]> {
  const pairs: Array<[number, number]> = [];
  for (const src of from) for (const dst of to) if (src !== dst) pairs.push([src, dst]);
  return pairs;
}

/** Overlapping groups must still leave some pair to act on. */
export function checkSomePair(a: NodeGroup, b: NodeGroup, where: string): void {
  if (pairsOf(a.indexes, b.indexes).length === 0) {
    throw new SpecError(`${where}: the groups name the same single node: no pair of nodes to act on`, {
      hint: "give two different nodes, or 'all' for every pair of nodes",
    });
  }
}

/** Two groups a fault puts on either side of a cut must not share a node. */
export function checkDisjoint(a: NodeGroup, b: NodeGroup, where: string): void {
  const shared = a.names.filter((name) => b.names.includes(name));
  if (shared.length > 0) {
    throw new SpecError(`${where}: node ${shared.map((n) => JSON.stringify(n)).join(', ')} is on both sides`, {
      hint: 'a node cannot be cut from itself; put each node in one group only',
    });
  }
}

/** Node names for details/logs: a single name stays a string. */
export function describeGroup(group: NodeGroup): string | string[] {
  return group.names.length === 1 ? group.names[0]! : [...group.names];
}
