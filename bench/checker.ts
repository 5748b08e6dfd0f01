/**
 * The linearizability checker against porcupine's figures (Go, measured on
 * this kind of machine; quoted from the issue, porcupine cannot run here):
 * shared Jepsen etcd histories, kv/c10-ok partitioned and as one object,
 * synthetic single-register histories, and 100k operations over 100 keys.
 * Each figure is the median of a few warm runs, parsing excluded.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkLinearizable } from '../lib/checker/linearizable.js';
import type { Model } from '../lib/checker/model.js';
import { kvModel } from '../lib/checker/models.js';
import { readHistoryFile } from '../lib/history/read.js';
import type { History, Validity } from '../lib/history/types.js';
import { generateHistory } from '../test/checker/generate.js';
import { ROOT } from './helpers.js';
import { median, round } from './stats.js';

const HISTORIES = join(ROOT, 'test', 'fixtures', 'histories');
const TIMEOUT_MS = 60_000;

export interface CheckerFigure {
  name: string;
  ms: number;
  valid: Validity | string;
  ops: number;
  /** porcupine's time for the same kind of input, when the issue gives one. */
  reference_ms?: number;
  reference?: string;
  algorithm?: string;
}

export interface CheckerBenchResult {
  figures: CheckerFigure[];
}

/** The kv store as one object (no partitioning): the state is every key's value. */
const kvOneObject: Model<Readonly<Record<string, string>>> = {
  name: 'kv (one object)',
  functions: ['get', 'put', 'append'],
  init: () => ({}),
  step(state, input, output) {
    const key = input.key ?? '';
    const [ok, next] = kvModel.step(state[key] ?? '', input, output);
    return [ok, next === (state[key] ?? '') ? state : { ...state, [key]: next }];
  },
  readOnly: (input) => input.f === 'get',
  hash: (state) =>
    Object.keys(state)
      .sort()
      .map((k) => `${k}=${state[k]}`)
      .join('\u0000'),
};

async function time(repeats: number, body: () => Promise<{ valid: Validity; algorithm?: string }>): Promise<{ ms: number; valid: Validity; algorithm?: string }> {
  const samples: number[] = [];
  let last: { valid: Validity; algorithm?: string } = { valid: 'unknown' };
  for (let i = 0; i < repeats; i += 1) {
    const t0 = performance.now();
    last = await body();
    samples.push(performance.now() - t0);
    if (last.valid === 'unknown') break; // a timeout: once is enough
  }
  return { ms: round(median(samples)), ...last };
}

export async function runCheckerBench(quick: boolean, log: (message: string) => void): Promise<CheckerBenchResult> {
  const figures: CheckerFigure[] = [];
  const repeats = quick ? 1 : 3;

  const verdicts = readFileSync(join(HISTORIES, 'jepsen-etcd', 'VERDICTS'), 'utf8').trim().split('\n').map((l) => l.trim().split(/\s+/));
  const etcd = await Promise.all(verdicts.map(([file]) => readHistoryFile(join(HISTORIES, 'jepsen-etcd', file!), 'jepsen-log')));
  let wrong = 0;
  const etcdRun = await time(repeats + 1, async () => {
    wrong = 0;
    for (let i = 0; i < etcd.length; i += 1) {
      const r = await checkLinearizable(etcd[i]!.history, { model: 'register', timeoutMs: TIMEOUT_MS });
      if (String(r.valid) !== verdicts[i]![1]) wrong += 1;
    }
    return { valid: wrong === 0 };
  });
  figures.push({
    name: `all ${etcd.length} shared Jepsen etcd histories`,
    ms: etcdRun.ms,
    valid: wrong === 0 ? 'all verdicts as known' : `${wrong} verdicts wrong`,
    ops: etcd.reduce((s, p) => s + p.history.length / 2, 0),
    // The 102 histories take porcupine 0.4–0.8 s: the shared 52 at the fast end of that rate.
    reference_ms: round((400 * etcd.length) / 102),
    reference: 'porcupine: 102 histories in 0.4–0.8 s (pro rata, fast end)',
  });
  log(`  etcd: ${etcdRun.ms} ms`);

  const c10 = await readHistoryFile(join(HISTORIES, 'kv', 'c10-ok.txt'), 'edn');
  for (const [label, model] of [
    ['kv/c10-ok, partitioned per key', 'kv'],
    ['kv/c10-ok, as one object', kvOneObject],
  ] as const) {
    const run = await time(repeats, async () => {
      const r = await checkLinearizable(c10.history, { model: model as never, timeoutMs: TIMEOUT_MS, workers: 0 });
      return { valid: r.valid };
    });
    figures.push({ name: label, ms: run.ms, valid: run.valid, ops: c10.history.length / 2, reference: 'porcupine: 1,712-op kv/c50-ok ≈ 340 ms (not this file)' });
    log(`  ${label}: ${run.ms} ms (${String(run.valid)})`);
  }

  for (const clients of [5, 10, 20]) {
    for (const infoRate of [0, 0.01]) {
      const history: History = generateHistory({ model: 'register', seed: clients * 100 + infoRate * 1000, ops: 10_000, clients, infoRate });
      const run = await time(repeats, async () => {
        const r = await checkLinearizable(history, { model: 'register', timeoutMs: TIMEOUT_MS });
        return { valid: r.valid, algorithm: r.partitions[0]?.algorithm ?? '' };
      });
      const figure: CheckerFigure = {
        name: `register, 10,000 ops, ${clients} clients${infoRate > 0 ? ', 1 % info writes' : ''}`,
        ms: run.ms,
        valid: run.valid,
        ops: 10_000,
        algorithm: run.algorithm ?? '',
      };
      if (clients === 10 && infoRate === 0) Object.assign(figure, { reference_ms: 1_000, reference: 'porcupine ≈ 1 s' });
      if (clients === 20 && infoRate === 0) Object.assign(figure, { reference_ms: 60_000, reference: 'porcupine: no answer within 60 s' });
      figures.push(figure);
      log(`  ${figure.name}: ${run.ms} ms (${String(run.valid)}, ${run.algorithm})`);
    }
  }

  const big = generateHistory({ model: 'kv', seed: 7, ops: 100_000, clients: 20, keys: 100, infoRate: 0.01 });
  for (const workers of [0, undefined]) {
    const run = await time(quick ? 1 : 2, async () => {
      const r = await checkLinearizable(big, { model: 'kv', timeoutMs: TIMEOUT_MS, ...(workers === undefined ? {} : { workers }) });
      return { valid: r.valid };
    });
    const name = `kv, 100,000 ops over 100 keys, 20 clients${workers === 0 ? ', one thread' : ', worker threads (one per core)'}`;
    figures.push({ name, ms: run.ms, valid: run.valid, ops: 100_000 });
    log(`  ${name}: ${run.ms} ms (${String(run.valid)})`);
  }
  return { figures };
}
