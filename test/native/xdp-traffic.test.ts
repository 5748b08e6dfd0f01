/**
 * Real traffic through the fault program: three namespaces on a private bridge
 * (index 0 plays the runner, 1 = A, 2 = B), the program attached to every eth0
 * with FaultEngine.attach (an addon-owned thread joined to the namespace). TCP
 * and UDP flows stop when a policy is committed and resume when it is healed.
 * The network is set up with `ip` here, in the test only (lib never spawns it).
 */
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NativeError } from '../../lib/errors.js';
import { FaultEngine } from '../../lib/native/fault-engine.js';
import type { PolicyMatrix } from '../../lib/native/policy-matrix.js';
import { names, newRunId } from '../../lib/host/names.js';

const AGENT = fileURLToPath(new URL('./xdp-traffic-agent.mjs', import.meta.url));
const runId = newRunId();
const bridge = names.bridge(runId);
const members = [0, 1, 2].map((index) => ({
  index,
  netns: names.nodeNetns(runId, `x${index}`),
  hostVeth: names.hostVeth(runId, index),
  peerVeth: names.peerVeth(runId, index),
  ip: `198.19.77.${index + 1}`,
}));
const [R, A, B] = members as [(typeof members)[0], (typeof members)[0], (typeof members)[0]];

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

class Agent {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #pending = new Map<number, (answer: Record<string, unknown>) => void>();
  #next = 0;
  constructor(netns: string) {
    this.#child = spawn('ip', ['netns', 'exec', netns, process.execPath, AGENT]);
    createInterface({ input: this.#child.stdout }).on('line', (line) => {
      const answer = JSON.parse(line) as { id: number };
      this.#pending.get(answer.id)?.(answer);
      this.#pending.delete(answer.id);
    });
  }
  request(cmd: string, args: Record<string, unknown> = {}): Promise<{ ok: boolean; error?: string; count?: number }> {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve as (answer: Record<string, unknown>) => void);
      this.#child.stdin.write(`${JSON.stringify({ id, cmd, ...args })}\n`);
    });
  }
  tcp(to: { ip: string }, timeoutMs = 400) {
    return this.request('tcp', { host: to.ip, timeoutMs }).then((r) => r.ok);
  }
  async udp(to: { ip: string }, count: number, receiver: Agent, from: { ip: string }): Promise<number> {
    await receiver.request('udpReceived', { from: from.ip }); // reset
    await this.request('udpSend', { host: to.ip, count });
    await new Promise((resolve) => setTimeout(resolve, 100));
    return (await receiver.request('udpReceived', { from: from.ip })).count!;
  }
  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#child.exitCode !== null) return resolve();
      this.#child.once('exit', () => resolve());
      this.#child.stdin.end();
    });
  }
}

let engine: FaultEngine;
let policy: PolicyMatrix;
let progId = 0;
const agents: Agent[] = [];

function commit(fill: (p: PolicyMatrix) => void): void {
  policy.clear();
  fill(policy);
  engine.commit(policy);
}

beforeAll(async () => {
  engine = await FaultEngine.load({ maxNodes: 3 });
  policy = engine.createPolicy();
  progId = Number(/prog_id:\s*(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${engine.progFd}`, 'utf8'))![1]);
  ip('link', 'add', bridge, 'type', 'bridge');
  ip('link', 'set', bridge, 'up');
  for (const m of members) {
    ip('netns', 'add', m.netns);
    ip('link', 'add', m.hostVeth, 'type', 'veth', 'peer', 'name', m.peerVeth);
    ip('link', 'set', m.peerVeth, 'netns', m.netns);
    ip('-n', m.netns, 'link', 'set', m.peerVeth, 'name', 'eth0');
    ip('link', 'set', m.hostVeth, 'master', bridge, 'up');
    ip('-n', m.netns, 'addr', 'add', `${m.ip}/24`, 'dev', 'eth0');
    ip('-n', m.netns, 'link', 'set', 'eth0', 'up');
    ip('-n', m.netns, 'link', 'set', 'lo', 'up');
    await engine.attach(m.netns, 'eth0');
    engine.setNodeAddress(m.ip, m.index);
    agents[m.index] = new Agent(m.netns);
  }
  await Promise.all(agents.map((a) => a.request('ready')));
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  engine?.close();
  for (const m of members) {
    try {
      ip('link', 'del', m.hostVeth);
    } catch {}
    try {
      ip('netns', 'del', m.netns);
    } catch {}
  }
  try {
    ip('link', 'del', bridge);
  } catch {}
});

describe('XDP on real traffic', () => {
  it('is attached in generic mode to eth0 of every namespace', () => {
    for (const m of members) {
      const link = execFileSync('ip', ['-n', m.netns, '-d', 'link', 'show', 'eth0'], { encoding: 'utf8' });
      expect(link).toContain(' xdpgeneric ');
      expect(link).toContain(`prog/xdp id ${progId} name pakostii_xdp`);
    }
  });

  it('a second attach to the same interface fails with a NativeError for people', async () => {
    const error = await engine.attach(A.netns, 'eth0').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NativeError);
    expect((error as NativeError).op).toBe('xdp attach');
    expect((error as NativeError).message).toContain(A.netns);
    const missing = await engine.attach(A.netns, 'eth9').catch((e: unknown) => e);
    expect((missing as NativeError).code).toBe('ENODEV');
  });

  it('TCP and UDP flow under an empty policy', async () => {
    expect(await agents[1]!.tcp(B)).toBe(true);
    expect(await agents[2]!.tcp(A)).toBe(true);
    expect(await agents[0]!.tcp(A)).toBe(true);
    expect(await agents[1]!.udp(B, 20, agents[2]!, A)).toBe(20);
  });

  it('isolating A stops TCP and UDP at once, healing brings them back', async () => {
    const before = engine.counters();
    await agents[1]!.request('tcpOpen', { host: B.ip });
    expect((await agents[1]!.request('tcpEcho', { payload: 'before', timeoutMs: 1000 })).ok).toBe(true);

    commit((p) => {
      for (const other of [R.index, B.index]) {
        p.cut(A.index, other);
        p.cut(other, A.index);
      }
    });
    expect(await agents[1]!.tcp(B)).toBe(false);
    expect(await agents[2]!.tcp(A)).toBe(false);
    expect(await agents[0]!.tcp(A)).toBe(false);
    expect(await agents[1]!.udp(B, 20, agents[2]!, A)).toBe(0);
    expect(await agents[2]!.udp(A, 20, agents[1]!, B)).toBe(0);
    // The established connection stalls…
    expect((await agents[1]!.request('tcpEcho', { payload: 'during', timeoutMs: 500 })).ok).toBe(false);
    // …while the rest of the cluster still talks.
    expect(await agents[0]!.tcp(B)).toBe(true);

    commit(() => {});
    expect(await agents[1]!.tcp(B, 2000)).toBe(true);
    expect(await agents[2]!.tcp(A, 2000)).toBe(true);
    expect(await agents[1]!.udp(B, 20, agents[2]!, A)).toBe(20);
    // TCP retransmits what was stuck: the same connection resumes.
    expect((await agents[1]!.request('tcpAwait', { payload: 'during', timeoutMs: 5000 })).ok).toBe(true);

    const after = engine.counters();
    for (const index of [A.index, B.index]) {
      expect(after[index]!.dropped).toBeGreaterThan(before[index]!.dropped);
      expect(after[index]!.passed).toBeGreaterThan(before[index]!.passed);
    }
  });

  it('a one-way cut A→B blocks A→B only', async () => {
    // ARP obeys full cuts only, so B→A keeps resolving A while A→B is cut.
    expect(await agents[1]!.tcp(B)).toBe(true);
    commit((p) => p.cut(A.index, B.index));
    expect(await agents[1]!.udp(B, 20, agents[2]!, A)).toBe(0);
    expect(await agents[2]!.udp(A, 20, agents[1]!, B)).toBe(20);
    expect(await agents[1]!.tcp(B)).toBe(false); // the handshake needs both ways
    commit(() => {});
    expect(await agents[1]!.udp(B, 20, agents[2]!, A)).toBe(20);
  });

  it('detach stops judging an interface, attach resumes it', async () => {
    commit((p) => {
      p.cut(R.index, B.index);
      p.cut(B.index, R.index);
    });
    expect(await agents[0]!.tcp(B)).toBe(false);
    await engine.detach(B.netns, 'eth0');
    await engine.detach(R.netns, 'eth0');
    expect(await agents[0]!.tcp(B, 2000)).toBe(true);
    await engine.attach(B.netns, 'eth0');
    await engine.attach(R.netns, 'eth0');
    expect(await agents[0]!.tcp(B)).toBe(false);
    commit(() => {});
    expect(await agents[0]!.tcp(B, 2000)).toBe(true);
  });
});

describe('cleanup', () => {
  it('leaves no program, link or namespace behind once the engine is closed and the namespaces are gone', async () => {
    await Promise.all(agents.map((a) => a.stop()));
    engine.close();
    for (const m of members) ip('netns', 'del', m.netns);
    ip('link', 'del', bridge);
    const progExists = () => {
      try {
        execFileSync('bpftool', ['prog', 'show', 'id', String(progId)], { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 100 && progExists(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(progExists()).toBe(false);
    const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
    expect(links).not.toContain(runId);
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(runId);
  });
});
