/**
 * The workload runner's costs: recording one operation (invoke + ok, streamed
 * to history.jsonl), operations dispatched per second against a no-op client
 * at concurrency 1/10/100, nemesis timing error (|actual − planned| of each
 * scheduled fault, with 10 clients running), and memory per 100k recorded
 * operations (measured in a fresh child: bench/workload-memory-child.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as immediate } from 'node:timers/promises';
import { pino } from 'pino';
import { HistoryRecorder } from '../lib/history/recorder.js';
import * as gen from '../lib/workload/gen.js';
import * as nemesis from '../lib/workload/nemesis-index.js';
import type { Client } from '../lib/workload/client.js';
import type { NemesisEnv } from '../lib/workload/nemesis.js';
import type { NetworkFaultHandle } from '../lib/faults/network-fault.js';
import { runWorkload } from '../lib/workload/workload.js';
import { run } from './exec.js';
import { ROOT } from './helpers.js';
import { percentile, round } from './stats.js';

export interface WorkloadBenchResult {
  /** invoke + ok, history.jsonl streamed, per operation (wall time, best of 3). */
  record_us_per_op: number;
  /** The same in CPU time (user + system), best of 3: what a shared machine's load does not inflate as much. */
  record_cpu_us_per_op: number;
  /** Operations completed per second by the runner against a no-op client. */
  dispatch_ops_per_s: Record<string, number>;
  nemesis_error_p50_us: number;
  nemesis_error_p99_us: number;
  nemesis_error_max_us: number;
  nemesis_samples: number;
  /** Heap + external growth per 100k operations (200k events) kept in memory: what the history holds. */
  memory_mb_per_100k_ops: number;
  /**
   * RSS growth per 100k operations, from 100k to 300k held (so the young generation's one-off growth,
   * which does not scale with the history, is not counted): what the OS sees the history cost.
   */
  rss_mb_per_100k_ops: number;
  /** RSS growth of the first 100k operations: the above plus that one-off growth. */
  rss_mb_first_100k_ops: number;
}

const silent = pino({ level: 'silent' });

function recordCost(ops: number, dir: string): { wall: number; cpu: number } {
  const recorder = new HistoryRecorder({ path: join(dir, 'record.jsonl') });
  const values = [null, 1, [1, 2], 'x'];
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) {
    const p = i % 100;
    recorder.invoke(p, 'write', values[i & 3], { node: 'n1', key: 'k' });
    recorder.ok(p);
    // The streaming write runs at the end of each event-loop turn; a turn of 1,000 ops is generous to nobody.
    if (i % 1000 === 999) recorder.flush();
  }
  recorder.close();
  const wall = Number(process.hrtime.bigint() - t0) / 1e3 / ops;
  const cpu = process.cpuUsage(cpu0);
  return { wall, cpu: (cpu.user + cpu.system) / ops };
}

async function dispatchRate(concurrency: number, ops: number, dir: string): Promise<number> {
  const recorder = new HistoryRecorder({ path: join(dir, `dispatch-${concurrency}.jsonl`) });
  const client: Client<null> = { open: () => null, invoke: () => ({ type: 'ok' }) };
  const t0 = performance.now();
  await runWorkload(
    { concurrency, client, generator: gen.limit(ops, gen.repeat({ f: 'read' })), seed: 1 },
    { testName: 'bench', runId: 'bench', recorder, logger: silent, signal: new AbortController().signal, nodes: ['n1', 'n2', 'n3'] },
  );
  const seconds = (performance.now() - t0) / 1000;
  recorder.close();
  return ops / seconds;
}

function instantFaults(): NemesisEnv {
  const fault = (name: string): NetworkFaultHandle => {
    let active = false;
    const handle: NetworkFaultHandle = {
      name, kind: 'bench', params: {},
      get active() { return active; },
      apply: async () => void (active = true),
      heal: async () => void (active = false),
      withNetworkAccess: () => handle,
    };
    return handle;
  };
  const noop = async (): Promise<void> => undefined;
  return {
    nodes: ['n1', 'n2', 'n3', 'n4', 'n5'],
    services: () => ['svc'],
    partition: { isolateNode: fault, randomHalves: fault, majoritiesRing: fault, halves: fault, bridge: fault, between: fault },
    containers: { kill: noop, stop: noop, start: noop, pause: noop, resume: noop },
    logger: silent,
  };
}

/**
 * Fault apply is a map write (µs, see the toggle bench); what is measured here is the schedule's
 * waiting. The errors are read from the history as a user reads them: |time − planned| of each
 * nemesis invoke that has a planned time (the final heal has none).
 */
async function nemesisTiming(seconds: number, dir: string): Promise<number[]> {
  const recorder = new HistoryRecorder({ path: join(dir, 'nemesis.jsonl') });
  const client: Client<null> = { open: () => null, invoke: async () => (await immediate(), { type: 'ok' }) };
  await runWorkload(
    {
      concurrency: 10,
      client,
      generator: gen.timeLimit(seconds * 1000, gen.stagger(2000, gen.repeat({ f: 'read' }))),
      nemesis: nemesis.partitions({ everyMs: 20, jitterMs: 10, durationMs: 10 }),
      recoveryMs: 0,
      seed: 1,
    },
    { testName: 'bench', runId: 'bench', recorder, logger: silent, signal: new AbortController().signal, nodes: ['n1'], nemesisEnv: instantFaults() },
  );
  recorder.close();
  return recorder.history.filter((e) => e.process === 'nemesis' && e.type === 'invoke' && e.planned !== undefined).map((e) => Math.abs(e.time - e.planned!));
}

export async function runWorkloadBench(quick: boolean): Promise<WorkloadBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'pakostii-bench-workload-'));
  try {
    recordCost(20_000, dir); // warm-up
    const samples = [0, 1, 2].map(() => recordCost(quick ? 50_000 : 200_000, dir));
    const dispatch: Record<string, number> = {};
    for (const c of [1, 10, 100]) {
      await dispatchRate(c, 10_000, dir); // warm-up
      dispatch[String(c)] = Math.round(await dispatchRate(c, quick ? 50_000 : 200_000, dir));
    }
    const errors = await nemesisTiming(quick ? 3 : 10, dir);
    const out = await run([process.execPath, '--expose-gc', '--import', 'tsx', join(ROOT, 'bench', 'workload-memory-child.ts')]);
    const memory = JSON.parse(out.stdout.trim().split('\n').pop()!) as { heap_mb: number; rss_mb: number; rss_first_mb: number };
    return {
      record_us_per_op: round(Math.min(...samples.map((x) => x.wall))),
      record_cpu_us_per_op: round(Math.min(...samples.map((x) => x.cpu))),
      dispatch_ops_per_s: dispatch,
      nemesis_error_p50_us: round(percentile(errors, 50) / 1e3),
      nemesis_error_p99_us: round(percentile(errors, 99) / 1e3),
      nemesis_error_max_us: round(percentile(errors, 100) / 1e3),
      nemesis_samples: errors.length,
      memory_mb_per_100k_ops: round(memory.heap_mb),
      rss_mb_per_100k_ops: round(memory.rss_mb),
      rss_mb_first_100k_ops: round(memory.rss_first_mb),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
