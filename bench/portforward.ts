/**
 * Port forwarding cost: a 1-node network-only cluster with a sink/echo server
 * (bench/pf-sink.ts) in the node's namespace. The same client process
 * (bench/pf-client.ts) measures bulk throughput and 64-byte round trips
 * (a) through t.network.forwardPort (127.0.0.1 on the host → the runner's
 * namespace → node) and (b) directly from the runner's namespace to the node.
 */
import { join } from 'node:path';
import { Test } from '../lib/index.js';
import { names } from '../lib/runtime/naming.js';
import { networkOnlyCluster, quietLogger } from './clusters.js';
import { Helper, run } from './exec.js';
import { ROOT } from './helpers.js';
import { median, round } from './stats.js';

export interface PortForwardResult {
  throughput_mb_s: number;
  direct_mb_s: number;
  added_latency_us: number;
  forward_rtt_p50_us: number;
  direct_rtt_p50_us: number;
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

export async function runPortForward(options: { mib: number; trials: number; rounds: number }): Promise<PortForwardResult> {
  const clientArgs = [String(options.mib), String(options.trials), String(options.rounds)];
  let forward: ClientOutput | undefined;
  let direct: ClientOutput | undefined;
  await new Test('bench_portforward', networkOnlyCluster(1, 1), { logger: quietLogger() }).run(async (t) => {
    const sink = new Helper(['ip', 'netns', 'exec', names.nodeNetns(t.id, 'n1'), ...node('pf-sink.ts'), String(PORT)]);
    try {
      await sink.waitForLine((l) => l === 'ready', 30_000);
      const fw = t.network.forwardPort('n1', PORT);
      await fw.listen(t.signal);
      forward = JSON.parse((await run([...node('pf-client.ts'), '127.0.0.1', String(fw.port()), ...clientArgs])).stdout) as ClientOutput;
      const runnerNetns = names.runnerNetns(t.id);
      direct = JSON.parse(
        (await run(['ip', 'netns', 'exec', runnerNetns, ...node('pf-client.ts'), t.network.ipOf('n1'), String(PORT), ...clientArgs])).stdout,
      ) as ClientOutput;
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
    mib_per_trial: options.mib,
    trials: options.trials,
    rounds: options.rounds,
  };
}
