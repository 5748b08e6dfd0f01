/**
 * What a run has provisioned, as the handles see it: the one object
 * TestHandle and its helpers (run-workload.ts) are built on.
 */
import type { Logger } from 'pino';
import type { ClusterPlan } from '../spec/plan.js';
import type { NetworkManager } from './network-manager.js';
import type { ContainerManager } from './container-manager.js';
import type { FaultRegistry } from '../faults/registry.js';
import type { FaultTimeline } from '../faults/timeline.js';
import type { Dial } from './dial.js';
import type { RunInfo } from './run-info.js';
import type { KernelTrafficSupport } from '../faults/capabilities.js';

/** Everything a run has provisioned; handles (and future fault kinds) are built on it. */
export interface RunContext {
  readonly id: string;
  readonly name: string;
  readonly artifactsDir: string;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly plan: ClusterPlan;
  readonly network: NetworkManager;
  readonly containers: ContainerManager;
  readonly faults: FaultRegistry;
  /** faults.jsonl of the run (absent in unit tests that build a context by hand). */
  readonly timeline?: FaultTimeline;
  readonly dial: Dial;
  /** run.json: the zero of history time (absent in unit tests that build a context by hand). */
  readonly runInfo?: RunInfo;
  /** What the kernel offers for traffic control, probed once per run (absent: not probed). */
  readonly trafficControl?: KernelTrafficSupport;
  /** Port forwards etc. closed at teardown, before containers go. */
  trackCloseable(closeable: { close(): Promise<void> }): void;
}
