/**
 * Child process of the memory bench: a fresh runner whose peak RSS is only
 * what a 100-node run costs. Prints {"idle_mb":…,"peak_mb_100_nodes":…}:
 * VmHWM (peak resident set, /proc/self/status) after the imports, and inside
 * the test function of a 100-node network-only run.
 *
 * usage: node --import tsx bench/memory-child.ts [nodes]
 */
import { readFileSync } from 'node:fs';
import { Test } from '../lib/index.js';
import { BENCH_ARTIFACTS, networkOnlyCluster, quietLogger } from './clusters.js';

function vmHwmMb(): number {
  const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? Number.NaN) / 1024;
}

const nodes = Number(process.argv[2] ?? 100);
const idle = vmHwmMb();
let peak = 0;
let rss = 0;
await new Test('bench_memory', networkOnlyCluster(nodes, 3), { logger: quietLogger(), artifactsDir: BENCH_ARTIFACTS }).run(() => {
  peak = vmHwmMb();
  rss = process.memoryUsage().rss / 1024 / 1024;
});
process.stdout.write(`${JSON.stringify({ idle_mb: idle, peak_mb: peak, rss_mb: rss, nodes })}\n`);
