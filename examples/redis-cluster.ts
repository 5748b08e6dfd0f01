/**
 * A 3-node Redis Cluster driven through a partition and heal, with ioredis'
 * cluster-aware client following the addresses the nodes advertise (their
 * cluster IPs: advertising is NOT turned off, no natMap). That needs the test
 * process to reach the nodes' own addresses: `reach: 'direct'`.
 *
 * r1, r2 and r3 each own a third of the 16384 slots (no replicas). We write
 * keys through the client, cut r3 off from r1 and r2 (the test process keeps
 * reaching everyone), and watch the cluster do what it promises: after the
 * node timeout both sides declare the cluster down and refuse writes rather
 * than accept ones they might lose. After the heal the cluster recovers by
 * itself, the client writes again, and every acknowledged write is still there.
 * The run fails if a write acknowledged by Redis is missing at the end.
 *
 *   npx tsx examples/redis-cluster.ts        (as root)
 *
 * Image: any image with redis-server ≥ 7.0 as `redis-server`; by default
 * pakostii.local/redis:7, built from Debian's redis packages by the public image builder:
 * `npx pakostii images build examples/images/redis.json --import` (scripts/setup.sh does it
 * for the repo; PAKOSTII_REDIS_IMAGE picks another image).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { Cluster, Redis } from 'ioredis';
import { spec, Test, TestFailedError, type TestHandle, type TestOptions } from '../lib/index.js';

export const REDIS_IMAGE = process.env.PAKOSTII_REDIS_IMAGE ?? 'pakostii.local/redis:7';
export const NODES = ['r1', 'r2', 'r3'] as const;
const SLOTS = 16384;

const CONFIG = [
  'port 6379',
  'protected-mode no',
  'cluster-enabled yes',
  // Written by the server: in the writable working directory, not a (read-only) withFile mount.
  'cluster-config-file /data/nodes.conf',
  'cluster-node-timeout 2000',
  'save ""',
  'appendonly no',
  '',
].join('\n');

export function redisClusterSpec(image = REDIS_IMAGE): spec.ClusterSpec {
  const cluster = spec.newCluster();
  for (const node of NODES) {
    cluster.addNode(
      spec.newNode(node).runs(
        spec
          .newContainer('redis', image)
          .withFile('/etc/redis/cluster.conf', CONFIG)
          .withCommand(['redis-server', '/etc/redis/cluster.conf'])
          .withReadiness(spec.tcpProbe({ port: 6379 })),
      ),
    );
  }
  return cluster;
}

/** A plain connection to one node at its cluster address (direct reach). */
function nodeClient(t: TestHandle, node: string): Redis {
  return new Redis({ host: t.network.ipOf(node), port: 6379, lazyConnect: true, maxRetriesPerRequest: 0, commandTimeout: 1_000, connectTimeout: 1_000, retryStrategy: () => null });
}

async function onNode<T>(t: TestHandle, node: string, command: (client: Redis) => Promise<T>): Promise<T | undefined> {
  const client = nodeClient(t, node);
  try {
    await client.connect();
    return await command(client);
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

/** cluster_state of `node` as it sees itself ("ok", "fail"), undefined when it does not answer. */
async function clusterState(t: TestHandle, node: string): Promise<string | undefined> {
  const info = await onNode(t, node, (c) => c.call('CLUSTER', 'INFO') as Promise<string>);
  return info ? /cluster_state:(\w+)/.exec(info)?.[1] : undefined;
}

async function waitFor(t: TestHandle, what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200, undefined, { signal: t.signal });
  }
}

/** Slots split in three, every node introduced to the others by its cluster address. */
async function formCluster(t: TestHandle): Promise<void> {
  const share = Math.ceil(SLOTS / NODES.length);
  for (const [i, node] of NODES.entries()) {
    const first = i * share;
    const last = Math.min(SLOTS, first + share) - 1;
    const done = await onNode(t, node, async (c) => {
      await c.call('CLUSTER', 'ADDSLOTSRANGE', first, last);
      for (const peer of NODES) if (peer !== node) await c.call('CLUSTER', 'MEET', t.network.ipOf(peer), 6379);
      return true;
    });
    if (!done) throw new Error(`could not configure ${node}`);
  }
  await waitFor(t, 'cluster_state:ok on every node', 30_000, async () =>
    (await Promise.all(NODES.map((n) => clusterState(t, n)))).every((s) => s === 'ok'),
  );
}

/** Writes key/value pairs until stopped, counting what Redis acknowledged and what it refused. */
class Writer {
  readonly acknowledged = new Map<string, string>();
  failed = 0;
  #next = 0;
  #stopped = false;
  #done: Promise<void> | undefined;

  constructor(private readonly client: Cluster) {}

  start(): void {
    this.#stopped = false;
    this.#done = this.#loop();
  }

  async #loop(): Promise<void> {
    while (!this.#stopped) {
      const key = `key:${this.#next}`;
      const value = String(this.#next++);
      try {
        await this.client.set(key, value);
        this.acknowledged.set(key, value);
        await sleep(5);
      } catch {
        this.failed++;
        await sleep(100);
      }
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#done;
  }
}

export interface RedisClusterOutcome {
  /** Hosts of the masters the client connected to (followed from CLUSTER SLOTS). */
  masters: string[];
  acknowledged: { before: number; during: number; after: number };
  refusedDuringPartition: number;
  lost: number;
}

export async function redisClusterScenario(t: TestHandle): Promise<RedisClusterOutcome> {
  await formCluster(t);
  // Seeded with one node only: the client learns the others from the nodes' own advertisement.
  const client = new Cluster([{ host: t.network.ipOf('r1'), port: 6379 }], {
    enableOfflineQueue: false,
    retryDelayOnClusterDown: 100,
    maxRedirections: 4,
    slotsRefreshTimeout: 1_000,
    redisOptions: { connectTimeout: 1_000, commandTimeout: 1_000, maxRetriesPerRequest: 0 },
  });
  const writer = new Writer(client);
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('ready', resolve);
      client.once('error', reject);
    });
    const masters = client.nodes('master').map((n) => n.options.host ?? '').sort();
    t.logger.info({ masters }, 'client follows the masters the cluster advertises');

    writer.start();
    await sleep(1_000, undefined, { signal: t.signal });
    const before = writer.acknowledged.size;

    // r3 alone against r1 and r2; the test process still reaches all three.
    const split = t.network.partition.between('r3 cut off', ['r1', 'r2'], 'r3');
    await split.apply();
    await waitFor(t, 'both sides to declare the cluster down', 20_000, async () =>
      (await Promise.all(NODES.map((n) => clusterState(t, n)))).every((s) => s === 'fail'),
    );
    const refusedBefore = writer.failed;
    const ackBefore = writer.acknowledged.size;
    await sleep(2_000, undefined, { signal: t.signal });
    const during = writer.acknowledged.size - ackBefore;
    const refusedDuringPartition = writer.failed - refusedBefore;
    t.logger.info({ refused: refusedDuringPartition, acknowledged: during }, 'cluster down during the partition');

    await split.heal();
    await waitFor(t, 'cluster_state:ok on every node after the heal', 30_000, async () =>
      (await Promise.all(NODES.map((n) => clusterState(t, n)))).every((s) => s === 'ok'),
    );
    const ackAtHeal = writer.acknowledged.size;
    await waitFor(t, 'the client to write again', 15_000, async () => writer.acknowledged.size > ackAtHeal + 50);
    await writer.stop();
    const after = writer.acknowledged.size - ackAtHeal;

    let lost = 0;
    for (const [key, value] of writer.acknowledged) if ((await client.get(key)) !== value) lost++;
    const outcome = { masters, acknowledged: { before, during, after }, refusedDuringPartition, lost };
    t.logger.info(outcome, 'acknowledged writes checked');
    if (lost > 0) throw new Error(`lost ${lost} acknowledged writes`);
    return outcome;
  } finally {
    await writer.stop();
    client.disconnect();
  }
}

export function redisClusterTest(options: TestOptions = {}): Test {
  return new Test('redis_cluster', redisClusterSpec(), { ...options, reach: 'direct' });
}

// Run as a script (not when imported by the e2e suite).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  redisClusterTest()
    .run(async (t) => {
      await redisClusterScenario(t);
    })
    .catch((error: unknown) => {
      if (!(error instanceof TestFailedError)) console.error(error);
      process.exitCode ||= 1;
    });
}
