/**
 * ClusterSpec: the nodes of a test. Unlike node and container specs it is a
 * *mutable collector*: `addNode` adds to this cluster (and returns it for
 * chaining), like the Go API, so `hosts.forEach(h => cluster.addNode(...))`
 * works. `new Test()` takes a snapshot, so changing the cluster afterwards does
 * not affect a test already created.
 */
import { SpecError } from '../errors.js';
import { NodeSpec } from './node.js';
import { MAX_NODES } from './rules.js';

export class ClusterSpec {
  readonly #nodes: NodeSpec[] = [];

  /** Adds `node` to this cluster (mutates it) and returns this cluster. */
  addNode(node: NodeSpec): this {
    if (!(node instanceof NodeSpec)) {
      throw new SpecError('cluster.addNode(): argument is not a node spec', { hint: 'build nodes with spec.newNode(name)' });
    }
    if (this.#nodes.some((n) => n.name === node.name)) {
      throw new SpecError(`cluster.addNode(): node ${JSON.stringify(node.name)} is already in the cluster`, {
        hint: 'node names are hostnames and must be unique',
      });
    }
    if (this.#nodes.length >= MAX_NODES) {
      throw new SpecError(`cluster.addNode(${JSON.stringify(node.name)}): a cluster holds at most ${MAX_NODES} nodes`, {
        hint: 'the fault engine tracks at most 4096 addresses per run (runner included); split the test into smaller clusters',
      });
    }
    this.#nodes.push(node);
    return this;
  }

  get nodes(): readonly NodeSpec[] {
    return [...this.#nodes];
  }
}

export function newCluster(): ClusterSpec {
  return new ClusterSpec();
}
