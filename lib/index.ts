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
export type { Reach, DirectReach } from './runtime/network-manager.js';
export type { ForwardPortOptions } from './runtime/port-forward.js';
export type { TestHandle, NetworkHandle, ExecHandle, ExecOptions, ActiveFault } from './runtime/handles.js';
export type { PortForward } from './runtime/port-forward.js';
export type { ClusterHttp, HttpResponse, HttpRequestOptions } from './runtime/cluster-http.js';
export type { FaultHandle } from './faults/handle.js';
export type { IsolationHandle, Partition } from './faults/partition.js';
export type { NetworkFaultHandle } from './faults/network-fault.js';
export type { NodeSelector } from './faults/node-groups.js';
export type { LossOptions } from './faults/loss.js';
export type { BandwidthOptions } from './faults/bandwidth.js';
export type { DelayOptions, DelayDistribution } from './faults/delay.js';
export type { FaultCapability } from './faults/capabilities.js';
export type { DelayLineCounters } from './native/delay-line.js';
export type { ContainersHandle, StartOptions, StopOptions, RestartOptions } from './faults/process-faults.js';
export type { TimelineEntry, TimelineEventType } from './faults/timeline.js';
export type { ExecResult } from './containerd/types.js';
export { buildImage, type BuildOptions, type BuiltImage } from './images/build.js';
export { readRecipeFile, type ImageRecipe, type RecipeFile } from './images/recipe.js';
export { writeReport, type WrittenReport } from './report/index.js';
export type { Logger } from 'pino';
export * as gen from './workload/gen.js';
export * as nemesis from './workload/nemesis-index.js';
export type { Generator, GeneratorLike, GenContext, Op, Pending } from './workload/generator.js';
export type { Client, Completion, InvokeContext } from './workload/client.js';
export type { Nemesis, NemesisEnv } from './workload/nemesis.js';
export type { WorkloadOptions } from './workload/options.js';
export type { WorkloadResult } from './workload/workload.js';
export { Random, type Seed } from './workload/random.js';
export { HistoryRecorder, type RecorderOptions, type EventExtras } from './history/recorder.js';
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
// Checkers over histories.
export * from './checker/index.js';
export { checkListAppend, checkRwRegister, listAppendChecker, rwRegisterChecker } from './checker/elle/index.js';
export type { ListAppendOptions, ListAppendResult, RwRegisterOptions, RwRegisterResult } from './checker/elle/index.js';
export type { AnomalyExample } from './checker/elle/anomaly-log.js';
export { ListAppendGenerator, listAppendTxns } from './workload/list-append.js';
export type { ListAppendGeneratorOptions, ListAppendMicroOp } from './workload/list-append.js';
