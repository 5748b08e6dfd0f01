/**
 * pakostii — fault-injection tests of distributed systems on one Linux host.
 *
 *   import { spec, Test, type TestHandle } from 'pakostii';
 *
 * The public surface is deliberately small: the `spec` builders, `Test` and
 * the types a test function sees, and the error classes.
 */
export * as spec from './spec/index.js';
export { Test, type TestOptions, type TestResult, type TestFunction } from './runtime/test.js';
export { TestHandle, NetworkHandle, ExecHandle, type ExecOptions } from './runtime/test-handle.js';
export type { PortForward } from './runtime/port-forward.js';
export type { ClusterHttp, HttpResponse, HttpRequestOptions } from './runtime/cluster-http.js';
export type { FaultHandle } from './faults/handle.js';
export type { IsolationHandle, Partition } from './faults/partition.js';
export type { ActiveFault } from './runtime/test-handle.js';
export type { NetworkFaultHandle } from './faults/network-fault.js';
export type { NodeSelector } from './faults/node-groups.js';
export type { LossOptions } from './faults/loss.js';
export type { DelayOptions, BandwidthOptions } from './faults/shaping.js';
export type { ContainersHandle, StartOptions, StopOptions, RestartOptions } from './faults/process-faults.js';
export type { TimelineEntry, TimelineEventType } from './faults/timeline.js';
export type { ExecResult } from './containerd/index.js';
export type { Logger } from 'pino';
export {
  PakostiiError,
  SpecError,
  StateError,
  NativeError,
  ContainerdError,
  NotSupportedError,
  TestFailedError,
} from './errors.js';
// Histories: types, readers/writers (JSONL, Jepsen EDN and log) and validation.
export * from './history/index.js';
