/**
 * Direct reach: the test process connects to the nodes' cluster addresses.
 * What the run adds to the host is exactly one link (the uplink to the run's
 * bridge, which lives in the run's switch namespace), one address on it and
 * the three routes the kernel makes for it (local, prefix, subnet broadcast) (observed with `ip`, independently of
 * the library); everything else of the host's network (routes v4/v6 of all
 * tables, addresses, nftables, iptables) is identical during and after the run.
 * Faults judge the host like the runner, both ways: what the host sends at the
 * node's eth0, what the nodes send to the host where it enters the host (the
 * uplink).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { spec, Test } from '../../lib/index.js';
import { Agents, HOST, pairsBetween, RUNNER } from '../faults/agents.js';
import { expectNoLeaks, snapshotHostNetwork } from '../helpers/leak-audit.js';
import { captureLogger, webService } from './support.js';

const run = promisify(execFile);

function web(node: string, az: string) {
  return spec.newNode(node).withAZ(az).runs(webService(node));
}
const cluster = () => spec.newCluster().addNode(web('a1', 'az1')).addNode(web('b1', 'az2')).addNode(web('b2', 'az2'));

/** Everything `ip` shows on `dev` in the host namespace: addresses and routes of every table, v4 and v6. */
async function onLink(dev: string): Promise<{ v4addr: string[]; v6addr: string[]; v4routes: string[]; v6routes: string[] } | 'gone'> {
  const ip = async (...args: string[]) => {
    const { stdout } = await run('ip', args);
    return stdout.split('\n').map((l) => l.trim().replace(/\s+/g, ' ')).filter(Boolean).sort();
  };
  try {
    return {
      v4addr: (await ip('-o', '-4', 'addr', 'show', 'dev', dev)).map((l) => l.replace(/^\d+: \S+ /, '').replace(/\\.*$/, '').trim()),
      v6addr: await ip('-o', '-6', 'addr', 'show', 'dev', dev),
      v4routes: await ip('-4', 'route', 'show', 'table', 'all', 'dev', dev),
      v6routes: await ip('-6', 'route', 'show', 'table', 'all', 'dev', dev),
    };
  } catch (error) {
    if (/does not exist|Cannot find device/.test(String((error as { stderr?: string }).stderr))) return 'gone';
    throw error;
  }
}

function broadcastOf(cidr: string): string {
  const [network, prefix] = cidr.split('/');
  const n = network!.split('.').reduce((acc, o) => acc * 256 + Number(o), 0) + 2 ** (32 - Number(prefix)) - 1;
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

function httpGet(url: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, { timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function soon<T>(check: () => Promise<T>, expected: T, withinMs = 5000): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const got = await check();
    if (JSON.stringify(got) === JSON.stringify(expected) || Date.now() > deadline) return got;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe("reach: 'direct'", () => {
  it('adds one link, its address and three routes only, judged both ways, all gone after teardown', async () => {
    const { logger } = captureLogger();
    const before = await snapshotHostNetwork();
    let link = '';
    const result = await new Test('direct_reach', cluster(), { logger, reach: 'direct' }).run(async (t) => {
      const direct = t.network.directReach()!;
      link = direct.link;
      expect(link).toBe(`pk${t.id}-up`);
      // The bridge is not in the host namespace.
      await expect(run('ip', ['link', 'show', `pkb-${t.id}`])).rejects.toThrow();
      const [network, prefix] = direct.route.split('/');
      // Exactly what the run added to the host namespace.
      expect(await onLink(link)).toEqual({
        v4addr: [`inet ${direct.address}/${prefix} brd ${broadcastOf(direct.route)} scope global ${link}`],
        v6addr: [],
        v4routes: [
          `${network}/${prefix} proto kernel scope link src ${direct.address}`,
          `local ${direct.address} table local proto kernel scope host src ${direct.address}`,
          `broadcast ${broadcastOf(direct.route)} table local proto kernel scope link src ${direct.address}`,
        ].sort(),
        // The link's own: IPv6 is up on it, with no address.
        v6routes: ['multicast ff00::/8 table local proto kernel metric 256 pref medium'],
      });
      // The rest of the host's network is untouched while the run is live.
      expect(await snapshotHostNetwork()).toEqual(before);

      // An ordinary client of the test process, at the node's own address.
      expect(await httpGet(`http://${t.network.ipOf('a1')}:8080/index.html`)).toBe('a1\n');

      const agents = await Agents.start(t, ['a1', 'b1', 'b2'], { host: true });
      try {
        expect(await agents.unreachable()).toEqual([]);

        const cut = t.network.partition.isolateAZ('az1 cut', 'az1');
        await cut.apply();
        expect(await agents.unreachable()).toEqual(pairsBetween(['a1'], ['b1', 'b2', RUNNER, HOST]));
        await expect(httpGet(`http://${t.network.ipOf('a1')}:8080/index.html`, 1000)).rejects.toThrow();
        // Both directions are judged: the host's datagrams at a1's eth0, a1's where they enter the host.
        expect(await agents.udp('a1', HOST, 500)).toBe(0);
        expect(await agents.udp(HOST, 'a1', 500)).toBe(0);
        expect(await agents.udp('b1', HOST, 500)).toBe(500);
        await cut.heal();
        expect(await soon(() => agents.unreachable(), [])).toEqual([]);

        const kept = t.network.partition.isolateAZ('az1 cut, test process kept', 'az1').withNetworkAccess();
        await kept.apply();
        expect(await agents.unreachable()).toEqual(pairsBetween(['a1'], ['b1', 'b2']));
        expect(await agents.udp('a1', HOST, 500)).toBe(500);
        expect(await agents.udp(HOST, 'a1', 500)).toBe(500);
        expect(await httpGet(`http://${t.network.ipOf('a1')}:8080/index.html`)).toBe('a1\n');
        await kept.heal();

        // Faults that never cut the runner never cut the test process.
        const split = t.network.partition.between('a1|b1', 'a1', 'b1');
        await split.apply();
        expect(await agents.unreachable()).toEqual(pairsBetween(['a1'], ['b1']));
        await split.heal();
        // A one-off fault without a name gets a generated one, in the timeline too.
        const unnamed = t.network.loss({ between: 'all', percent: 100 });
        expect(unnamed.name).toBe('loss 1');
        await unnamed.apply();
        expect(await agents.udp('a1', 'b1', 200)).toBe(0);
        expect(await agents.udp('a1', HOST, 200)).toBe(200); // loss between nodes never touches the test process
        await unnamed.heal();
      } finally {
        await agents.stop();
      }
      expect(await snapshotHostNetwork()).toEqual(before);
    });
    expect(readFileSync(join(result.artifactsDir, 'faults.jsonl'), 'utf8')).toContain('"name":"loss 1"');
    expect(await onLink(link)).toBe('gone');
    expect(await snapshotHostNetwork()).toEqual(before);
    await expectNoLeaks(result.id);
  }, 120_000);

  it('forwardPort takes a chosen local port; a taken one is a clear error', async () => {
    const { logger } = captureLogger();
    await new Test('forward_local_port', spec.newCluster().addNode(web('a1', 'az1')), { logger }).run(async (t) => {
      const probe = t.network.forwardPort('a1', 8080);
      await probe.listen(t.signal);
      const free = probe.port();
      await probe.close();
      const fw = t.network.forwardPort('a1', 8080, { localPort: free });
      await fw.listen(t.signal);
      expect(fw.port()).toBe(free);
      expect(await httpGet(`http://127.0.0.1:${free}/index.html`)).toBe('a1\n');
      const clash = t.network.forwardPort('a1', 8080, { localPort: free });
      await expect(clash.listen(t.signal)).rejects.toThrow(/already in use/);
      expect(() => t.network.forwardPort('a1', 8080, { localPort: 70000 })).toThrow(/out of range/);
    });
  });
});
