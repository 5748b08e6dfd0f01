/**
 * Partitions checked in parallel on worker threads. Only built-in models go
 * to workers (a model is code: a worker rebuilds it from its name).
 */
import { Worker } from 'node:worker_threads';
import type { BuiltinModelName } from './models.js';
import type { PartitionVerdict } from './partition-check.js';
import type { PartitionProblem } from './prepare.js';
import type { SearchLimits } from './wgl.js';

export interface WorkerTask {
  model: BuiltinModelName;
  partitions: PartitionProblem[];
  deadline: number;
  memoryLimitBytes: number;
  explainMs?: number;
}

/** The bundle ships partition-worker.js next to this module; a source checkout runs the .ts through tsx. */
function startWorker(task: WorkerTask): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./partition-worker.js', here), { workerData: task });
  const entry = new URL('./partition-worker.ts', here).href;
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData: task });
}

function runWorker(task: WorkerTask, signal: AbortSignal | undefined): Promise<PartitionVerdict[]> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(task);
    const onAbort = (): void => void worker.terminate();
    signal?.addEventListener('abort', onAbort, { once: true });
    let settled = false;
    worker.once('message', (verdicts: PartitionVerdict[]) => {
      settled = true;
      resolve(verdicts);
      void worker.terminate();
    });
    worker.once('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      signal?.removeEventListener('abort', onAbort);
      if (!settled) {
        resolve(
          task.partitions.map((p) => ({
            partition: p.name,
            valid: 'unknown' as const,
            operations: p.ops.length,
            ms: 0,
            algorithm: 'search' as const,
            summary: signal?.aborted ? 'unknown: the check was cancelled' : `unknown: the checker's worker exited (code ${code})`,
          })),
        );
      }
    });
  });
}

/** Spreads partitions over `count` workers (largest first, to the least loaded) and returns verdicts in input order. */
export async function checkInWorkers(
  model: BuiltinModelName,
  partitions: PartitionProblem[],
  limits: SearchLimits,
  count: number,
  explainMs?: number,
): Promise<PartitionVerdict[]> {
  const buckets: Array<{ load: number; items: number[] }> = Array.from({ length: count }, () => ({ load: 0, items: [] }));
  const order = partitions.map((_, i) => i).sort((a, b) => partitions[b]!.ops.length - partitions[a]!.ops.length);
  for (const i of order) {
    const bucket = buckets.reduce((min, b) => (b.load < min.load ? b : min));
    bucket.items.push(i);
    bucket.load += partitions[i]!.ops.length;
  }
  const results = await Promise.all(
    buckets
      .filter((b) => b.items.length > 0)
      .map(async (b) => {
        const verdicts = await runWorker(
          { model, partitions: b.items.map((i) => partitions[i]!), deadline: limits.deadline, memoryLimitBytes: Math.floor(limits.memoryLimitBytes / count),
            ...(explainMs === undefined ? {} : { explainMs }) },
          limits.signal,
        );
        return b.items.map((i, k) => [i, verdicts[k]!] as const);
      }),
  );
  const verdicts = new Array<PartitionVerdict>(partitions.length);
  for (const pairs of results) for (const [i, v] of pairs) verdicts[i] = v;
  return verdicts;
}
