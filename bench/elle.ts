/**
 * The `elle` bench: the list-append checker end to end (read history.jsonl,
 * parse, infer dependencies, graph, cycle search, explanations) on synthetic
 * strict-serializable histories of 10k, 100k and 1M transactions, each
 * checked in a fresh process for its own peak RSS. Histories are generated
 * once into a root-only scratch directory and reused across runs.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './exec.js';
import { ROOT } from './helpers.js';

export interface ElleSize {
  transactions: number;
  valid: boolean | 'unknown';
  edges: number;
  parse_ms: number;
  /** CPU time (user + system) of the parse; `cpu_ms` is the whole check's (wall time suffers on a shared machine). */
  parse_cpu_ms: number;
  total_ms: number;
  cpu_ms: number;
  peak_rss_mb: number;
  txns_per_s: number;
}

export type ElleResult = Record<string, ElleSize>;

const CACHE = join(ROOT, '.cache', 'bench-elle');

export async function runElle(sizes: readonly number[], log: (m: string) => void): Promise<ElleResult> {
  mkdirSync(CACHE, { recursive: true, mode: 0o700 });
  const child = (args: string[]): Promise<string> =>
    run([process.execPath, '--max-old-space-size=4096', '--import', 'tsx', join(ROOT, 'bench', 'elle-child.ts'), ...args], { timeoutMs: 900_000 }).then((r) => r.stdout);
  const result: ElleResult = {};
  for (const n of sizes) {
    const file = join(CACHE, `list-append-${n}.jsonl`);
    if (!existsSync(file)) {
      log(`  generating ${n.toLocaleString('en-US')} transactions`);
      await child(['generate', String(n), file]);
    }
    const line = (await child(['check', file])).trim().split('\n').pop()!;
    const size = JSON.parse(line) as Omit<ElleSize, 'txns_per_s'>;
    result[String(n)] = { ...size, txns_per_s: Math.round(n / (size.total_ms / 1000)) };
    log(`  ${n.toLocaleString('en-US')}: ${size.total_ms} ms wall, ${size.cpu_ms} ms CPU (parse ${size.parse_ms} ms wall, ${size.parse_cpu_ms} ms CPU), peak RSS ${size.peak_rss_mb} MB, valid ${String(size.valid)}`);
  }
  return result;
}
