/** Types of the janitor's API and report. */
export interface ContainerdTarget {
  socket: string;
  namespace: string;
}

export interface ContainerdLeftovers {
  containers: string[];
  snapshots: string[];
  leases: string[];
}

/** The side effects, replaceable in tests. Defaults: the native addon and ContainerdClient. */
export interface JanitorOps {
  deleteNetns(name: string): Promise<void>;
  deleteLink(name: string): Promise<void>;
  /** List (and unless dryRun, remove) a run's containerd objects. Undefined when containerd is not there at all. */
  containerdObjects(runId: string, target: ContainerdTarget, dryRun: boolean): Promise<ContainerdLeftovers | undefined>;
  /**
   * Deep cleanup only: the containerd namespaces at `socket` (`only` these, or
   * every one when undefined) that hold objects labelled pakostii.run, by run id
   * (run id → namespaces). Unlabelled objects are never listed, so never touched.
   */
  containerdRunNamespaces(socket: string, only?: readonly string[]): Promise<Map<string, string[]>>;
}

export type CleanupReason = 'process-gone' | 'record-unreadable' | 'no-record';

export interface CleanedRun {
  id: string;
  reason: CleanupReason;
  testName?: string;
  pid?: number;
  startedAt?: string;
  netns: string[];
  links: string[];
  cgroups: string[];
  workDirs: string[];
  execDirs: string[];
  /** /24 blocks released. */
  subnetClaims: string[];
  /**
   * Objects the run's log names that exist but are no longer the run's (a
   * namespace or link re-made under its name, a path outside the run's places):
   * left alone. Absent when there were none.
   */
  leftAlone?: string[];
  /**
   * Undefined when containerd was not checked for this run. Ids in the run's own
   * namespace (its record's, else "pakostii") are bare; ids found in other
   * namespaces read "<namespace>/<id>".
   */
  containerd: ContainerdLeftovers | undefined;
  /** The run record was (or, in a dry run, would be) removed. */
  record: boolean;
  /** What could not be removed; the record is kept so the next cleanup retries. */
  errors: string[];
}

export interface CleanupReport {
  dryRun: boolean;
  runs: CleanedRun[];
  /** Ids of live runs seen (left alone). */
  liveRuns: string[];
  /** Claims and temp files of dead processes removed outside any run. */
  strayFiles: string[];
  durationMs: number;
}

export interface CleanupOptions {
  /** Report what would be removed without removing anything. */
  dryRun?: boolean;
  /**
   * Also ask containerd (every namespace at the socket) for run ids that left
   * containerd objects behind, e.g. runs that crashed before their record or
   * used another namespace. Slower (gRPC calls), so off for the automatic
   * cleanup at the start of each run and on for `pakostii cleanup`.
   */
  deep?: boolean;
  /**
   * Deep cleanup in every containerd namespace at the socket, not only the
   * runs' own (their records', else the default one). Off by default: other
   * namespaces belong to other tools and users, whose objects may carry a label
   * that looks like ours; only a person who checked (--dry-run) should ask.
   */
  allNamespaces?: boolean;
  /** Only consider these run ids (targeted cleanup, e.g. `pakostii cleanup <id>`, and tests). */
  runIds?: readonly string[];
  /**
   * Also remove orphans: objects named like a run's that no record in this state
   * dir names. Default false: such an object may be a live run of another state
   * dir (a CI job, a test with a private one) or a stranger's look-alike; only a
   * person who checked (--dry-run) should ask for this.
   */
  orphans?: boolean;
  /**
   * Orphans (objects of a run id with no record) are removed only after being
   * seen unregistered this long (see orphans.ts). Default 0.
   */
  orphanGraceMs?: number;
  /** containerd to ask in deep mode and for orphans without a record. */
  containerd?: Partial<ContainerdTarget>;
  ops?: Partial<JanitorOps>;
}
