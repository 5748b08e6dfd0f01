/**
 * The linearizability checker: is there a total order of the operations,
 * consistent with real time, that the model accepts? Splits the history by the
 * model's partition (each part is an independent object), checks each part
 * (in worker threads when there is enough work), and answers `unknown` — never
 * a guess — when the time budget or the memory cap runs out.
 */
import { cpus } from 'node:os';
import type { CheckContext, CheckResult, CheckResultDetails, Checker, History, Validity } from '../history/types.js';
import type { Model } from './model.js';
import { BUILTIN_MODELS, type BuiltinModelName } from './models.js';
import { checkPartition, type LinearizationStep, type PartitionVerdict } from './partition-check.js';
import { prepareHistory } from './prepare.js';
import { checkInWorkers } from './workers.js';

/** Default memory the search caches of one check may use. */
export const DEFAULT_MEMORY_LIMIT_BYTES = 1 << 30;

export interface LinearizableOptions<State = unknown> {
  /** A built-in model by name, or your own. */
  model: BuiltinModelName | Model<State>;
  /** Time budget in ms (also taken from the context); past it the answer is `unknown`. */
  timeoutMs?: number;
  /** Cap on the search caches' memory (bytes, default 1 GiB); reaching it gives `unknown`. */
  memoryLimitBytes?: number;
  /**
   * Worker threads for partitions (built-in models only): `0` checks on the
   * calling thread; default: one per core on machines with 4 or more cores
   * when the history has several partitions and at least 20,000 operations.
   */
  workers?: number;
  /**
   * When the register algorithm finds a violation, time (ms, default 1000) it
   * may spend searching for the longest linearizable prefix to show with it; 0 skips it.
   */
  explainMs?: number;
  /** Names the history in error messages. */
  source?: string;
  /** The 1-based line of event `index` in the source file, for error messages. */
  lineOf?: (index: number) => number;
}

export interface LinearizabilityResult extends CheckResult, CheckResultDetails {
  valid: Validity;
  summary: string;
  model: string;
  /** Client operations in the history. */
  operationCount: number;
  /** One verdict per partition (e.g. per key), in the order first seen. */
  partitions: PartitionVerdict[];
  linearization?: LinearizationStep[];
  ms: number;
}

/** Below this many operations, partitions are checked on the calling thread. */
const WORKER_THRESHOLD_OPS = 20_000;
/**
 * Workers by default only with this many cores: on 2 cores (one busy with the
 * caller) starting workers and copying partitions cost more than they saved
 * (bench/checker.ts measures both).
 */
const MIN_CORES_FOR_WORKERS = 4;

function resolveModel<State>(model: BuiltinModelName | Model<State>): { model: Model<unknown>; builtin?: BuiltinModelName } {
  if (typeof model === 'string') {
    const builtin = BUILTIN_MODELS[model] as Model<unknown> | undefined;
    if (builtin === undefined) throw new TypeError(`unknown model "${model}"; expected one of ${Object.keys(BUILTIN_MODELS).join(', ')}`);
    return { model: builtin, builtin: model };
  }
  return { model: model as Model<unknown> };
}

export function combineVerdicts(partitions: readonly PartitionVerdict[]): Validity {
  if (partitions.some((p) => p.valid === false)) return false;
  if (partitions.some((p) => p.valid === 'unknown')) return 'unknown';
  return true;
}

/** Checks a history for linearizability against a model. Throws HistoryFormatError for a malformed history. */
export async function checkLinearizable<State>(
  history: History,
  options: LinearizableOptions<State>,
  context: CheckContext = {},
): Promise<LinearizabilityResult> {
  const started = Date.now();
  const { model, builtin } = resolveModel(options.model);
  const prepareOptions: Parameters<typeof prepareHistory>[2] = {};
  if (options.source !== undefined) prepareOptions.source = options.source;
  if (options.lineOf !== undefined) prepareOptions.lineOf = options.lineOf;
  const prepared = prepareHistory(history, model, prepareOptions);
  const timeoutMs = context.timeoutMs ?? options.timeoutMs;
  const limits = {
    deadline: timeoutMs === undefined ? Infinity : started + timeoutMs,
    memoryLimitBytes: options.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT_BYTES,
    signal: context.signal,
  };
  const totalOps = prepared.partitions.reduce((sum, p) => sum + p.ops.length, 0);
  const cores = cpus().length;
  const workerCount =
    options.workers ??
    (cores >= MIN_CORES_FOR_WORKERS && prepared.partitions.length > 1 && totalOps >= WORKER_THRESHOLD_OPS
      ? Math.min(cores, prepared.partitions.length)
      : 0);
  let verdicts: PartitionVerdict[];
  if (builtin !== undefined && workerCount > 1) {
    verdicts = await checkInWorkers(builtin, prepared.partitions, limits, workerCount, options.explainMs);
  } else {
    verdicts = [];
    for (const partition of prepared.partitions) {
      verdicts.push(checkPartition(model, partition, limits, options.explainMs));
      // Let timers and aborts through between partitions.
      if (prepared.partitions.length > 1) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  const valid = combineVerdicts(verdicts);
  const result: LinearizabilityResult = {
    valid,
    summary: '',
    model: model.name ?? 'custom',
    operationCount: prepared.operationCount,
    partitions: verdicts,
    ms: Date.now() - started,
  };
  const failed = verdicts.find((v) => v.valid === false);
  const unknown = verdicts.filter((v) => v.valid === 'unknown');
  if (failed !== undefined) {
    result.summary = failed.summary;
    if (failed.ops !== undefined) result.ops = failed.ops;
    if (failed.linearization !== undefined) result.linearization = failed.linearization;
    if (prepared.partitions.length > 1 || failed.partition !== '') result.partition = failed.partition;
  } else if (unknown.length > 0) {
    const names = unknown.map((v) => (v.partition === '' ? 'the history' : JSON.stringify(v.partition)));
    result.summary = `unknown: could not decide ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''} (${unknown[0]!.summary.replace(/^unknown: /, '')}); the other partitions are linearizable`;
    if (prepared.partitions.length === 1) result.summary = unknown[0]!.summary;
  } else {
    result.summary = `linearizable: ${prepared.operationCount} operations${prepared.partitions.length > 1 ? ` in ${prepared.partitions.length} partitions` : ''}`;
  }
  return result;
}

/** A {@link Checker} for linearizability against a model. */
export function linearizable<State>(options: LinearizableOptions<State>): Checker {
  return {
    name: 'linearizable',
    check: (history, context) => checkLinearizable(history, options, context),
  };
}
