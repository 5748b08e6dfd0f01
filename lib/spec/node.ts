/**
 * NodeSpec: a machine of the cluster (its own network namespace and hostname)
 * in an availability zone, running services. Immutable like ContainerSpec.
 */
import { SpecError } from '../errors.js';
import { ContainerSpec } from './container.js';
import { checkAzName, checkNodeName } from './rules.js';

/** AZ of nodes that were never given one. */
export const DEFAULT_AZ = 'default';

export class NodeSpec {
  readonly name: string;
  readonly az: string;
  readonly services: readonly ContainerSpec[];

  private constructor(name: string, az: string, services: readonly ContainerSpec[]) {
    this.name = name;
    this.az = az;
    this.services = Object.freeze([...services]);
    Object.freeze(this);
  }

  /** @internal use newNode() */
  static create(name: string): NodeSpec {
    return new NodeSpec(checkNodeName(name), DEFAULT_AZ, []);
  }

  withAZ(az: string): NodeSpec {
    return new NodeSpec(this.name, checkAzName(az, `node ${JSON.stringify(this.name)}: withAZ()`), this.services);
  }

  /** Add services to this node; service names must be unique on the node. */
  runs(...services: ContainerSpec[]): NodeSpec {
    const all = [...this.services];
    for (const service of services) {
      if (!(service instanceof ContainerSpec)) {
        throw new SpecError(`node ${JSON.stringify(this.name)}: runs() got something that is not a container spec`, {
          hint: 'build services with spec.newContainer(name, image) or spec.etcd(...)',
        });
      }
      if (all.some((s) => s.name === service.name)) {
        throw new SpecError(`node ${JSON.stringify(this.name)}: service ${JSON.stringify(service.name)} is defined twice`, {
          hint: 'service names must be unique on a node; rename one of them',
        });
      }
      all.push(service);
    }
    return new NodeSpec(this.name, this.az, all);
  }
}

/** A node whose name is also its hostname inside the cluster network. */
export function newNode(name: string): NodeSpec {
  return NodeSpec.create(name);
}
