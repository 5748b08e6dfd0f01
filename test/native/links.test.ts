/**
 * A run's links over rtnetlink: a bridge (no host address) and node namespaces
 * joined to it by provisionNodeLink (veth, eth0 inside, address, XDP attach).
 * Traffic between nodes is observed with `ip netns exec … ping` (tests may use
 * `ip` to observe; lib never does). Deleting leaves nothing behind.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultEngine } from '../../lib/native/fault-engine.js';
import {
  createBridge,
  createNetns,
  deleteLink,
  deleteNetns,
  linkIndex,
  listLinks,
  listNetns,
  provisionNodeLink,
} from '../../lib/native/index.js';
import { names, newRunId } from '../../lib/host/names.js';

const runId = newRunId();
const bridge = names.bridge(runId);
const nodes = [1, 2, 3].map((index) => ({
  index,
  netns: names.nodeNetns(runId, `n${index}`),
  hostVeth: names.hostVeth(runId, index),
 
  ip: `198.19.88.${index + 1}`,
}));

function run(cmd: string, ...args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** One ICMP echo from `netns` to `ip` (busybox: this machine has no iputils ping). */
function ping(netns: string, ip: string, waitSeconds = 2): boolean {
  try {
    return run('ip', 'netns', 'exec', netns, 'busybox', 'ping', '-c1', `-W${waitSeconds}`, ip).includes('1 packets received');
  } catch {
    return false;
  }
}

/** `bpftool prog show id <id>` output; '' once the program is gone. */
function bpftoolProg(id: number): string {
  try {
    return run('bpftool', 'prog', 'show', 'id', String(id)).trim();
  } catch {
    return '';
  }
}

function hostLinksOfRun(): string[] {
  return run('ip', '-br', 'link')
    .split('\n')
    .map((l) => l.split(/[\s@]/)[0]!)
    .filter((n) => n.includes(runId));
}

function progIdOf(fd: number): number {
  return Number(/prog_id:\s*(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]);
}

let engine: FaultEngine;
let progId = 0;

beforeAll(async () => {
  engine = await FaultEngine.load({ maxNodes: 4 });
  progId = progIdOf(engine.progFd);
  expect(bpftoolProg(progId)).toContain('pakostii_xdp');
  await createBridge(bridge);
  for (const n of nodes) {
    await createNetns(n.netns);
    await provisionNodeLink({ netns: n.netns, bridge, hostVeth: n.hostVeth, ifname: 'eth0', cidr: `${n.ip}/24`, engine });
    engine.setNodeAddress(n.ip, n.index);
  }
});

afterAll(async () => {
  engine?.close();
  for (const n of nodes) {
    await deleteLink(n.hostVeth).catch(() => {});
    await deleteNetns(n.netns).catch(() => {});
  }
  await deleteLink(bridge).catch(() => {});
});

describe('provisioned node links', () => {
  it('the bridge is up, has no address, and holds every host veth', () => {
    const info = JSON.parse(run('ip', '-j', 'addr', 'show', 'dev', bridge)) as Array<{ operstate: string; flags: string[]; addr_info: unknown[] }>;
    expect(info[0]!.flags).toContain('UP');
    expect(info[0]!.addr_info.filter((a) => (a as { family: string }).family === 'inet')).toEqual([]);
    const ports = run('ip', '-br', 'link', 'show', 'master', bridge);
    for (const n of nodes) expect(ports).toContain(n.hostVeth);
  });

  it('each namespace has lo and eth0 up with its address and the run program attached; no temporary peer name on the host', async () => {
    for (const n of nodes) {
      expect((await listLinks(n.netns)).sort()).toEqual(['eth0', 'lo']);
      const [eth0] = JSON.parse(run('ip', '-n', n.netns, '-j', 'addr', 'show', 'dev', 'eth0')) as Array<{
        flags: string[];
        addr_info: Array<{ family: string; local: string; prefixlen: number }>;
        xdp?: { prog?: { id: number } };
      }>;
      expect(eth0!.flags).toContain('UP');
      expect(eth0!.addr_info).toContainEqual(expect.objectContaining({ family: 'inet', local: n.ip, prefixlen: 24 }));
      const link = JSON.parse(run('ip', '-n', n.netns, '-d', '-j', 'link', 'show', 'dev', 'eth0')) as Array<{ xdp?: { prog?: { id: number }; attached?: Array<{ prog: { id: number } }> } }>;
      const attached = link[0]!.xdp?.prog?.id ?? link[0]!.xdp?.attached?.[0]?.prog.id;
      expect(attached).toBe(progId);
      const lo = run('ip', '-n', n.netns, '-br', 'link', 'show', 'dev', 'lo');
      expect(lo).toMatch(/UNKNOWN|UP/);
      expect(await linkIndex('eth0', n.netns)).toBeGreaterThan(0);
    }
    expect(hostLinksOfRun().sort()).toEqual([bridge, ...nodes.map((n) => n.hostVeth)].sort());
  });

  it('namespaces reach each other across the bridge (ping and TCP)', () => {
    for (const from of nodes) {
      for (const to of nodes) {
        if (from === to) continue;
        expect(ping(from.netns, to.ip)).toBe(true);
      }
    }
    // TCP: busybox nc listens in node 1, node 2 connects and sends a line.
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    const got = execFileSync(
      'bash',
      ['-c', `ip netns exec "$1" busybox nc -l -p 7001 -w 5 & sleep 0.3; echo hello-over-tcp | ip netns exec "$2" busybox nc -w 2 "$3" 7001; wait`, '_', a.netns, b.netns, a.ip],
      { encoding: 'utf8' },
    );
    expect(got).toContain('hello-over-tcp');
  });

  it('the program judges this traffic: a cut stops pings, heal restores them', () => {
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    const policy = engine.createPolicy();
    policy.cut(a.index, b.index);
    engine.commit(policy);
    const droppedAtB = engine.counters()[b.index]!.dropped;
    expect(ping(a.netns, b.ip, 1)).toBe(false);
    expect(engine.counters()[b.index]!.dropped).toBeGreaterThan(droppedAtB);
    policy.clear();
    engine.commit(policy);
    expect(ping(a.netns, b.ip)).toBe(true);
  });
});

describe('teardown', () => {
  it('deleting links, namespaces and the engine leaves nothing (ip link, ip netns, bpftool prog)', async () => {
    engine.close();
    for (const n of nodes) {
      await deleteLink(n.hostVeth); // takes the peer (eth0 in the namespace) with it
      expect(await listLinks(n.netns)).toEqual(['lo']);
      await deleteNetns(n.netns);
    }
    await deleteLink(bridge);
    expect(hostLinksOfRun()).toEqual([]);
    expect((await listNetns()).filter((n) => n.includes(runId))).toEqual([]);
    // The program goes once its last attachment and fd are gone (freed after an RCU grace period).
    let progs = '';
    for (let i = 0; i < 50; i++) {
      progs = bpftoolProg(progId);
      if (progs === '') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(progs).toBe('');
  }, 30_000);
});
