/**
 * examples/redis-cluster.ts in the suite: ioredis' Cluster client, seeded with
 * one node, follows the addresses the nodes advertise (their cluster IPs, with
 * direct reach); a partition takes the cluster down on both sides (writes
 * refused, none acknowledged), the heal brings it back, and no acknowledged
 * write is lost.
 */
import { describe, expect, it } from 'vitest';
import { redisClusterScenario, redisClusterTest, NODES, type RedisClusterOutcome } from '../../examples/redis-cluster.js';
import { expectNoLeaks } from '../helpers/leak-audit.js';
import { captureLogger } from './support.js';

describe('redis cluster (examples/redis-cluster.ts)', () => {
  it('a cluster-aware client follows advertised addresses through a partition and heal', async () => {
    const { logger } = captureLogger();
    let outcome: RedisClusterOutcome | undefined;
    let ips: string[] = [];
    const result = await redisClusterTest({ logger }).run(async (t) => {
      ips = NODES.map((n) => t.network.ipOf(n)).sort();
      outcome = await redisClusterScenario(t);
    });
    expect(outcome!.masters).toEqual(ips);
    expect(outcome!.acknowledged.before).toBeGreaterThan(0);
    expect(outcome!.acknowledged.during).toBe(0);
    expect(outcome!.refusedDuringPartition).toBeGreaterThan(0);
    expect(outcome!.acknowledged.after).toBeGreaterThan(50);
    expect(outcome!.lost).toBe(0);
    await expectNoLeaks(result.id);
  }, 180_000);
});
