/**
 * Cluster specs and the logger the benches run with. Network-only clusters
 * (nodes without services) exercise the real `Test.run()` path — network
 * manager, fault registry, isolateAZ handles — without container start-up.
 */
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { spec } from '../lib/index.js';
import type { ClusterSpec } from '../lib/spec/cluster.js';
import { BUILD_DIR } from './helpers.js';

/**
 * Where the bench's runs write their artifacts (faults.jsonl, logs): under
 * build/ (git-ignored), emptied at the start of each `npm run bench`, so
 * repeated runs do not pile up in the project's .pakostii/.
 */
export const BENCH_ARTIFACTS = join(BUILD_DIR, 'artifacts');

/** `count` nodes n1..n<count>, spread round-robin over `azs` AZs az1..az<azs>. */
export function networkOnlyCluster(count: number, azs: number): ClusterSpec {
  const cluster = spec.newCluster();
  for (let i = 1; i <= count; i++) cluster.addNode(spec.newNode(`n${i}`).withAZ(`az${((i - 1) % azs) + 1}`));
  return cluster;
}

/**
 * Errors only, on stderr. Fault apply/heal log an info line each; timing them
 * with a logger that drops info measures the fault path, not the log sink
 * (toggle.ts also reports one figure with info logging to /dev/null).
 */
export function quietLogger(): Logger {
  return pino({ level: 'error', base: undefined }, pino.destination({ dest: 2, sync: true }));
}

/** Info level (the library's default) written to /dev/null: what apply/heal cost with logging on. */
export function infoToDevNullLogger(): Logger {
  return pino({ level: 'info', base: undefined }, pino.destination({ dest: '/dev/null', sync: true }));
}
