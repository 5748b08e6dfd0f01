/**
 * Fault toggle latency as a test sees it: process.hrtime.bigint() around
 * `await iso.apply()` and `await iso.heal()` of an isolateAZ handle, through
 * the public API (Test.run on a network-only cluster, so the commit goes to the
 * run's real XDP maps). Warm-up samples are discarded.
 */
import type { Logger } from 'pino';
import { Test } from '../lib/index.js';
import { BENCH_ARTIFACTS, infoToDevNullLogger, networkOnlyCluster, quietLogger } from './clusters.js';
import { round, summarize, usBetween } from './stats.js';

export interface ToggleResult {
  apply_p50_us: number;
  apply_p99_us: number;
  heal_p50_us: number;
  heal_p99_us: number;
  apply_max_us: number;
  heal_max_us: number;
  samples: number;
  /** Node indexes cut by the isolation (pairs written per commit). */
  cut_pairs: number;
  /** Test.run() start to test function start (network provisioning through the runtime). */
  ready_ms: number;
}

export interface ToggleOptions {
  nodes: number;
  samples: number;
  warmup: number;
  logger?: Logger;
}

export async function runToggle(options: ToggleOptions): Promise<ToggleResult> {
  const { nodes, samples, warmup } = options;
  const azs = 3;
  const apply: number[] = [];
  const heal: number[] = [];
  const isolated = Math.ceil(nodes / azs); // az1 gets the extra node of a round-robin spread
  const test = new Test(`bench_toggle_${nodes}`, networkOnlyCluster(nodes, azs), { logger: options.logger ?? quietLogger(), artifactsDir: BENCH_ARTIFACTS });
  const result = await test.run(async (t) => {
    const iso = t.network.partition.isolateAZ('bench', 'az1');
    for (let i = 0; i < warmup + samples; i++) {
      const t0 = process.hrtime.bigint();
      await iso.apply();
      const t1 = process.hrtime.bigint();
      await iso.heal();
      const t2 = process.hrtime.bigint();
      if (i >= warmup) {
        apply.push(usBetween(t0, t1));
        heal.push(usBetween(t1, t2));
      }
    }
  });
  const a = summarize(apply);
  const h = summarize(heal);
  return {
    apply_p50_us: round(a.p50),
    apply_p99_us: round(a.p99),
    heal_p50_us: round(h.p50),
    heal_p99_us: round(h.p99),
    apply_max_us: round(a.max),
    heal_max_us: round(h.max),
    samples,
    // Both directions between each isolated node and every other index (runner included).
    cut_pairs: 2 * isolated * (nodes + 1 - isolated),
    ready_ms: result.readyMs,
  };
}

/** The 3-node toggle with the library's default log level (info) going to /dev/null. */
export async function runToggleWithInfoLogging(samples: number, warmup: number): Promise<{ apply_p50_us: number; heal_p50_us: number }> {
  const r = await runToggle({ nodes: 3, samples, warmup, logger: infoToDevNullLogger() });
  return { apply_p50_us: r.apply_p50_us, heal_p50_us: r.heal_p50_us };
}
