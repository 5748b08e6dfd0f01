/**
 * Port forwarding cost: a 1-node network-only cluster with a sink/echo server
 * (bench/pf-sink.ts) in the node's namespace. The same client process
 * (bench/pf-client.ts) measures bulk throughput and 64-byte round trips
 * (a) through t.network.forwardPort (127.0.0.1 on the host → the runner's
 * namespace → node) and (b) directly from the runner's namespace to the node.
 */
import { join } from 'node:path';
import { Test } from '../lib/index.js';
import { names } from '../lib/host/names.js';
import { BENCH_ARTIFACTS, networkOnlyCluster, quietLogger } from './clusters.js';
import { Helper, run } from './exec.js';
import { ROOT } from './helpers.js';
import { median, round } from './stats.js';

export interface PortForwardResult {
  throughput_mb_s: number;
  direct_mb_s: number;
  added_latency_us: number;
  forward_rtt_p50_us: number;
  direct_rtt_p50_us: number;
  /**
   * CPU of the runner process (where the forwarder pipes in JS) while the
   * forwarded client ran, as % of one core: near 100 means the forwarder's
   * single JS thread is the limit.
   */
  forwarder_cpu_pct: number;
  mib_per_trial: number;
  trials: number;
  rounds: number;
}

const PORT = 39_998;
const node = (script: string) => [process.execPath, '--import', 'tsx', join(ROOT, 'bench', script)];

interface ClientOutput {
  mb_s: number[];
  rtt_us: number[];
}

/** The client's result: its last line that is a JSON object. */
function lastJson(stdout: string): ClientOutput {
  const line = stdout.split('\n').filter((l) => l.startsWith('{')).pop();
  if (!line) throw new Error(`pf-client printed no result: ${stdout.slice(0, 200)}`);
  return JSON.parse(line) as ClientOutput;
}

export async function runPortForward(options: { mib: number; trials: number; rounds: number }): Promise<PortForwardResult> {
  const clientArgs = [String(options.mib), String(options.trials), String(options.rounds)];
  let forward: ClientOutput | undefined;
  let direct: ClientOutput | undefined;
  let forwarderCpuPct = Number.NaN;
  await new Test('bench_portforward', networkOnlyCluster(1, 1), { logger: quietLogger(), artifactsDir: BENCH_ARTIFACTS }).run(async (t) => {
    const sink = new Helper(['ip', 'netns', 'exec', names.nodeNetns(t.id, 'n1'), ...node('pf-sink.ts'), String(PORT)]);
    try {
      await sink.waitForLine((l) => l === 'ready', 30_000);
      const fw = t.network.forwardPort('n1', PORT);
      await fw.listen(t.signal);
      const client = new Helper([...node('pf-client.ts'), '127.0.0.1', String(fw.port()), ...clientArgs]);
      try {
        await client.waitForLine((l) => l === 'bulk start', 120_000);
        const cpu0 = process.cpuUsage();
        const wall0 = performance.now();
        await client.waitForLine((l) => l === 'bulk end', 300_000);
        const cpu = process.cpuUsage(cpu0);
        forwarderCpuPct = ((cpu.user + cpu.system) / 1000 / (performance.now() - wall0)) * 100;
        if ((await client.exited) !== 0) throw new Error(`pf-client (forwarded) failed: ${client.stderr}`);
        forward = lastJson(client.lines.join('\n'));
      } finally {
        await client.stop();
      }
      const runnerNetns = names.runnerNetns(t.id);
      direct = lastJson((await run(['ip', 'netns', 'exec', runnerNetns, ...node('pf-client.ts'), t.network.ipOf('n1'), String(PORT), ...clientArgs])).stdout);
    } finally {
      await sink.stop();
    }
  });
  const fwRtt = median(forward!.rtt_us);
  const directRtt = median(direct!.rtt_us);
  return {
    throughput_mb_s: round(median(forward!.mb_s)),
    direct_mb_s: round(median(direct!.mb_s)),
    added_latency_us: round(fwRtt - directRtt),
    forward_rtt_p50_us: round(fwRtt),
    direct_rtt_p50_us: round(directRtt),
    forwarder_cpu_pct: round(forwarderCpuPct),
    mib_per_trial: options.mib,
    trials: options.trials,
    rounds: options.rounds,
  };
}
