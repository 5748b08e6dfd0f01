/**
 * The handle of every network fault kind: apply()/heal() (BasicFaultHandle)
 * plus withNetworkAccess(), which returns a *separate* fault of the same name
 * and kind that leaves the runner's connectivity alone. Each variant's policy
 * is recorded once, when the handle is made.
 */
import { SpecError } from '../errors.js';
import { withoutRunner } from './cuts.js';
import { BasicFaultHandle, type FaultHandle } from './handle.js';
import type { PolicyFill } from './policy.js';
import type { Fault, FaultRegistry } from './registry.js';

export interface NetworkFaultHandle extends FaultHandle {
  /** e.g. "isolateAZ", "oneWay", "loss". */
  readonly kind: string;
  /** The fault's parameters, as logged and written to faults.jsonl. */
  readonly params: Readonly<Record<string, unknown>>;
  /**
   * A new, separate handle for the same fault that keeps the runner (port
   * forwards, t.http, readiness probes) connected to every node. For kinds that
   * never cut the runner it is an identical fault.
   */
  withNetworkAccess(): NetworkFaultHandle;
}

/** A network fault's handle (slow links extend it to wait for their classes). */
export class NetworkFault extends BasicFaultHandle implements NetworkFaultHandle {
  readonly #withAccess: () => NetworkFaultHandle;

  constructor(registry: FaultRegistry, fault: Fault, withAccess: () => NetworkFaultHandle) {
    super(registry, fault);
    this.#withAccess = withAccess;
  }

  get kind(): string {
    return this.fault.kind;
  }

  get params(): Readonly<Record<string, unknown>> {
    return this.fault.details;
  }

  withNetworkAccess(): NetworkFaultHandle {
    return this.#withAccess();
  }
}

export interface NetworkFaultDefinition {
  name: string;
  kind: string;
  params: Record<string, unknown>;
  fill: PolicyFill;
  /** Whether the fill can cut the runner; then params carry network_access. */
  touchesRunner: boolean;
}

/** A handle for `definition`; nothing reaches the network until apply(). */
export function networkFault(registry: FaultRegistry, definition: NetworkFaultDefinition): NetworkFaultHandle {
  const make = (access: boolean): NetworkFaultHandle => {
    const params = definition.touchesRunner ? { ...definition.params, network_access: access } : definition.params;
    const fill = access ? withoutRunner(definition.fill) : definition.fill;
    const fault = registry.define(definition.name, definition.kind, params, fill);
    return new NetworkFault(registry, fault, () => make(true));
  };
  return make(false);
}

/**
 * The name a fault is defined with: the test's own (checked), or, when the test
 * left it out (undefined), a generated "<kind> <n>" unique in the run.
 */
export function faultName(registry: FaultRegistry, name: string | undefined, kind: string, where: string): string {
  return name === undefined ? registry.generatedName(kind) : checkFaultName(name, where);
}

/** How a fault constructor call is shown in errors: `between("a|b")`, or `between()` when unnamed. */
export function callOf(method: string, name: string | undefined): string {
  return name === undefined ? `${method}()` : `${method}(${JSON.stringify(name)})`;
}

/** Fault names show up in logs, faults() and faults.jsonl: any non-empty string. */
export function checkFaultName(name: unknown, where: string): string {
  if (typeof name !== 'string' || name.trim() === '') {
    throw new SpecError(`${where}: the fault name must be a non-empty string, got ${JSON.stringify(name)}`, {
      hint: 'name the fault after what it simulates, e.g. "leader isolation"',
    });
  }
  return name;
}
