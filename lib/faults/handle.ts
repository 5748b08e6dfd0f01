/**
 * The handle a test gets for one fault: apply()/heal() plus its name. Handles
 * are cheap wrappers over a registry Fault; variants (withNetworkAccess) are new
 * handles with their own precomputed policy.
 */
import type { Fault, FaultRegistry } from './registry.js';

export interface FaultHandle {
  readonly name: string;
  /** Whether this handle's fault is currently applied. */
  readonly active: boolean;
  /** Start the fault (StateError if already applied). Effective for packets when the promise settles. */
  apply(): Promise<void>;
  /** Undo apply() (StateError if not applied). */
  heal(): Promise<void>;
}

export class BasicFaultHandle implements FaultHandle {
  protected readonly registry: FaultRegistry;
  protected readonly fault: Fault;

  constructor(registry: FaultRegistry, fault: Fault) {
    this.registry = registry;
    this.fault = fault;
  }

  get name(): string {
    return this.fault.name;
  }

  get active(): boolean {
    return this.registry.isActive(this.fault);
  }

  // The work is synchronous (one map write); the API is async so a future
  // fault kind that needs I/O keeps the same signature. Errors reject.
  apply(): Promise<void> {
    return settled(() => this.registry.apply(this.fault));
  }

  heal(): Promise<void> {
    return settled(() => this.registry.heal(this.fault));
  }
}

/** `work`'s outcome as a promise: its throw becomes a rejection, never a synchronous throw. */
function settled(work: () => void): Promise<void> {
  try {
    work();
    return Promise.resolve();
  } catch (error) {
    return Promise.reject(error as Error);
  }
}
