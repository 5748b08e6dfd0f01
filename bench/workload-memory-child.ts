/**
 * Child of the workload bench: the memory a history of N operations (invoke +
 * ok each, as the runner records them) keeps alive. Prints
 * {"heap_mb":…,"rss_mb":…}: growth of V8 heap + external memory after a full
 * GC, and of RSS.
 *
 * usage: node --expose-gc --import tsx bench/workload-memory-child.ts [ops]
 */
import { HistoryRecorder } from '../lib/history/recorder.js';

const ops = Number(process.argv[2] ?? 100_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const used = (): { heap: number; rss: number } => {
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed + m.external, rss: m.rss };
};
const before = used();
const recorder = new HistoryRecorder(); // memory only: the in-memory history is what grows
for (let i = 0; i < ops; i++) {
  const p = i % 100;
  recorder.invoke(p, i % 3 === 0 ? 'read' : 'write', i % 3 === 0 ? null : i % 5, { node: `n${(p % 5) + 1}`, key: `r${i % 9}` });
  recorder.ok(p, i % 3 === 0 ? i % 5 : undefined);
}
const after = used();
if (recorder.history.length !== ops * 2) throw new Error('history incomplete');
const mb = (bytes: number): number => bytes / 1024 / 1024;
process.stdout.write(`${JSON.stringify({ ops, heap_mb: mb(after.heap - before.heap) * (100_000 / ops), rss_mb: mb(after.rss - before.rss) * (100_000 / ops) })}\n`);
