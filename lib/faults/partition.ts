/**
 * t.network.partition: constructors of partition faults. Adding a fault kind =
 * a PolicyFill (see isolate-az.ts) plus a method here that validates its
 * arguments against the plan and defines it on the registry.
 */
import type { ClusterPlan } from '../spec/plan.js';
import { BasicFaultHandle, type FaultHandle } from './handle.js';
import { isolateGroup } from './isolate-az.js';
import type { FaultRegistry } from './registry.js';

export interface IsolationHandle extends FaultHandle {
  /** A new, separate isolation that keeps the runner (port forwards, t.http) connected to the AZ. */
  withNetworkAccess(): IsolationHandle;
}

class AzIsolation extends BasicFaultHandle implements IsolationHandle {
  readonly #make: (withNetworkAccess: boolean) => IsolationHandle;
  constructor(registry: FaultRegistry, fault: ConstructorParameters<typeof BasicFaultHandle>[1], make: (access: boolean) => IsolationHandle) {
    super(registry, fault);
    this.#make = make;
  }
  withNetworkAccess(): IsolationHandle {
    return this.#make(true);
  }
}

export class Partition {
  readonly #registry: FaultRegistry;
  readonly #plan: ClusterPlan;

  constructor(registry: FaultRegistry, plan: ClusterPlan) {
    this.#registry = registry;
    this.#plan = plan;
  }

  /** Cut the nodes of `az` from every other node and from the runner. Nothing changes until apply(). */
  isolateAZ(name: string, az: string): IsolationHandle {
    const members = this.#plan.azNodes(az, `isolateAZ(${JSON.stringify(name)})`).map((n) => n.index);
    const make = (withNetworkAccess: boolean): IsolationHandle => {
      const fault = this.#registry.define(
        name,
        'isolateAZ',
        { az, network_access: withNetworkAccess },
        isolateGroup(members, this.#registry.nodes, withNetworkAccess),
      );
      return new AzIsolation(this.#registry, fault, make);
    };
    return make(false);
  }
}
