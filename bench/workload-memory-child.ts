/**
 * Child of the workload bench: the memory a history keeps alive (invoke + ok
 * per operation, as the runner records them). Prints
 * {"heap_mb":…,"rss_mb":…,"rss_first_mb":…}, each per 100k operations:
 * - heap_mb: growth of V8 heap + external memory (after a full GC) holding the
 *   first 100k operations — what the history itself holds;
 * - rss_mb: RSS growth from 100k to 300k operations held, halved — what the OS
 *   sees each further 100k cost;
 * - rss_first_mb: RSS growth of the first 100k, which also counts V8 growing its
 *   young generation (a one-off that does not scale with the history).
 *
 * usage: node --expose-gc --import tsx bench/workload-memory-child.ts
 */
import { HistoryRecorder } from '../lib/history/recorder.js';

const STEP = 100_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const used = (): { heap: number; rss: number } => {
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed + m.external, rss: m.rss };
};
// Memory only: the in-memory history is what grows. The run "started" 10 s ago, so every time is
// past 2^31 ns and is stored as a heap number, as in any run longer than two seconds.
const recorder = new HistoryRecorder({ startedMono: process.hrtime.bigint() - 10_000_000_000n });
// As the runner records them: each thread's node is one string; keys are made per operation.
const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];
let done = 0;
function record(ops: number): void {
  for (const end = done + ops; done < end; done++) {
    const i = done;
    const p = i % 100;
    recorder.invoke(p, i % 3 === 0 ? 'read' : 'write', i % 3 === 0 ? null : i % 5, { node: NODES[p % 5]!, key: `r${i % 9}` });
    recorder.ok(p, i % 3 === 0 ? i % 5 : undefined);
  }
}
const before = used();
record(STEP);
const first = used();
record(2 * STEP);
const third = used();
if (recorder.history.length !== 3 * STEP * 2) throw new Error('history incomplete');
const mb = (bytes: number): number => bytes / 1024 / 1024;
process.stdout.write(
  `${JSON.stringify({ ops: 3 * STEP, heap_mb: mb(first.heap - before.heap), rss_mb: mb(third.rss - first.rss) / 2, rss_first_mb: mb(first.rss - before.rss) })}\n`,
);
