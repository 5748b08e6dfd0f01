/**
 * Peak RSS of a runner process with 100 nodes provisioned, measured in a
 * fresh child (bench/memory-child.ts) so the other benches' garbage does not
 * count.
 */
import { join } from 'node:path';
import { run } from './exec.js';
import { ROOT } from './helpers.js';
import { round } from './stats.js';

export interface MemoryResult {
  rss_mb_100_nodes: number;
  /** Same process before provisioning (Node + tsx + the library loaded). */
  rss_mb_idle: number;
}

export async function runMemory(nodes = 100): Promise<MemoryResult> {
  const out = await run([process.execPath, '--import', 'tsx', join(ROOT, 'bench', 'memory-child.ts'), String(nodes)]);
  const r = JSON.parse(out.stdout.trim().split('\n').pop()!) as { idle_mb: number; peak_mb: number };
  return { rss_mb_100_nodes: round(r.peak_mb), rss_mb_idle: round(r.idle_mb) };
}
