/**
 * Observation helpers of the fault suites: a traffic agent (net-agent.mjs) in
 * each node's namespace and in the runner's, started with `ip netns exec`
 * (tests may use tools to observe; lib/ never does). reachability() probes
 * every ordered pair with a TCP connect in parallel, so a whole matrix takes
 * one probe timeout, and returns the set of pairs that could NOT connect.
 * A TCP connect needs both directions (SYN there, SYN-ACK back), so a one-way
 * cut a→b shows as a→b and b→a failing; UDP counts tell the directions apart.
 */
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { names } from '../../lib/host/names.js';
import type { TestHandle } from '../../lib/index.js';

const AGENT = fileURLToPath(new URL('./net-agent.mjs', import.meta.url));
export const RUNNER = '_runner';
export const HOST = '_host';

interface Answer {
  id: number;
  ok: boolean;
  results?: boolean[];
  count?: number;
  overflow?: number;
  rate?: number;
  stats?: LatencyStats;
  values?: number[];
}

/** Latencies in ms (n = how many were measured; lost: round trips without an answer). */
export interface LatencyStats {
  n: number;
  min: number;
  p50: number;
  p99: number;
  max: number;
  lost?: number;
}

export class Agent {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #pending = new Map<number, (answer: Answer) => void>();
  #next = 0;

  /** In `netns`, or in the host namespace bound to `ip` when netns is undefined (direct reach). */
  constructor(
    readonly name: string,
    readonly ip: string,
    netns: string | undefined,
  ) {
    this.#child =
      netns === undefined
        ? spawn(process.execPath, [AGENT], { env: { ...process.env, AGENT_BIND: ip } })
        : spawn('ip', ['netns', 'exec', netns, process.execPath, AGENT]);
    this.#child.stderr.on('data', (d: Buffer) => process.stderr.write(`[agent ${name}] ${d.toString()}`));
    createInterface({ input: this.#child.stdout }).on('line', (line) => {
      const answer = JSON.parse(line) as Answer;
      this.#pending.get(answer.id)?.(answer);
      this.#pending.delete(answer.id);
    });
  }

  request(cmd: string, args: Record<string, unknown> = {}): Promise<Answer> {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#child.stdin.write(`${JSON.stringify({ id, cmd, ...args })}\n`);
    });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#child.exitCode !== null || this.#child.signalCode !== null) return resolve();
      this.#child.once('exit', () => resolve());
      this.#child.stdin.end();
    });
  }
}

function runnerIp(runId: string): string {
  const out = execFileSync('ip', ['-n', names.runnerNetns(runId), '-4', '-o', 'addr', 'show'], { encoding: 'utf8' });
  const ips = [...out.matchAll(/inet (\d+\.\d+\.\d+\.\d+)\//g)].map((m) => m[1]!).filter((ip) => !ip.startsWith('127.'));
  if (ips.length !== 1) throw new Error(`cannot find the runner's address in ${out}`);
  return ips[0]!;
}

export class Agents {
  readonly byName = new Map<string, Agent>();

  /** With `host`: also an agent in the host namespace on direct reach's address, named HOST. */
  static async start(t: TestHandle, nodes: readonly string[], options: { host?: boolean } = {}): Promise<Agents> {
    const agents = new Agents();
    agents.byName.set(RUNNER, new Agent(RUNNER, runnerIp(t.id), names.runnerNetns(t.id)));
    if (options.host) {
      const direct = t.network.directReach();
      if (!direct) throw new Error("a host agent needs reach: 'direct'");
      agents.byName.set(HOST, new Agent(HOST, direct.address, undefined));
    }
    for (const node of nodes) agents.byName.set(node, new Agent(node, t.network.ipOf(node), names.nodeNetns(t.id, node)));
    await Promise.all([...agents.byName.values()].map((a) => a.request('ready')));
    // Servers listen once 'ready' answered; give a slow machine a moment more.
    await new Promise((resolve) => setTimeout(resolve, 100));
    return agents;
  }

  get(name: string): Agent {
    const agent = this.byName.get(name);
    if (!agent) throw new Error(`no agent ${name}`);
    return agent;
  }

  /** "a>b" for every ordered pair (runner included) where a could not connect to b. */
  async unreachable(timeoutMs = 2000): Promise<string[]> {
    const all = [...this.byName.values()];
    const rows = await Promise.all(
      all.map(async (from) => {
        const targets = all.filter((to) => to !== from);
        const { results } = await from.request('reach', { hosts: targets.map((to) => to.ip), timeoutMs });
        return targets.filter((_, i) => !results![i]).map((to) => `${from.name}>${to.name}`);
      }),
    );
    return rows.flat().sort();
  }

  /**
   * Datagrams of `count` sent from → to that got through the network: received,
   * plus those the receiver's kernel dropped for a full socket buffer (only
   * possible when the machine is busy; they passed the XDP program).
   */
  async udp(from: string, to: string, count: number, size?: number, pacing?: { burst: number; gapMs: number }): Promise<number> {
    const sender = this.get(from);
    const receiver = this.get(to);
    await receiver.request('udpReceived', { from: sender.ip }); // reset
    await sender.request('udpSend', { host: receiver.ip, count, ...(size ? { size } : {}), ...pacing });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const answer = await receiver.request('udpReceived', { from: sender.ip });
    return answer.count! + answer.overflow!;
  }

  /**
   * TCP goodput from → to in bytes/s: one stream as fast as TCP goes, measured at the
   * receiver over `ms` after `warmupMs` (slow start and the first queue fill excluded).
   */
  async tcpRate(from: string, to: string, ms = 4_000, warmupMs = 1_500): Promise<number> {
    const sender = this.get(from);
    const receiver = this.get(to);
    const [, measured] = await Promise.all([
      sender.request('tcpSend', { host: receiver.ip, ms: warmupMs + ms + 300 }),
      receiver.request('tcpRate', { from: sender.ip, warmupMs, ms }),
    ]);
    return measured.rate!;
  }

  /** One-way latencies from → to (ms) of `count` stamped datagrams, one per `intervalMs`. */
  async oneWay(from: string, to: string, count = 200, intervalMs = 2): Promise<LatencyStats & { values: number[] }> {
    const sender = this.get(from);
    const receiver = this.get(to);
    await receiver.request('udpLatency', { from: sender.ip }); // reset
    await sender.request('udpStamped', { host: receiver.ip, count, intervalMs });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const answer = await receiver.request('udpLatency', { from: sender.ip });
    return { ...answer.stats!, values: answer.values! };
  }

  /** UDP round trips from → to → from (ms): one at a time, or one every `intervalMs` (pipelined). */
  async udpRtt(from: string, to: string, count = 100, intervalMs?: number): Promise<LatencyStats & { values: number[] }> {
    const answer = await this.get(from).request('udpRtt', { host: this.get(to).ip, count, ...(intervalMs === undefined ? {} : { intervalMs }) });
    return { ...answer.stats!, values: answer.values! };
  }

  /** TCP handshake times from → to (ms): SYN there, SYN-ACK back. */
  async tcpConnectTimes(from: string, to: string, count = 20): Promise<LatencyStats> {
    return (await this.get(from).request('tcpConnectTimes', { host: this.get(to).ip, count })).stats!;
  }

  stop(): Promise<void[]> {
    return Promise.all([...this.byName.values()].map((a) => a.stop()));
  }
}

/** Both directions of every pair between the groups, as unreachable() writes them. */
export function pairsBetween(a: readonly string[], b: readonly string[]): string[] {
  const out: string[] = [];
  for (const x of a) for (const y of b) out.push(`${x}>${y}`, `${y}>${x}`);
  return [...new Set(out)].sort();
}
