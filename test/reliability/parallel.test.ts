/**
 * Four runs at once in one process: all pass, each has its own subnet and
 * bridge, and none can reach another's nodes — neither from the runner's
 * namespace nor from inside a container — while each reaches its own.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { spec, Test, type TestHandle } from '../../lib/index.js';
import { names } from '../../lib/host/names.js';
import { readClaimFiles } from '../../lib/host/subnet-claims.js';
import { expectNoLeaks, snapshotHostNetwork } from '../helpers/leak-audit.js';
import { pino } from 'pino';

const IMAGE = process.env.PAKOSTII_BUSYBOX_IMAGE ?? 'pakostii.local/busybox:latest';
const RUNS = 4;
const PORT = 8080;

function clusterFor(index: number) {
  const web = () =>
    spec
      .newContainer('web', IMAGE)
      .withFile('/www/index.html', `run ${index}\n`)
      .withCommand(['httpd', '-f', '-p', String(PORT), '-h', '/www'])
      .withReadiness(spec.tcpProbe({ port: PORT }));
  return spec.newCluster().addNode(spec.newNode('n1').runs(web())).addNode(spec.newNode('n2').runs(web()));
}

/**
 * wget inside a container with a 3 s limit. Not `wget -T 3`: Debian's busybox
 * 1.35 wget segfaults (exit 139) whenever -T is given, which once made this
 * test's own-node check fail and its isolation check pass for the wrong reason.
 */
function wget(url: string): string[] {
  return ['timeout', '-s', 'KILL', '3', 'wget', '-q', '-O', '-', url];
}

interface Seen {
  id: string;
  index: number;
  ips: string[];
  bridgeMembers: string[];
  subnetBlocks: string[];
}

/** Resolves when all `count` parties arrived (every run live at the same time); rejects after 90 s so a failed run cannot hang the others. */
function barrier(count: number): () => Promise<void> {
  let arrived = 0;
  let release: () => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const all = new Promise<void>((resolve, reject) => {
    release = resolve;
    fail = reject;
  });
  all.catch(() => undefined);
  const timer = setTimeout(() => fail(new Error(`only ${arrived} of ${count} runs reached the barrier`)), 90_000);
  return async () => {
    if (++arrived === count) {
      clearTimeout(timer);
      release();
    }
    await all;
  };
}

describe('parallel runs', () => {
  it(`${RUNS} runs at once pass, with distinct subnets and bridges, and cannot reach each other`, async () => {
    const hostBefore = await snapshotHostNetwork();
    const arrive = barrier(RUNS);
    const seen: Seen[] = [];
    const published = new Map<number, Seen>();
    const allPublished = barrier(RUNS);

    const body = (index: number) => async (t: TestHandle) => {
      const ips = t.network.ipsOf(['n1', 'n2']);
      await arrive();
      const bridgeMembers = (JSON.parse(execFileSync('ip', ['-n', names.switchNetns(t.id), '-j', 'link', 'show', 'master', names.bridge(t.id)]).toString()) as Array<{ ifname: string }>).map(
        (l) => l.ifname,
      );
      const mine: Seen = {
        id: t.id,
        index,
        ips,
        bridgeMembers,
        subnetBlocks: readClaimFiles()
          .filter((c) => c.claim?.runId === t.id)
          .map((c) => c.block),
      };
      seen.push(mine);
      published.set(index, mine);
      await allPublished();

      // Own nodes: reachable from the runner and from a container, by name and IP.
      const own = await t.http.get(`http://n2:${PORT}/index.html`);
      expect(own.body).toBe(`run ${index}\n`);
      const inside = await t.exec.inContainer('n1', 'web', ...wget(`http://${ips[1]}:${PORT}/index.html`));
      expect(inside, `run ${index}: wget from n1 to its own n2`).toMatchObject({ exitCode: 0, stdout: `run ${index}\n` });

      // Other runs' nodes: unreachable both ways.
      for (const [otherIndex, other] of published) {
        if (otherIndex === index) continue;
        await expect(t.http.get(`http://${other.ips[0]}:${PORT}/index.html`, { timeoutMs: 3000 })).rejects.toThrow();
        const cross = await t.exec.inContainer('n1', 'web', ...wget(`http://${other.ips[1]}:${PORT}/index.html`));
        // A failure to connect (1) or the timeout's kill (137), not a crash: a crash would prove nothing.
        expect([1, 124, 137, 143], JSON.stringify(cross)).toContain(cross.exitCode);
        expect(cross.stdout).toBe('');
      }
    };

    const logger = pino({ level: process.env.PAKOSTII_TEST_LOG_LEVEL ?? 'warn' }, pino.destination(2));
    const results = await Promise.all(
      Array.from({ length: RUNS }, (_, index) => new Test(`parallel-${index}`, clusterFor(index), { logger }).run(body(index))),
    );

    expect(new Set(results.map((r) => r.id)).size).toBe(RUNS);
    // Distinct subnets: no /24 block claimed twice, no IP shared.
    const blocks = seen.flatMap((s) => s.subnetBlocks);
    expect(blocks.length).toBe(RUNS);
    expect(new Set(blocks).size).toBe(RUNS);
    const subnets = seen.map((s) => s.ips[0]!.split('.').slice(0, 3).join('.'));
    expect(new Set(subnets).size).toBe(RUNS);
    // Each bridge holds exactly its own run's veths (runner + 2 nodes).
    for (const s of seen) {
      expect(s.bridgeMembers.sort()).toEqual([0, 1, 2].map((i) => names.hostVeth(s.id, i)).sort());
    }
    for (const r of results) await expectNoLeaks(r.id);
    expect(await snapshotHostNetwork()).toEqual(hostBefore);
  }, 180_000);
});
