/**
 * The frozen, validated view of a cluster a Test runs: nodes with their index
 * on the run's network (0 is the runner), AZ membership, and services. Built by
 * `new Test()` so every spec mistake surfaces before anything is created.
 */
import { SpecError } from '../errors.js';
import { ClusterSpec } from './cluster.js';
import type { ContainerSpec } from './container.js';
import type { NodeSpec } from './node.js';

export interface PlannedNode {
  readonly name: string;
  readonly az: string;
  /** Index on the run's network and in the fault matrix (1..n; 0 is the runner). */
  readonly index: number;
  readonly services: readonly ContainerSpec[];
}

export interface ClusterPlan {
  readonly nodes: readonly PlannedNode[];
  /** AZ name → nodes in it, in cluster order. */
  readonly azs: ReadonlyMap<string, readonly PlannedNode[]>;
  node(name: string, where: string): PlannedNode;
  service(nodeName: string, serviceName: string, where: string): ContainerSpec;
  azNodes(az: string, where: string): readonly PlannedNode[];
}

const TEST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** Test names become artifact directory names and containerd label values. */
export function checkTestName(name: unknown): string {
  if (typeof name !== 'string' || !TEST_NAME.test(name)) {
    throw new SpecError(`new Test(): test name ${JSON.stringify(name)} is invalid`, {
      hint: 'use 1-100 letters, digits, ".", "_" or "-", starting with a letter or digit, e.g. "etcd_stale_read"',
    });
  }
  return name;
}

function list(values: Iterable<string>): string {
  return [...values].map((v) => JSON.stringify(v)).join(', ');
}

/**
 * containerd ids and snapshot keys are "pk-<run>-<node>-<service>", and "-" may
 * appear inside both names: node "a-b" + service "c" and node "a" + service
 * "b-c" would share an id, and the second container would fail (or worse, be
 * mistaken for the first). Rejected here, before anything exists.
 */
function checkContainerIdsDistinct(nodes: readonly PlannedNode[]): void {
  const owners = new Map<string, string>();
  for (const node of nodes) {
    for (const service of node.services) {
      const key = `${node.name}-${service.name}`;
      const where = `service ${JSON.stringify(service.name)} on node ${JSON.stringify(node.name)}`;
      const other = owners.get(key);
      if (other !== undefined) {
        throw new SpecError(`new Test(): ${where} and ${other} would get the same container id (…-${key})`, {
          hint: 'rename one of them so "<node>-<service>" differs, e.g. avoid "-" in one of the names',
        });
      }
      owners.set(key, where);
    }
  }
}

export function planCluster(cluster: ClusterSpec): ClusterPlan {
  if (!(cluster instanceof ClusterSpec)) {
    throw new SpecError('new Test(): the cluster is not a cluster spec', { hint: 'build it with spec.newCluster()' });
  }
  const specs: readonly NodeSpec[] = cluster.nodes;
  if (specs.length === 0) {
    throw new SpecError('new Test(): the cluster has no nodes', { hint: 'add nodes with cluster.addNode(spec.newNode("n1").runs(...))' });
  }
  const nodes = specs.map((n, i) => Object.freeze({ name: n.name, az: n.az, index: i + 1, services: n.services }));
  checkContainerIdsDistinct(nodes);
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const azs = new Map<string, PlannedNode[]>();
  for (const n of nodes) azs.set(n.az, [...(azs.get(n.az) ?? []), n]);

  const plan: ClusterPlan = {
    nodes: Object.freeze(nodes),
    azs,
    node(name, where) {
      const node = byName.get(name);
      if (node === undefined) {
        throw new SpecError(`${where}: unknown node ${JSON.stringify(name)}`, { hint: `the cluster's nodes are ${list(byName.keys())}` });
      }
      return node;
    },
    service(nodeName, serviceName, where) {
      const node = plan.node(nodeName, where);
      const service = node.services.find((s) => s.name === serviceName);
      if (service === undefined) {
        throw new SpecError(`${where}: node ${JSON.stringify(nodeName)} runs no service ${JSON.stringify(serviceName)}`, {
          hint: node.services.length ? `its services are ${list(node.services.map((s) => s.name))}` : 'that node runs no services',
        });
      }
      return service;
    },
    azNodes(az, where) {
      const members = azs.get(az);
      if (members === undefined) {
        // A common slip: naming a node (often one never given an AZ) where an AZ is expected.
        const node = byName.get(az);
        const slip = node ? `${JSON.stringify(az)} is a node (in AZ ${JSON.stringify(node.az)}), not an AZ; ` : '';
        throw new SpecError(`${where}: unknown availability zone ${JSON.stringify(az)}`, { hint: `${slip}the cluster's AZs are ${list(azs.keys())}` });
      }
      return members;
    },
  };
  return Object.freeze(plan);
}
