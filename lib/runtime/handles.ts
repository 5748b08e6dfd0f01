/**
 * The public types of what a test function gets: `t` (TestHandle) and its
 * network and exec parts. They are interfaces, so the public surface carries no
 * constructor and no internal state; test-handle.ts implements them over the
 * run's context.
 */
import type { Logger } from 'pino';
import type { ExecResult } from '../containerd/types.js';
import type { BandwidthOptions } from '../faults/bandwidth.js';
import type { FaultCapability } from '../faults/capabilities.js';
import type { DelayOptions } from '../faults/delay.js';
import type { LossOptions } from '../faults/loss.js';
import type { NetworkFaultHandle } from '../faults/network-fault.js';
import type { Partition } from '../faults/partition.js';
import type { ContainersHandle } from '../faults/process-faults.js';
import type { HistoryRecorder } from '../history/recorder.js';
import type { DelayLineCounters } from '../native/delay-line.js';
import type { WorkloadOptions } from '../workload/options.js';
import type { WorkloadResult } from '../workload/workload.js';
import type { ClusterHttp } from './cluster-http.js';
import type { DirectReach } from './network-manager.js';
import type { ForwardPortOptions, PortForward } from './port-forward.js';

/** One active network fault, as t.network.faults() lists it. */
export interface ActiveFault {
  readonly name: string;
  readonly kind: string;
  readonly params: Readonly<Record<string, unknown>>;
  /** Wall clock of apply(). */
  readonly since: Date;
  /** process.hrtime.bigint() at apply(), ns. */
  readonly sinceNs: bigint;
}

/** t.network: break the network (faults) and reach the nodes (forwards, addresses). */
export interface NetworkHandle {
  /**
   * Partition faults: isolateAZ, isolateNode, between, oneWay, halves, randomHalves, majoritiesRing, bridge.
   * Every network fault takes its name first; leave it out for a one-off fault and the run
   * generates one ("<kind> <n>", e.g. "oneWay 1"), unique in the run, shown in logs and faults.jsonl.
   */
  readonly partition: Partition;
  /**
   * Drop `percent` % of the packets from `from` to `to`, at random (the reverse direction is untouched).
   * Without a name, a one-off loss: the timeline and logs get a generated one ("loss 1", "loss 2", …).
   */
  loss(...args: [options: LossOptions] | [name: string | undefined, options: LossOptions]): NetworkFaultHandle;
  /**
   * Added one-way latency from → to, with jitter, duplication, reordering. Engine: netem where the
   * kernel has sch_netem, else the addon's AF_XDP delay line (see capabilities()). Its pieces are made now.
   */
  delay(...args: [options: DelayOptions] | [name: string | undefined, options: DelayOptions]): NetworkFaultHandle;
  /** Rate limit of each ordered pair from → to (HTB class per pair, picked by a BPF map). Classes are made now. */
  bandwidth(...args: [options: BandwidthOptions] | [name: string | undefined, options: BandwidthOptions]): NetworkFaultHandle;
  /** Which engine carries each fault kind on this machine (null: not supported here, with what is missing). */
  capabilities(): FaultCapability[];
  /**
   * Frames the addon's delay line has received, sent, dropped (its own losses), duplicated and
   * holds now; undefined while no delay fault of this run uses it.
   */
  delayLineCounters(): DelayLineCounters | undefined;
  /** The network faults applied right now, oldest first. */
  faults(): ActiveFault[];
  /** A forward from 127.0.0.1:<localPort, default a free one> on the host to node:port; call listen() to start it. */
  forwardPort(node: string, port: number, options?: ForwardPortOptions): PortForward;
  /** IPv4 address of a node on the run's network. */
  ipOf(node: string): string;
  ipsOf(nodes: readonly string[]): string[];
  /** What direct reach added on the host (its address and route on the run's bridge); undefined unless reach: 'direct'. */
  directReach(): DirectReach | undefined;
}

export interface ExecOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Default 30 s. */
  timeoutMs?: number;
  /** Bytes kept of each of stdout and stderr (default 16 MiB); more is dropped and stdoutTruncated/stderrTruncated say so. */
  maxOutputBytes?: number;
}

/** t.exec: commands inside a service's container. */
export interface ExecHandle {
  /** Run argv (no shell) inside the service's container; resolves with exit code and output, whatever the exit code. */
  inContainer(node: string, service: string, ...argv: string[]): Promise<ExecResult>;
  run(node: string, service: string, argv: string[], options?: ExecOptions): Promise<ExecResult>;
}

/** `t`: what the test function gets. */
export interface TestHandle {
  readonly id: string;
  readonly name: string;
  /** Absolute path of this run's artifacts (container logs). */
  readonly artifactsDir: string;
  /** Bound to test_id. */
  readonly logger: Logger;
  /** Aborted on Ctrl-C/SIGTERM and at teardown: pass it to anything long-running. */
  readonly signal: AbortSignal;
  readonly network: NetworkHandle;
  readonly exec: ExecHandle;
  /** Process faults: kill, stop, start, restart, pause, resume a service. */
  readonly containers: ContainersHandle;
  /** HTTP from inside the cluster network, hosts by node name: t.http.get("http://etcd1:2379/health"). */
  readonly http: ClusterHttp;
  /**
   * The run's history recorder (history.jsonl): invoke/ok/fail/info for tests
   * that drive their own loops. t.workload() records into the same history.
   */
  readonly history: HistoryRecorder;
  /**
   * Run a Jepsen-style workload: `concurrency` clients driven by `generator`,
   * an optional nemesis schedule (healed at the end), final operations, and
   * checkers. Resolves with the history and the verdicts; a `false` verdict
   * rejects with TestFailedError.
   */
  workload<C>(options: WorkloadOptions<C>): Promise<WorkloadResult>;
}
