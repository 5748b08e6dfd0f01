/**
 * More nodes than a /24 holds: 300 network-only nodes (no services) get a /23,
 * every node is on the network — the last one answers a TCP connect with a
 * reset (ECONNREFUSED comes from its kernel, so it is reachable) — and the run
 * leaves nothing behind.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { spec, Test } from '../../lib/index.js';
import { readClaimFiles } from '../../lib/host/subnet-claims.js';
import { expectNoLeaks, snapshotHostNetwork } from '../helpers/leak-audit.js';

const NODES = 300;

describe('large network', () => {
  it(`${NODES} network-only nodes share one /23 and all are reachable`, async () => {
    const hostBefore = await snapshotHostNetwork();
    let cluster = spec.newCluster();
    for (let i = 1; i <= NODES; i++) cluster = cluster.addNode(spec.newNode(`n${i}`));
    const logger = pino({ level: process.env.PAKOSTII_TEST_LOG_LEVEL ?? 'warn' }, pino.destination(2));

    let claimed: string[] = [];
    let cidr = '';
    const result = await new Test('large-network', cluster, { logger }).run(async (t) => {
      claimed = readClaimFiles()
        .filter((c) => c.claim?.runId === t.id)
        .map((c) => c.block);
      cidr = readClaimFiles().find((c) => c.claim?.runId === t.id)?.claim?.cidr ?? '';
      const ips = t.network.ipsOf(Array.from({ length: NODES }, (_, i) => `n${i + 1}`));
      expect(new Set(ips).size).toBe(NODES);
      // Node 300 sits beyond the first /24 of the subnet.
      for (const node of ['n1', 'n254', 'n255', `n${NODES}`]) {
        await expect(t.http.get(`http://${node}:1/`, { timeoutMs: 5000 }), node).rejects.toThrow(/ECONNREFUSED|refused/i);
      }
    });

    expect(cidr).toMatch(/\/23$/);
    expect(claimed).toHaveLength(2);
    console.log(`large network: ${NODES} nodes ready in ${result.readyMs} ms, whole run ${result.durationMs} ms`);
    await expectNoLeaks(result.id);
    expect(await snapshotHostNetwork()).toEqual(hostBefore);
  }, 300_000);
});
