/**
 * npm run bench: every benchmark in one run on this machine, then a table
 * (targets and ratios) on stdout and bench/results/latest.json.
 *
 *   npm run bench [-- --only toggle,atomicity] [--quick]
 *
 * Needs root (namespaces, XDP) and containerd (started when not running).
 * Each bench cleans up after itself, also on failure; a failed bench is
 * reported and the others still run. Ctrl-C sweeps the bench's own objects.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { newRunId } from '../lib/host/names.js';
import { runAtomicity } from './atomicity.js';
import { runBaselines } from './baselines.js';
import { runCheckerBench } from './checker.js';
import { runCluster } from './cluster.js';
import { BENCH_ARTIFACTS } from './clusters.js';
import { run } from './exec.js';
import { buildHelpers, FAULT_BPF_OBJECT, ROOT } from './helpers.js';
import { runElle } from './elle.js';
import { runMemory } from './memory.js';
import { runPortForward } from './portforward.js';
import { runReportBench } from './report.js';
import { provisionOnce, provisionWithIp, UP_CONCURRENCY } from './provision.js';
import type { BenchResults, ProvisionResults } from './results.js';
import { sweepRun } from './scratch.js';
import { runShaping } from './shaping.js';
import { median, round } from './stats.js';
import { renderTable } from './table.js';
import { runPacketPath } from './packet-path.js';
import { runToggleBreakdown } from './toggle-breakdown.js';
import { runToggle, runToggleWithInfoLogging } from './toggle.js';
import { runWorkloadBench } from './workload.js';

const ALL = ['baselines', 'toggle', 'atomicity', 'provision', 'cluster', 'portforward', 'memory', 'report', 'workload', 'shaping', 'checker', 'elle'] as const;
type BenchName = (typeof ALL)[number];

const program = new Command()
  .name('bench')
  .option('--only <names>', `comma-separated subset of: ${ALL.join(', ')}`)
  .option('--quick', 'fewer samples (smoke run; figures are noisier)')
  .parse();
const opts = program.opts<{ only?: string; quick?: boolean }>();
const selected = new Set<BenchName>((opts.only ? opts.only.split(',') : ALL) as BenchName[]);
for (const name of selected) if (!ALL.includes(name)) program.error(`unknown bench "${name}"`);
const quick = Boolean(opts.quick);

function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

function cpuModel(): string {
  return cpus()[0]?.model.trim() ?? 'unknown CPU';
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    log('needs root (network namespaces, XDP); run it as root');
    return 1;
  }
  const started = performance.now();
  const results: BenchResults = {
    machine: { kernel: release(), cpus: cpus().length, node: process.version, cpu_model: cpuModel(), loadavg_start: round(loadavg()[0]!), loadavg_end: 0 },
    started_at: new Date().toISOString(),
    duration_s: 0,
    toggle: {},
    errors: [],
  };
  // Objects the bench makes itself (baselines, provisioning) carry this id; runs through
  // Test.run() own and remove theirs.
  const runId = newRunId();
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: removing the bench's objects (run id ${runId})`);
    void sweepRun(runId).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  await run(['bash', join(ROOT, 'scripts', 'start-containerd.sh')]);
  rmSync(BENCH_ARTIFACTS, { recursive: true, force: true });
  log('compiling C helpers');
  const helpers = await buildHelpers();

  const step = async (bench: BenchName, what: string, body: () => Promise<void>) => {
    if (!selected.has(bench)) return;
    log(what);
    const t0 = performance.now();
    try {
      await body();
    } catch (error) {
      results.errors.push({ bench: `${bench}: ${what}`, error: error instanceof Error ? error.message : String(error) });
      log(`${what} FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
    log(`${what}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  };

  const toggleSamples = quick ? 1_000 : 5_000;
  await step('toggle', 'toggle, 3 nodes', async () => {
    results.toggle.nodes3 = await runToggle({ nodes: 3, samples: toggleSamples, warmup: 500 });
  });
  await step('toggle', 'toggle, 100 nodes', async () => {
    results.toggle.nodes100 = await runToggle({ nodes: 100, samples: quick ? 1_000 : 2_000, warmup: 200 });
  });
  await step('toggle', 'toggle, 3 nodes, info logging to /dev/null', async () => {
    results.toggle.nodes3_info_logging = await runToggleWithInfoLogging(toggleSamples, 500);
  });
  await step('toggle', 'toggle, 3 nodes, layer by layer', async () => {
    results.toggle.breakdown = await runToggleBreakdown(toggleSamples, 500);
  });
  await step('toggle', 'packet path (BPF_PROG_TEST_RUN)', async () => {
    results.toggle.packet_path = await runPacketPath({ repeat: quick ? 100_000 : 1_000_000, rounds: quick ? 3 : 7 });
  });
  await step('baselines', 'baselines', async () => {
    results.baselines = await runBaselines(runId, helpers, quick ? 7 : 15);
  });
  await step('atomicity', 'atomicity', async () => {
    results.atomicity = await runAtomicity(helpers, { cycles: 10_000, holdUs: 100, intervalUs: 20 });
  });
  await step('provision', 'provisioning', async () => {
    const provision: ProvisionResults = {
      per_node_ms: {},
      teardown_per_node_ms: {},
      exec_ip_per_node_ms: Number.NaN,
      exec_ip_nodes: 10,
      repetitions: {},
      up_cpu_per_node_ms: {},
      per_node_sequential_ms: {},
      up_concurrency: UP_CONCURRENCY,
    };
    results.provision = provision;
    const repetitions: Record<number, number> = quick ? { 1: 5, 10: 2, 100: 1, 1000: 1 } : { 1: 20, 10: 5, 100: 3, 1000: 1 };
    for (const nodes of [1, 10, 100, 1000]) {
      const up: number[] = [];
      const down: number[] = [];
      const cpu: number[] = [];
      for (let i = 0; i < repetitions[nodes]!; i++) {
        const sample = await provisionOnce(newRunId(), nodes);
        up.push(sample.up_per_node_ms);
        down.push(sample.down_per_node_ms);
        cpu.push(sample.up_cpu_per_node_ms);
      }
      provision.per_node_ms[String(nodes)] = round(median(up));
      provision.teardown_per_node_ms[String(nodes)] = round(median(down));
      provision.repetitions[String(nodes)] = repetitions[nodes]!;
      provision.up_cpu_per_node_ms[String(nodes)] = round(median(cpu));
      log(`  ${nodes} node(s): ${provision.per_node_ms[String(nodes)]} ms/node up, ${provision.teardown_per_node_ms[String(nodes)]} ms/node down`);
    }
    provision.per_node_sequential_ms['100'] = (await provisionOnce(newRunId(), 100, 1)).up_per_node_ms;
    const xdpObject = existsSync(FAULT_BPF_OBJECT) ? FAULT_BPF_OBJECT : helpers.xdpPassObject;
    provision.exec_ip_per_node_ms = await provisionWithIp(runId, provision.exec_ip_nodes, xdpObject);
  });
  await step('cluster', 'cluster (3 × etcd)', async () => {
    results.cluster = await runCluster();
  });
  await step('portforward', 'port forward', async () => {
    results.portforward = await runPortForward(quick ? { mib: 64, trials: 2, rounds: 500 } : { mib: 256, trials: 3, rounds: 2_000 });
  });
  await step('memory', 'memory (100 nodes, fresh process)', async () => {
    results.memory = await runMemory(100);
  });
  await step('report', 'run report (100k and 1M operations in headless chromium)', async () => {
    results.report = await runReportBench({ samples: quick ? 1 : 3, million: true }, log);
  });

  await step('workload', 'workload runner (recording, dispatch, nemesis timing, memory)', async () => {
    results.workload = await runWorkloadBench(quick);
  });
  await step('shaping', 'shaping (bandwidth 1/10/100 Mbit/s over TCP, delay accuracy/jitter/throughput, slow-link apply/heal)', async () => {
    results.shaping = await runShaping(
      quick ? { windowS: 4, samples: 1_000, probes: 1_000, throughputS: 2 } : { windowS: 8, samples: 5_000, probes: 3_000, throughputS: 4 },
    );
  });

  await step('checker', 'linearizability checker (vs porcupine)', async () => {
    results.checker = await runCheckerBench(quick, log);
  });
  await step('elle', 'elle (list-append checker, end to end)', async () => {
    results.elle = await runElle(quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000], log);
  });

  const leftovers = await sweepRun(runId);
  if (leftovers.length) results.errors.push({ bench: 'cleanup', error: `had to remove ${leftovers.join(', ')}` });
  results.machine.loadavg_end = round(loadavg()[0]!);
  results.duration_s = Math.round((performance.now() - started) / 100) / 10;

  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  // A partial run (--only) must not replace the last complete set of figures.
  const file = join(dir, selected.size === ALL.length ? 'latest.json' : 'partial.json');
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${renderTable(results)}\n\nresults: ${file}\n`);
  return results.errors.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
