/**
 * The run's active faults. Each fault's matrix is filled once, when it is
 * defined; applying or healing commits the union of the active ones to the
 * FaultEngine (a synchronous map write). The common cases cost one native call:
 * no active fault → the empty matrix, one → that fault's own matrix. Only with
 * several active faults is a combined matrix built, from the recorded cuts and
 * losses (compose.ts: cuts add up, losses compose as independent drops).
 * At teardown every active fault is healed.
 * An optional observer hears every apply and heal (the fault timeline,
 * lib/faults/timeline.ts); it must not throw and must not block.
 */
import type { Logger } from 'pino';
import { StateError } from '../errors.js';
import { writeUnion } from './compose.js';
import { RecordedPolicy, type PolicyFill, type PolicyWriter } from './policy.js';

/** What the registry needs from the native FaultEngine/PolicyMatrix (a fake in unit tests). */
export interface PolicyTarget extends PolicyWriter {
  clear(): void;
}
export interface PolicyCommitter<M extends PolicyTarget = PolicyTarget> {
  commit(policy: M): void;
}

export interface Fault {
  readonly name: string;
  /** e.g. "isolateAZ"; shown in logs. */
  readonly kind: string;
  /** Fields for the log lines of apply/heal, e.g. { az: "az1", network_access: true }. */
  readonly details: Readonly<Record<string, unknown>>;
  readonly policy: RecordedPolicy;
}

/** When something happened: monotonic (process.hrtime.bigint(), ns) and wall clock. */
export interface FaultTime {
  readonly mono: bigint;
  readonly wall: Date;
}

export function faultTimeNow(): FaultTime {
  return { mono: process.hrtime.bigint(), wall: new Date() };
}

export interface FaultEvent {
  readonly type: 'apply' | 'heal';
  readonly fault: Fault;
  readonly at: FaultTime;
  /** True for the heals of teardown (close()), false for the test's own calls. */
  readonly auto: boolean;
}
export type FaultObserver = (event: FaultEvent) => void;

/**
 * Another engine that follows every apply and heal (traffic shaping writes its
 * own map). Runs before the XDP commit and may throw to refuse an apply; it
 * must ignore faults that are not its own and must not block.
 */
export type FaultHook = (fault: Fault, change: 'apply' | 'heal') => void;

interface DefinedFault<M> extends Fault {
  /** The fault's own policy, ready to commit as is. */
  readonly matrix: M;
}

export class FaultRegistry<M extends PolicyTarget = PolicyTarget> {
  readonly #engine: PolicyCommitter<M>;
  readonly #newMatrix: () => M;
  readonly #empty: M;
  readonly #combined: M;
  readonly #active = new Set<DefinedFault<M>>();
  /** When each active fault was applied. */
  readonly #since = new Map<DefinedFault<M>, FaultTime>();
  readonly #logger: Logger;
  readonly #observer: FaultObserver | undefined;
  readonly #hooks: FaultHook[] = [];
  #closed = false;
  /** Faults defined here (so a handle from another run cannot be applied to this one). */
  readonly #defined = new WeakSet<Fault>();
  /** Every name a fault of this run was defined with (generated names skip them). */
  readonly #names = new Set<string>();

  /** `newMatrix` makes an empty matrix sized for the run (runner included). */
  constructor(engine: PolicyCommitter<M>, newMatrix: () => M, logger: Logger, observer?: FaultObserver) {
    this.#engine = engine;
    this.#newMatrix = newMatrix;
    this.#empty = newMatrix();
    this.#combined = newMatrix();
    this.#logger = logger;
    this.#observer = observer;
  }

  /** Number of node indexes, runner included. */
  get nodes(): number {
    return this.#combined.nodes;
  }

  /** Precompute a fault's policy; nothing changes on the network until apply(). */
  define(name: string, kind: string, details: Record<string, unknown>, fill: PolicyFill): Fault {
    const policy = RecordedPolicy.record(this.nodes, fill);
    const matrix = this.#newMatrix();
    policy.writeTo(matrix);
    const fault: DefinedFault<M> = { name, kind, details: Object.freeze({ ...details }), policy, matrix };
    this.#defined.add(fault);
    this.#names.add(name);
    return Object.freeze(fault);
  }

  /**
   * A name for a one-off fault of `kind` the test left unnamed: "<kind> <n>" with the
   * lowest n that no fault of this run (named or generated) has yet, e.g. "loss 1".
   */
  generatedName(kind: string): string {
    for (let n = 1; ; n++) {
      const name = `${kind} ${n}`;
      if (!this.#names.has(name)) return name;
    }
  }

  /** Follow applies and heals from now on (see FaultHook). */
  addHook(hook: FaultHook): void {
    this.#hooks.push(hook);
  }

  isActive(fault: Fault): boolean {
    return this.#active.has(fault as DefinedFault<M>);
  }

  get active(): readonly Fault[] {
    return [...this.#active];
  }

  /** When `fault` was applied, or undefined when it is not active. */
  sinceOf(fault: Fault): FaultTime | undefined {
    return this.#since.get(fault as DefinedFault<M>);
  }

  apply(fault: Fault): void {
    const defined = this.#own(fault);
    if (this.#closed) {
      throw new StateError(`cannot apply ${fault.kind} "${fault.name}": the test has finished`, {
        hint: 'faults can only be applied while the test function runs',
      });
    }
    if (this.#active.has(defined)) {
      throw new StateError(`${fault.kind} "${fault.name}" is already applied`, { hint: 'heal() it before applying it again' });
    }
    this.#runHooks(defined, 'apply');
    this.#active.add(defined);
    try {
      this.#commit();
    } catch (error) {
      this.#active.delete(defined); // the engine still holds the previous policy
      for (const hook of this.#hooks) hook(defined, 'heal');
      throw error;
    }
    const at = faultTimeNow();
    this.#since.set(defined, at);
    this.#logger.info({ fault: fault.name, kind: fault.kind, ...fault.details }, 'fault applied');
    this.#observer?.({ type: 'apply', fault, at, auto: false });
  }

  heal(fault: Fault): void {
    const defined = this.#own(fault);
    if (!this.#active.has(defined)) {
      throw new StateError(`${fault.kind} "${fault.name}" is not applied`, {
        hint: this.#closed ? 'the test has finished and every fault was healed' : 'apply() it first; heal() undoes one apply()',
      });
    }
    this.#active.delete(defined);
    try {
      this.#commit();
    } catch (error) {
      this.#active.add(defined);
      throw error;
    }
    for (const hook of this.#hooks) hook(defined, 'heal');
    this.#since.delete(defined);
    this.#logger.info({ fault: fault.name, kind: fault.kind }, 'fault healed');
    this.#observer?.({ type: 'heal', fault, at: faultTimeNow(), auto: false });
  }

  /** Teardown: heal everything still active and refuse new applies. Returns the healed faults. */
  close(): Fault[] {
    this.#closed = true;
    const healed = [...this.#active];
    if (healed.length > 0) {
      this.#active.clear();
      this.#since.clear();
      this.#commit();
      for (const fault of healed) for (const hook of this.#hooks) hook(fault, 'heal');
      this.#logger.info({ faults: healed.map((f) => f.name) }, 'active faults healed');
      const at = faultTimeNow();
      for (const fault of healed) this.#observer?.({ type: 'heal', fault, at, auto: true });
    }
    return healed;
  }

  /** Every hook hears the apply; when one refuses, those before it hear a heal again. */
  #runHooks(fault: Fault, change: 'apply'): void {
    const hooks = this.#hooks;
    for (let i = 0; i < hooks.length; i++) {
      try {
        hooks[i]!(fault, change);
      } catch (error) {
        for (let j = 0; j < i; j++) hooks[j]!(fault, 'heal');
        throw error;
      }
    }
  }

  #own(fault: Fault): DefinedFault<M> {
    if (!this.#defined.has(fault)) {
      throw new StateError(`${fault.kind} "${fault.name}" belongs to another run`, { hint: 'use the handles of the current TestHandle only' });
    }
    return fault as DefinedFault<M>;
  }

  #commit(): void {
    const active = this.#active;
    if (active.size === 0) return this.#engine.commit(this.#empty);
    if (active.size === 1) {
      for (const only of active) this.#engine.commit(only.matrix);
      return;
    }
    const combined = this.#combined;
    combined.clear();
    writeUnion([...active].map((fault) => fault.policy), combined);
    this.#engine.commit(combined);
  }
}
