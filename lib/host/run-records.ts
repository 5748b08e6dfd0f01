/**
 * Run registry: one JSON file per live run under <state dir>/runs/<id>.json.
 *
 * The state dir (/run/pakostii) is on tmpfs: a reboot clears it, which is
 * right because the namespaces, links and BPF objects it describes die with
 * the boot too. A record is created with O_EXCL before the run creates
 * anything, so (1) two runs can never share an id and (2) the janitor may treat
 * every object whose run id has no live record as an orphan.
 *
 * Liveness: a pid alone is not enough (pids are reused), so the record also
 * stores the process's identity (process-identity.ts).
 */
import { link, mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { PakostiiError, StateError } from '../errors.js';
import { CONTAINERD_NAMESPACE, names, newRunId } from './names.js';
import { DEFAULT_CONTAINERD_SOCKET, runsDir } from './paths.js';
import { isProcessAlive, selfIdentity, type ProcessIdentity } from './process-identity.js';
import { createObjectLog, removeObjectLog } from './run-objects.js';

export const RUN_ID_PATTERN = /^[a-z]{5}$/;

function recordPath(id: string): string {
  return join(runsDir(), `${id}.json`);
}

// ---------------------------------------------------------------- records

export interface RunRecord extends ProcessIdentity {
  readonly version: 1;
  readonly id: string;
  readonly testName: string;
  /** Wall clock at registration (ISO 8601). */
  readonly startedAt: string;
  /** CIDR of the run's subnet once allocated (see subnet-claims.ts; the claim files are authoritative). */
  readonly subnet?: string;
  /** Host bridge name (derivable from the id; recorded for people reading the file). */
  readonly bridge: string;
  /** Scratch dir removed at teardown (<state dir>/work/<id>). */
  readonly workDir?: string;
  /** Artifacts dir: kept after the run on purpose, never removed by the janitor. */
  readonly artifactsDir?: string;
  /**
   * The run's node names: its namespaces are exactly pk-<id>-<node> and the runner's,
   * so the janitor leaves a look-alike (pk-<id>-foo of a run without node foo) alone.
   */
  readonly nodes?: readonly string[];
  /**
   * True for runs that note every host object before creating it in
   * <id>.objects (run-objects.ts): the janitor then removes only what that log
   * names. Records without it (older versions) get the name-pattern fallback.
   */
  readonly objectLog?: true;
  /** Where the run's containers live, so the janitor can remove them after a crash. */
  readonly containerd: { readonly socket: string; readonly namespace: string };
}

export interface RunRegistration {
  id: string;
  testName: string;
  subnet?: string;
  workDir?: string;
  artifactsDir?: string;
  nodes?: readonly string[];
  containerd?: { socket?: string; namespace?: string };
}

async function ensureRunsDir(): Promise<void> {
  await mkdir(runsDir(), { recursive: true, mode: 0o755 });
}

/** Temp files are named ".<id>.<pid>.tmp" so the janitor can remove those of dead writers. */
export const TEMP_FILE_PATTERN = /^\.([a-z]{5})\.(\d+)\.tmp$/;

async function writeTemp(id: string, record: RunRecord): Promise<string> {
  const temp = join(runsDir(), `.${id}.${process.pid}.tmp`);
  const handle = await open(temp, 'w', 0o644);
  try {
    await handle.writeFile(`${JSON.stringify(record, null, 2)}\n`);
  } finally {
    await handle.close();
  }
  return temp;
}

/** Thrown by registerRun when the id is taken; registerNewRun draws another id instead. */
export class RunIdTakenError extends StateError {
  readonly id: string;
  constructor(id: string) {
    super(`run id "${id}" is already registered in ${runsDir()}`, { hint: 'draw another id (registerNewRun does this)' });
    this.id = id;
  }
}

/**
 * Create runs/<id>.json with O_EXCL. Call it BEFORE creating any object of the run:
 * the janitor removes objects whose run id has no live record.
 */
export async function registerRun(registration: RunRegistration): Promise<RunRecord> {
  if (!RUN_ID_PATTERN.test(registration.id)) {
    throw new StateError(`cannot register run "${registration.id}": a run id is 5 lowercase letters`, {
      hint: 'use newRunId() from lib/host/names.ts',
    });
  }
  const record: RunRecord = {
    version: 1,
    id: registration.id,
    testName: registration.testName,
    ...selfIdentity(),
    startedAt: new Date().toISOString(),
    ...(registration.subnet === undefined ? {} : { subnet: registration.subnet }),
    bridge: names.bridge(registration.id),
    ...(registration.workDir === undefined ? {} : { workDir: registration.workDir }),
    ...(registration.artifactsDir === undefined ? {} : { artifactsDir: registration.artifactsDir }),
    ...(registration.nodes === undefined ? {} : { nodes: [...registration.nodes] }),
    objectLog: true,
    containerd: {
      socket: registration.containerd?.socket ?? DEFAULT_CONTAINERD_SOCKET,
      namespace: registration.containerd?.namespace ?? CONTAINERD_NAMESPACE,
    },
  };
  await ensureRunsDir().catch((cause: unknown) => {
    throw new PakostiiError(`cannot create the pakostii state directory ${runsDir()}`, {
      cause,
      hint: 'pakostii must run as root (or set PAKOSTII_STATE_DIR to a writable directory)',
    });
  });
  // Written to a temp file and hard-linked into place: link() fails with EEXIST like
  // O_EXCL, and the record never exists half-written (a concurrent janitor reading
  // an empty file would take the run for dead).
  const temp = await writeTemp(record.id, record).catch((cause: unknown) => {
    throw new PakostiiError(`cannot write the record of run "${record.id}" in ${runsDir()}`, { cause, hint: 'pakostii must run as root' });
  });
  try {
    await link(temp, recordPath(record.id));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new RunIdTakenError(record.id);
    throw new PakostiiError(`cannot register run "${record.id}" in ${runsDir()}`, { cause: error, hint: 'pakostii must run as root' });
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  try {
    // The id is ours now: a log left under it (a kill between the two unlinks of an
    // earlier run's teardown) describes nothing that exists any more.
    removeObjectLog(record.id);
    createObjectLog(record.id);
  } catch (error) {
    await unlink(recordPath(record.id)).catch(() => undefined);
    throw new PakostiiError(`cannot create the object log of run "${record.id}" in ${runsDir()}`, { cause: error, hint: 'pakostii must run as root' });
  }
  return record;
}

/**
 * Draw run ids until one registers (a collision among 26^5 ids is rare; 100 attempts is plenty).
 * `registration` may depend on the id drawn (a work dir named after it).
 */
export async function registerNewRun(
  registration: Omit<RunRegistration, 'id'> | ((id: string) => Omit<RunRegistration, 'id'>),
): Promise<RunRecord> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const id = newRunId();
    try {
      return await registerRun({ ...(typeof registration === 'function' ? registration(id) : registration), id });
    } catch (error) {
      if (!(error instanceof RunIdTakenError)) throw error;
    }
  }
  throw new StateError(`cannot find a free run id in ${runsDir()} after 100 attempts`, {
    hint: 'run `pakostii cleanup` to remove records of dead runs',
  });
}

/** Rewrite a record atomically (temp file + rename) with some fields changed, e.g. the subnet. */
export async function updateRun(id: string, change: Partial<Pick<RunRecord, 'subnet' | 'workDir' | 'artifactsDir'>>): Promise<RunRecord> {
  const current = await readRun(id);
  if (!current) throw new StateError(`cannot update run "${id}": it is not registered in ${runsDir()}`);
  const next: RunRecord = { ...current, ...change };
  const temp = await writeTemp(id, next);
  await rename(temp, recordPath(id));
  return next;
}

/**
 * Remove the record (last step of teardown). Missing is fine: the janitor may have been faster.
 * The object log goes first: a record without its log means "nothing noted", never the reverse.
 */
export async function unregisterRun(id: string): Promise<void> {
  removeObjectLog(id);
  try {
    await unlink(recordPath(id));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function parseRecord(text: string, id: string): RunRecord | undefined {
  try {
    const value = JSON.parse(text) as Partial<RunRecord>;
    if (value.id !== id || typeof value.pid !== 'number') return undefined;
    return value as RunRecord;
  } catch {
    return undefined;
  }
}

/** The record of run `id`, or undefined when there is none (or it is unreadable). */
export async function readRun(id: string): Promise<RunRecord | undefined> {
  try {
    return parseRecord(await readFile(recordPath(id), 'utf8'), id);
  } catch {
    return undefined;
  }
}

export interface ListedRun {
  readonly id: string;
  /** Undefined when the file is corrupt (e.g. the process died mid-write): treated as dead. */
  readonly record: RunRecord | undefined;
}

/** Every run file in the registry, including unreadable ones (so the janitor can remove them). */
export async function listRuns(): Promise<ListedRun[]> {
  let entries: string[];
  try {
    entries = await readdir(runsDir());
  } catch {
    return [];
  }
  const ids = entries.filter((e) => e.endsWith('.json')).map((e) => e.slice(0, -'.json'.length)).filter((id) => RUN_ID_PATTERN.test(id));
  return Promise.all(ids.map(async (id) => ({ id, record: await readRun(id) })));
}

/** True while the process that registered the run is still running (same pid, start time and boot). */
export function isRunAlive(record: RunRecord | undefined): boolean {
  return record !== undefined && isProcessAlive(record);
}
