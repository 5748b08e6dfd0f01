/**
 * One step of the `elle` bench in a fresh process, so its peak RSS is its own:
 *
 *   elle-child.ts generate <transactions> <file>   synthetic list-append history as history.jsonl
 *   elle-child.ts check <file>                     read + parse + check; prints one JSON line
 */
import { writeFileSync } from 'node:fs';
import { checkListAppendColumns } from '../lib/checker/elle/index.js';
import { toJsonl } from '../lib/history/jsonl.js';
import { readJsonlColumnsFile } from '../lib/history/jsonl-columns.js';
import { simulateListAppend } from '../test/helpers/list-append-sim.js';

async function main(): Promise<void> {
  const [mode, a, b] = process.argv.slice(2);
  if (mode === 'generate') {
    // Jepsen-like shape: 10 clients, 5 active keys of up to 32 appends, 1–4 micro-operations.
    const history = simulateListAppend({ seed: 1, transactions: Number(a), concurrency: 10, generator: { activeKeys: 5, maxWritesPerKey: 32, maxTxnLength: 4 } });
    writeFileSync(b!, toJsonl(history));
    return;
  }
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  // The history in columns (lib/history/jsonl-columns.ts): the form for millions of events.
  const events = await readJsonlColumnsFile(a!);
  const parsedMs = performance.now() - started;
  const parseCpu = process.cpuUsage(cpu0);
  const result = checkListAppendColumns(events);
  const totalMs = performance.now() - started;
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(
    `${JSON.stringify({
      transactions: result.stats.transactions,
      valid: result.valid,
      edges: result.stats.edges,
      parse_ms: Math.round(parsedMs),
      parse_cpu_ms: Math.round((parseCpu.user + parseCpu.system) / 1000),
      total_ms: Math.round(totalMs),
      cpu_ms: Math.round((cpu.user + cpu.system) / 1000),
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    })}\n`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
