/**
 * PostgreSQL's isolation levels, checked with the list-append workload.
 *
 * One node runs PostgreSQL 15. Several clients run short transactions of
 * appends and reads over a few rotating keys (one row per key holding an
 * int[]), all at one isolation level, and record a history; the list-append
 * checker then finds the anomalies:
 *
 *   read committed   → G-single / G2-item (read and write skew), but no G0 or G1
 *   repeatable read  → G2-item (write skew: PostgreSQL's repeatable read is
 *                      snapshot isolation), but no G-single or G1
 *   serializable     → nothing (conflicting transactions abort with a
 *                      serialization failure, recorded as `fail`)
 *
 *   npx tsx examples/postgres-list-append.ts [read-committed|repeatable-read|serializable …]   (as root)
 *
 * Image: pakostii.local/postgres:15 from `npx tsx scripts/build-images.ts --only postgres --import`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import {
  gen,
  listAppendChecker,
  listAppendTxns,
  spec,
  Test,
  type Client,
  type History,
  type ListAppendMicroOp,
  type ListAppendResult,
  type TestHandle,
  type TestOptions,
  type TestResult,
  type WorkloadResult,
} from '../lib/index.js';

export const POSTGRES_IMAGE = process.env.PAKOSTII_POSTGRES_IMAGE ?? 'pakostii.local/postgres:15';
export const ISOLATION_LEVELS = ['read-committed', 'repeatable-read', 'serializable'] as const;
export type IsolationLevel = (typeof ISOLATION_LEVELS)[number];

export function postgresCluster(image = POSTGRES_IMAGE): spec.ClusterSpec {
  const postgres = spec
    .newContainer('postgres', image)
    // Durability is not under test here: skip fsync so a small VM keeps up.
    .withCommand(['/usr/local/bin/pakostii-postgres', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=50', '-c', 'deadlock_timeout=20ms',
      // A transaction waits at most 1 s for a row lock (then fails, cleanly), and a connection its
      // client abandoned (timed out) cannot hold locks for long.
      '-c', 'lock_timeout=1000', '-c', 'idle_in_transaction_session_timeout=5000'])
    .withReadiness(spec.execProbe(['/usr/lib/postgresql/15/bin/pg_isready', '-q', '-h', '127.0.0.1', '-U', 'postgres'], { intervalMs: 250 }));
  return spec.newCluster().addNode(spec.newNode('pg1').runs(postgres));
}

export interface ListAppendRunOptions {
  isolation: IsolationLevel;
  /** Concurrent clients (default 10). */
  clients?: number;
  /** How long clients run transactions (default 10 s). */
  durationMs?: number;
  /** Seed of the transaction generator. */
  seed?: number;
}

const SQL_LEVEL: Record<IsolationLevel, string> = {
  'read-committed': 'READ COMMITTED',
  'repeatable-read': 'REPEATABLE READ',
  serializable: 'SERIALIZABLE',
};

/** Runs one transaction; reads are filled in. Throws with `committing` set when the outcome is unknown. */
async function runTxn(client: pg.Client, level: IsolationLevel, txn: ListAppendMicroOp[]): Promise<ListAppendMicroOp[]> {
  await client.query(`BEGIN ISOLATION LEVEL ${SQL_LEVEL[level]}`);
  try {
    const done: ListAppendMicroOp[] = [];
    for (const mop of txn) {
      if (mop[0] === 'r') {
        const res = await client.query<{ v: number[] }>('SELECT v FROM lists WHERE k = $1', [mop[1]]);
        done.push(['r', mop[1], res.rows[0]?.v ?? []]);
      } else {
        await client.query('INSERT INTO lists AS l (k, v) VALUES ($1, ARRAY[$2::int]) ON CONFLICT (k) DO UPDATE SET v = l.v || $2::int', [mop[1], mop[2]]);
        done.push(mop);
      }
    }
    try {
      await client.query('COMMIT');
    } catch (error) {
      (error as { committing?: boolean }).committing = true;
      throw error;
    }
    return done;
  } catch (error) {
    if (!(error as { committing?: boolean }).committing) await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** The workload's client: one PostgreSQL connection per process, one transaction per operation. */
function postgresClient(port: () => number, level: IsolationLevel): Client<pg.Client> {
  return {
    async open() {
      const c = new pg.Client({ host: '127.0.0.1', port: port(), user: 'postgres', database: 'postgres', connectionTimeoutMillis: 5_000 });
      c.on('error', () => undefined); // a broken connection surfaces on the next query
      await c.connect();
      return c;
    },
    async invoke(c, op, { signal }) {
      // Timed out or interrupted: drop the connection, so the server rolls the transaction back now.
      const drop = (): void => void c.end().catch(() => undefined);
      signal.addEventListener('abort', drop, { once: true });
      try {
        return { type: 'ok', value: await runTxn(c, level, op.value as ListAppendMicroOp[]) };
      } catch (error) {
        const e = error as { code?: string; message?: string; committing?: boolean };
        // PostgreSQL answered with an error (serialization failure, deadlock …): rolled back, did not happen.
        if (e.code !== undefined && !(e.committing && e.code.startsWith('08'))) return { type: 'fail', error: `${e.code} ${e.message ?? ''}`.trim() };
        throw error; // no answer, or the connection broke while committing: unknown (info), the process retires
      } finally {
        signal.removeEventListener('abort', drop);
      }
    },
    async close(c) {
      // end() of a connection already dropped by a timeout may never settle: do not wait long for it.
      await Promise.race([c.end(), sleep(1_000)]);
    },
  };
}

/**
 * Clients run list-append transactions at `options.isolation` for `durationMs`;
 * the list-append checker then judges the history against that level.
 */
export async function listAppendWorkload(t: TestHandle, options: ListAppendRunOptions): Promise<WorkloadResult> {
  const fw = t.network.forwardPort('pg1', 5432);
  await fw.listen(t.signal);
  const setup = new pg.Client({ host: '127.0.0.1', port: fw.port(), user: 'postgres', database: 'postgres' });
  await setup.connect();
  await setup.query('CREATE TABLE IF NOT EXISTS lists (k int PRIMARY KEY, v int[] NOT NULL)');
  await setup.end();
  return t.workload({
    concurrency: options.clients ?? 10,
    client: postgresClient(() => fw.port(), options.isolation),
    opTimeoutMs: 10_000,
    generator: gen.timeLimit(options.durationMs ?? 10_000, listAppendTxns({ activeKeys: 5, maxWritesPerKey: 32, maxTxnLength: 4 })),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    // Claim exactly the level under test: anomalies it allows are reported but do not fail the run.
    checker: listAppendChecker({ consistencyModels: [options.isolation === 'repeatable-read' ? 'snapshot-isolation' : options.isolation] }),
  });
}

export interface IsolationRun {
  isolation: IsolationLevel;
  run: TestResult;
  history: History;
  result: ListAppendResult;
}

/** One test run at one isolation level: the history goes to the run's artifacts (history.jsonl), the verdict is returned. */
/** One test run at one isolation level (its history is in the run's artifacts: history.jsonl, history.edn, results.json). */
export async function checkIsolationLevel(options: ListAppendRunOptions & { testOptions?: TestOptions }): Promise<IsolationRun> {
  const test = new Test(`postgres_list_append_${options.isolation.replace(/-/g, '_')}`, postgresCluster(), options.testOptions);
  let workload: WorkloadResult | undefined;
  const run = await test.run(async (t) => {
    workload = await listAppendWorkload(t, options);
  });
  const result = workload!.results!['list-append'] as ListAppendResult;
  return { isolation: options.isolation, run, history: workload!.history, result };
}

async function main(): Promise<void> {
  const levels = process.argv.slice(2).length > 0 ? (process.argv.slice(2) as IsolationLevel[]) : [...ISOLATION_LEVELS];
  for (const level of levels) {
    if (!ISOLATION_LEVELS.includes(level)) throw new Error(`unknown isolation level "${level}" (one of ${ISOLATION_LEVELS.join(', ')})`);
    const { result } = await checkIsolationLevel({ isolation: level });
    console.log(`${level}: ${result.stats.ok} ok, ${result.stats.fail} failed, ${result.stats.info} unknown transactions`);
    console.log(`  anomalies: ${result.anomalyTypes.join(', ') || 'none'}; not: ${result.not.join(', ') || '—'}`);
    for (const type of result.anomalyTypes) console.log(`  e.g. ${result.anomalies[type]![0]!.explanation}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
