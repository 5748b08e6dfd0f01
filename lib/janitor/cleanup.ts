/**
 * The janitor: removes everything of runs whose process is gone — runs with a
 * record whose pid/start time no longer exists, and orphans (objects named
 * with a run id that has no record at all). Live runs are never touched. A
 * recorded run's objects are what its object log names (marked.ts); only
 * records of older versions and orphans are matched by our strict name patterns.
 *
 * Order matters for safety: the host is inventoried BEFORE the records are
 * read. A run registers before it creates anything, so every object seen in
 * the inventory either has its record visible afterwards (live: skipped) or
 * belongs to a run that is gone or already finishing (removing is then right,
 * and "missing" errors are ignored).
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CONTAINERD_NAMESPACE } from '../host/names.js';
import { DEFAULT_CONTAINERD_SOCKET, defaultWorkBase, runsDir } from '../host/paths.js';
import { isProcessAlive } from '../host/process-identity.js';
import { isRunAlive, listRuns, TEMP_FILE_PATTERN } from '../host/run-records.js';
import { OBJECT_LOG_PATTERN, readObjectLog, type RunObjects } from '../host/run-objects.js';
import { readClaimFiles, reclaimIfDead } from '../host/subnet-claims.js';
import { defaultOps } from './default-ops.js';
import { emptyLeftovers, takeInventory } from './inventory.js';
import { markedLeftovers } from './marked.js';
import { forgetOrphan, ripeOrphans } from './orphans.js';
import { cleanRun, describe, isEmpty } from './remove-run.js';
import type { CleanedRun, CleanupOptions, CleanupReport, ContainerdTarget, JanitorOps } from './types.js';

export type * from './types.js';

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** A logged run whose log is gone (killed before creating it, or between teardown's two unlinks) noted nothing. */
const EMPTY_LOG: RunObjects = { netns: new Map(), links: new Map(), cgroups: new Set(), dirs: new Set() };

/**
 * Registration temp files (".<id>.<pid>.tmp") of processes that no longer exist,
 * and object logs without a record (a log is made after its record and removed
 * before it, so one without a record describes nothing of a live run).
 */
function strayTempFiles(): string[] {
  const result: string[] = [];
  for (const name of listDir(runsDir())) {
    const match = TEMP_FILE_PATTERN.exec(name);
    if (match && !existsSync(`/proc/${match[2]}`)) result.push(join(runsDir(), name));
    const log = OBJECT_LOG_PATTERN.exec(name);
    if (log && !existsSync(join(runsDir(), `${log[1]}.json`))) result.push(join(runsDir(), name));
  }
  return result;
}

/** Remove (or with dryRun, list) everything of runs whose process is gone. */
export async function cleanup(options: CleanupOptions = {}): Promise<CleanupReport> {
  const started = performance.now();
  const dryRun = options.dryRun ?? false;
  const ops: JanitorOps = { ...defaultOps, ...options.ops };
  const defaultTarget: ContainerdTarget = {
    socket: options.containerd?.socket ?? DEFAULT_CONTAINERD_SOCKET,
    namespace: options.containerd?.namespace ?? CONTAINERD_NAMESPACE,
  };

  // Inventory strictly before the records (see the header comment).
  const inventory = takeInventory({ workBases: [defaultWorkBase()] });
  // Deep mode: run id → every namespace holding its labelled objects (undefined when containerd could not be asked).
  // Other namespaces only when asked (allNamespaces): they are other tools' and users'.
  const scanned = options.allNamespaces ? undefined : [defaultTarget.namespace];
  const containerdRuns = options.deep ? await ops.containerdRunNamespaces(defaultTarget.socket, scanned).catch(() => undefined) : undefined;
  const containerdTargets = (id: string): ContainerdTarget[] =>
    (containerdRuns?.get(id) ?? []).map((namespace) => ({ socket: defaultTarget.socket, namespace }));
  const runs = await listRuns();

  const wanted = (id: string) => !options.runIds || options.runIds.includes(id);
  const liveRuns: string[] = [];
  const cleaned: CleanedRun[] = [];
  const seen = new Set<string>();
  for (const { id, record } of runs) {
    seen.add(id);
    if (!wanted(id)) continue;
    if (record && isRunAlive(record)) {
      liveRuns.push(id);
      continue;
    }
    const found = inventory.get(id) ?? emptyLeftovers();
    // A run that kept an object log: exactly what it noted, verified (marked.ts). Older records: the name patterns.
    const objects = record?.objectLog ? readObjectLog(id) : undefined;
    const marked = record?.objectLog ? markedLeftovers(id, objects ?? EMPTY_LOG, found.claims) : undefined;
    cleaned.push(
      await cleanRun(id, record ? 'process-gone' : 'record-unreadable', record, marked?.leftovers ?? found, ops, {
        dryRun,
        // The record's namespace comes first (see cleanRun); the default one when the record is unreadable.
        // A logged run's containerd objects are looked for in its recorded namespace only.
        containerd: marked ? [] : [...(record ? [] : [defaultTarget]), ...containerdTargets(id)],
        notOurs: marked?.notOurs ?? [],
      }),
    );
  }
  const orphanIds =
    options.orphans !== true ? [] : [...new Set([...inventory.keys(), ...(containerdRuns?.keys() ?? [])])].filter((id) => !seen.has(id));
  const ripe = ripeOrphans(orphanIds, options.orphanGraceMs ?? 0, dryRun);
  for (const id of orphanIds) {
    if (!ripe.has(id) || !wanted(id)) continue;
    const leftovers = inventory.get(id) ?? emptyLeftovers();
    // A claim whose owner still runs but never registered (e.g. a caller that only allocates) is not ours to judge.
    leftovers.claims = leftovers.claims.filter((c) => !c.claim || !isProcessAlive(c.claim));
    // Without a record, containerd is asked only in deep mode: in every namespace that holds the run's objects,
    // or in the default one when the namespaces could not be listed.
    const targets = containerdRuns ? containerdTargets(id) : options.deep ? [defaultTarget] : [];
    const result = await cleanRun(id, 'no-record', undefined, leftovers, ops, { dryRun, containerd: targets, notOurs: [] });
    if (!dryRun && result.errors.length === 0) forgetOrphan(id);
    if (isEmpty(result)) continue;
    cleaned.push(result);
  }

  // Claims of dead processes whose run id is unknown, and registration temp files.
  const strayFiles: string[] = [];
  for (const temp of options.runIds ? [] : strayTempFiles()) {
    strayFiles.push(temp);
    if (!dryRun) rmSync(temp, { force: true });
  }
  if (!dryRun && !options.runIds) for (const file of readClaimFiles()) if (reclaimIfDead(file)) strayFiles.push(file.path);

  return { dryRun, runs: cleaned, liveRuns, strayFiles, durationMs: Math.round((performance.now() - started) * 100) / 100 };
}

/** How long an explicit cleanup leaves an unregistered orphan alone when asked for a grace period. */
export const ORPHAN_GRACE_MS = 60_000;

/**
 * The automatic cleanup at the start of every run: removes leftovers of dead
 * runs recorded in this state dir, never asks containerd unless a dead run
 * needs it. Never throws — a failure here must not stop a test; problems are
 * in the report.
 *
 * It never removes orphans (objects with no record here): a run registers
 * before it creates anything, so an unrecorded object is a live run of another
 * state dir (a CI job with its own, a test with a private one), a tool's, or
 * a stranger's that merely looks like ours. Only `pakostii cleanup` may judge
 * those, when a person asks.
 */
export async function cleanupDeadRuns(options: Omit<CleanupOptions, 'dryRun' | 'deep' | 'orphans' | 'allNamespaces'> = {}): Promise<CleanupReport> {
  try {
    return await cleanup({ ...options, orphans: false, dryRun: false, deep: false, allNamespaces: false });
  } catch (error) {
    return {
      dryRun: false,
      runs: [{ id: '?', reason: 'no-record', netns: [], links: [], cgroups: [], workDirs: [], execDirs: [], subnetClaims: [], containerd: undefined, record: false, errors: [describe(error)] }],
      liveRuns: [],
      strayFiles: [],
      durationMs: 0,
    };
  }
}
