/**
 * isolateAZ on real traffic: without network access the runner (port
 * forwards, t.http) loses the AZ too; withNetworkAccess keeps the runner
 * connected while the AZ stays cut from the other nodes; heal restores all.
 */
import { describe, expect, it } from 'vitest';
import { spec, Test, type TestHandle } from '../../lib/index.js';
import { captureLogger, webService } from './support.js';
import { expectNoLeaks } from '../helpers/leak-audit.js';

function web(node: string, az: string) {
  return spec.newNode(node).withAZ(az).runs(webService(node));
}
const cluster = () => spec.newCluster().addNode(web('a1', 'az1')).addNode(web('b1', 'az2')).addNode(web('b2', 'az2'));

/**
 * Can `from`'s container open a TCP connection to `to`:8080? busybox nc by IP
 * (busybox-static cannot resolve names: its static glibc has no NSS); 2 s timeout.
 */
async function nodeReaches(t: TestHandle, from: string, to: string): Promise<boolean> {
  const r = await t.exec.inContainer(from, 'web', 'nc', '-w', '2', t.network.ipOf(to), '8080', '-e', 'true');
  return r.exitCode === 0;
}
async function runnerReaches(t: TestHandle, to: string): Promise<boolean> {
  try {
    return (await t.http.get(`http://${to}:8080/index.html`, { timeoutMs: 1500 })).status === 200;
  } catch {
    return false;
  }
}

/**
 * After heal: true as soon as `check` passes, within `withinMs`. A node that
 * tried to reach a peer during a full cut has a neighbour (ARP) resolution in
 * flight; if it runs out of probes just after heal, the first connection gets
 * EHOSTUNREACH and the next one resolves again (README, "Fault catalogue").
 */
async function soon(check: () => Promise<boolean>, withinMs = 4000): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('isolateAZ', () => {
  it('without network access cuts the runner too; heal restores everything', async () => {
    const { logger, lines } = captureLogger();
    const result = await new Test('isolate_az', cluster(), { logger }).run(async (t) => {
      const fw = t.network.forwardPort('a1', 8080);
      await fw.listen(t.signal);
      expect(await runnerReaches(t, 'a1')).toBe(true);

      const iso = t.network.partition.isolateAZ('zone down', 'az1');
      await iso.apply();
      expect(await runnerReaches(t, 'a1')).toBe(false);
      expect(await runnerReaches(t, 'b1')).toBe(true);
      expect(await nodeReaches(t, 'b1', 'a1')).toBe(false);
      expect(await nodeReaches(t, 'a1', 'b2')).toBe(false);
      expect(await nodeReaches(t, 'b1', 'b2')).toBe(true);
      await expect(iso.apply()).rejects.toThrow(/already applied/);

      await iso.heal();
      expect(await soon(() => runnerReaches(t, 'a1'))).toBe(true);
      expect(await soon(() => nodeReaches(t, 'b1', 'a1'))).toBe(true);
      expect(await soon(() => nodeReaches(t, 'a1', 'b2'))).toBe(true);
      await expect(iso.heal()).rejects.toThrow(/not applied/);
    });
    expect(lines.find((l) => l.msg === 'fault applied')).toMatchObject({ fault: 'zone down', kind: 'isolateAZ', az: 'az1', network_access: false });
    await expectNoLeaks(result.id);
  });

  it('withNetworkAccess: the runner reaches the AZ, the AZ and the other nodes stay cut both ways', async () => {
    const { logger } = captureLogger();
    const result = await new Test('isolate_az_access', cluster(), { logger }).run(async (t) => {
      const iso = t.network.partition.isolateAZ('zone split', 'az1').withNetworkAccess();
      await iso.apply();
      expect(await runnerReaches(t, 'a1')).toBe(true);
      expect(await runnerReaches(t, 'b2')).toBe(true);
      expect(await nodeReaches(t, 'a1', 'b1')).toBe(false);
      expect(await nodeReaches(t, 'b2', 'a1')).toBe(false);
      expect(await nodeReaches(t, 'b1', 'b2')).toBe(true);
      // Left applied on purpose: teardown heals it.
    });
    await expectNoLeaks(result.id);
  });
});
