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
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { checkListAppend, ListAppendGenerator, spec, Test, type HistoryEvent, type ListAppendMicroOp, type ListAppendResult, type TestHandle, type TestOptions, type TestResult } from '../lib/index.js';

export const POSTGRES_IMAGE = process.env.PAKOSTII_POSTGRES_IMAGE ?? 'pakostii.local/postgres:15';
export const ISOLATION_LEVELS = ['read-committed', 'repeatable-read', 'serializable'] as const;
export type IsolationLevel = (typeof ISOLATION_LEVELS)[number];

export function postgresCluster(image = POSTGRES_IMAGE): spec.ClusterSpec {
  const postgres = spec
    .newContainer('postgres', image)
    // Durability is not under test here: skip fsync so a small VM keeps up.
    .withCommand(['/usr/local/bin/pakostii-postgres', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=50', '-c', 'deadlock_timeout=20ms'])
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

/** Seeded uniform numbers in [0, 1) (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
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

/** Clients run list-append transactions until the deadline; returns the history (Jepsen's :txn ops). */
export async function listAppendWorkload(t: TestHandle, options: ListAppendRunOptions): Promise<HistoryEvent[]> {
  const clients = options.clients ?? 10;
  const fw = t.network.forwardPort('pg1', 5432);
  await fw.listen(t.signal);
  const connect = async (): Promise<pg.Client> => {
    const c = new pg.Client({ host: '127.0.0.1', port: fw.port(), user: 'postgres', database: 'postgres', connectionTimeoutMillis: 5_000 });
    c.on('error', () => undefined); // a broken connection surfaces on the next query
    await c.connect();
    return c;
  };
  const setup = await connect();
  await setup.query('CREATE TABLE IF NOT EXISTS lists (k int PRIMARY KEY, v int[] NOT NULL)');
  await setup.end();

  const gen = new ListAppendGenerator({ activeKeys: 5, maxWritesPerKey: 32, maxTxnLength: 4, random: seeded(options.seed ?? 1) });
  const history: HistoryEvent[] = [];
  const started = process.hrtime.bigint();
  const record = (proc: number, type: HistoryEvent['type'], value: unknown, error?: string): void => {
    const time = Number(process.hrtime.bigint() - started);
    history.push({ index: history.length, time, process: proc, type, f: 'txn', value, node: 'pg1', ...(error ? { error } : {}) });
  };
  const deadline = Date.now() + (options.durationMs ?? 10_000);

  const worker = async (slot: number): Promise<void> => {
    let proc = slot;
    let client = await connect();
    try {
      while (Date.now() < deadline && !t.signal.aborted) {
        const txn = gen.next();
        record(proc, 'invoke', txn);
        try {
          record(proc, 'ok', await runTxn(client, options.isolation, txn));
        } catch (error) {
          const e = error as { code?: string; message?: string; committing?: boolean };
          if (e.code !== undefined && !(e.committing && e.code.startsWith('08'))) {
            // PostgreSQL answered with an error (serialization failure, deadlock …): rolled back.
            record(proc, 'fail', txn, `${e.code} ${e.message ?? ''}`.trim());
          } else {
            // No answer, or the connection broke while committing: the outcome is unknown. Retire the process.
            record(proc, 'info', txn, e.message ?? String(error));
            proc += clients;
            await client.end().catch(() => undefined);
            client = await connect();
          }
        }
      }
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, i) => worker(i)));
  return history;
}

export interface IsolationRun {
  isolation: IsolationLevel;
  run: TestResult;
  history: HistoryEvent[];
  result: ListAppendResult;
}

/** One test run at one isolation level: the history goes to the run's artifacts (history.jsonl), the verdict is returned. */
export async function checkIsolationLevel(options: ListAppendRunOptions & { testOptions?: TestOptions }): Promise<IsolationRun> {
  const test = new Test(`postgres_list_append_${options.isolation.replace(/-/g, '_')}`, postgresCluster(), options.testOptions);
  let run: Omit<IsolationRun, 'run'> | undefined;
  const result = await test.run(async (t) => {
    const history = await listAppendWorkload(t, options);
    writeFileSync(join(t.artifactsDir, 'history.jsonl'), history.map((e) => JSON.stringify(e)).join('\n') + '\n');
    // Claim exactly the level under test: anomalies it allows are reported but do not fail the check.
    const result = checkListAppend(history, { consistencyModels: [options.isolation === 'repeatable-read' ? 'snapshot-isolation' : options.isolation] });
    t.logger.info({ isolation: options.isolation, valid: result.valid, anomalies: result.counts, stats: result.stats }, result.summary);
    run = { isolation: options.isolation, history, result };
  });
  return { ...run!, run: result };
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
