/**
 * A workload run: clients and nemesis together, then the heal, the recovery
 * and the final operations, then the checkers. The order is Jepsen's:
 *
 *   open clients → generator ∥ nemesis schedule → stop nemesis → heal
 *   → recoveryMs → final → close clients → check → results.json
 *
 * The heal and the closing of clients happen on every path (also after a
 * failure or an interrupt).
 */
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { messageOf, TestFailedError } from '../errors.js';
import type { HistoryRecorder } from '../history/recorder.js';
import { ARTIFACT_FILE_MODE, ARTIFACT_FILES, type Checker, type CheckResult, type History, type Validity } from '../history/types.js';
import { checkWorkloadOptions, type WorkloadOptions } from './options.js';
import { NemesisRunner, type NemesisEnv } from './nemesis.js';
import { Random, resolveSeed, SEED_ENV, type Seed } from './random.js';
import { ClientPool } from './runner.js';

/** What a workload needs from the run. */
export interface WorkloadEnv {
  readonly testName: string;
  readonly runId: string;
  readonly recorder: HistoryRecorder;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly nodes: readonly string[];
  /** Absent: no nemesis can run (e.g. a bench without a cluster). */
  readonly nemesisEnv?: NemesisEnv;
  /** Where results.json goes (absent: not written). */
  readonly artifactsDir?: string;
  /** Told the seed once it is chosen (run.json). */
  onSeed?(seed: Seed, replay: string): void;
}

export interface WorkloadResult {
  seed: Seed;
  /** The run's whole history so far (clients and nemesis). */
  history: History;
  /** Overall verdict when checkers ran: false if any is false, else 'unknown' if any is, else true. */
  valid?: Validity;
  /** Each checker's result, by name. */
  results?: Record<string, CheckResult>;
  /** |actual − planned| of each nemesis operation, ns. */
  nemesisTimingErrorsNs: number[];
}

/** What vitest exposes to a worker about the test it runs (an internal global, so every field is optional). */
interface VitestWorkerState {
  filepath?: string;
  current?: { name?: string };
}

/**
 * The command line that started this run. Under vitest the process is a pool
 * worker whose own argv replays nothing, so it is the command that reruns the
 * test file (and the test, by name).
 */
function launchArgv(): readonly string[] {
  const state = (globalThis as { __vitest_worker__?: VitestWorkerState }).__vitest_worker__;
  const file = process.env['VITEST'] ? state?.filepath : undefined;
  if (!file) return process.argv;
  const argv = ['npx', 'vitest', 'run', relative(process.cwd(), file)];
  const name = state?.current?.name;
  if (name) argv.push('-t', name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return argv;
}

/** The shell command that replays this run with the same seed. */
export function replayCommand(seed: Seed, argv: readonly string[] = launchArgv()): string {
  const quote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  const [node, ...rest] = argv;
  const runner = node && /(?:^|\/)node$/.test(node) ? 'node' : (node ?? 'node');
  return `${SEED_ENV}=${quote(String(seed))} ${[runner, ...rest].map(quote).join(' ')}`;
}

export async function runWorkload<C>(options: WorkloadOptions<C>, env: WorkloadEnv): Promise<WorkloadResult> {
  const o = checkWorkloadOptions(options, env.nodes);
  if (o.nemesis && env.nemesisEnv === undefined) throw new Error('workload: this run has no cluster for a nemesis');
  const { seed, source } = resolveSeed(o.seed);
  const replay = replayCommand(seed);
  env.logger.info({ seed, seed_source: source, replay }, `workload seed ${String(seed)}${source === 'env' ? ` (from ${SEED_ENV})` : ''}`);
  env.onSeed?.(seed, replay);
  const random = new Random(seed);
  const pool = new ClientPool({
    recorder: env.recorder,
    logger: env.logger,
    signal: env.signal,
    random: random.fork('clients'),
    client: o.client as never,
    nodes: o.threadNodes,
    opTimeoutMs: o.opTimeoutMs,
    firstProcess: env.recorder.nextProcess(),
  });
  // The schedule checks its options against the cluster before any client opens.
  const nemesis = o.nemesis ? new NemesisRunner(o.nemesis, env.nemesisEnv!, env.recorder, random.fork('nemesis')) : undefined;
  env.recorder.reserveProcesses(o.concurrency);
  await pool.open();
  env.logger.info({ concurrency: o.concurrency, nodes: [...new Set(o.threadNodes)], nemesis: o.nemesis?.name }, 'workload started');
  let healed = false;
  try {
    nemesis?.start(env.signal);
    try {
      await pool.run(o.generator);
    } finally {
      await nemesis?.stop();
    }
    if (nemesis) {
      healed = true;
      await nemesis.heal();
      env.logger.info({ recovery_ms: o.recoveryMs }, 'nemesis healed; letting the system recover');
    }
    env.signal.throwIfAborted();
    if (o.recoveryMs > 0) await sleep(o.recoveryMs, undefined, { signal: env.signal });
    if (o.final) await pool.run(o.final);
    env.signal.throwIfAborted();
  } finally {
    if (nemesis && !healed) await nemesis.heal().catch((error: unknown) => env.logger.error({ err: error }, 'nemesis heal failed'));
    await pool.close();
    env.recorder.flush();
  }
  const recorder = env.recorder;
  env.logger.info({ ops: recorder.clientOperations(), events: recorder.length }, 'workload finished');
  const result: WorkloadResult = {
    seed,
    // Made into objects when first read (by a checker or the caller): a run that only writes
    // history.jsonl never holds them.
    get history(): History {
      return recorder.history;
    },
    nemesisTimingErrorsNs: nemesis?.timingErrorsNs ?? [],
  };
  if (o.checkers.length > 0) await check(result, o.checkers, o.checkTimeoutMs, env);
  return result;
}

async function check(result: WorkloadResult, checkers: readonly Checker[], timeoutMs: number, env: WorkloadEnv): Promise<void> {
  const results: Record<string, CheckResult> = {};
  for (const checker of checkers) {
    const started = performance.now();
    let answer: CheckResult;
    try {
      answer = await checker.check(result.history, { signal: env.signal, timeoutMs });
    } catch (error) {
      answer = { valid: 'unknown', summary: `checker ${checker.name} threw: ${messageOf(error)}` };
    }
    results[checker.name] = answer;
    env.logger.info({ checker: checker.name, valid: answer.valid, ms: Math.round(performance.now() - started) }, `checker ${checker.name}: ${answer.summary}`);
  }
  const verdicts = Object.values(results).map((r) => r.valid);
  const valid: Validity = verdicts.includes(false) ? false : verdicts.includes('unknown') ? 'unknown' : true;
  result.valid = valid;
  result.results = results;
  if (env.artifactsDir !== undefined) {
    writeFileSync(join(env.artifactsDir, ARTIFACT_FILES.results), `${JSON.stringify({ valid, checkers: results }, null, 2)}\n`, { mode: ARTIFACT_FILE_MODE });
  }
  if (valid === 'unknown') {
    const why = Object.entries(results).filter(([, r]) => r.valid === 'unknown').map(([name, r]) => `${name}: ${r.summary}`).join('; ');
    env.logger.warn({ valid }, `verdict UNKNOWN — the checkers could not decide (${why}); this run proves nothing either way`);
  }
  if (valid === false) {
    const [name, failed] = Object.entries(results).find(([, r]) => r.valid === false)!;
    throw new TestFailedError(`${name}: ${failed.summary} (seed ${String(result.seed)})`, {
      id: env.runId,
      testName: env.testName,
      artifactsDir: env.artifactsDir ?? '',
      durationMs: 0,
    });
  }
}
