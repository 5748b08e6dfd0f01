/**
 * Redis + Sentinel loses acknowledged writes in a split brain (the classic
 * Jepsen finding, reproduced on one host).
 *
 * Five nodes run redis-server and redis-sentinel; r1 (az1, with r2) is the
 * initial master, r3..r5 (az2) replicate it. Two writers add numbers to a set:
 * one through az1's sentinels, one through az2's. We isolate az1 (keeping the
 * runner's port forwards), az2's sentinels — a quorum of 3 — promote one of
 * their replicas, and for a while both sides have a master that acknowledges
 * writes. After the heal the old master r1 rejoins as a replica of the new one
 * and throws its own writes away. The scenario compares the acknowledged writes
 * with the final set and fails with "lost N acknowledged writes".
 *
 *   npx tsx examples/redis-lost-writes.ts        (as root)
 *
 * Image: pakostii.local/redis:7 from `npx tsx scripts/build-images.ts --only redis --import`
 * (it carries the empty, writable /etc/redis/sentinel.conf Sentinel needs; an older build
 * without it fails the sentinels' readiness with "can't open config file" in their logs).
 *
 * The sentinels announce node names (announce-hostnames); the host cannot reach
 * nodes by name or IP, so ioredis' natMap maps "rN:6379" to the forwarded port.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { Redis, type NatMap } from 'ioredis';
import { spec, Test, TestFailedError, type TestHandle, type TestOptions } from '../lib/index.js';

export const REDIS_IMAGE = process.env.PAKOSTII_REDIS_IMAGE ?? 'pakostii.local/redis:7';
const MASTER = 'mymaster';
const AZ1 = ['r1', 'r2'];
const AZ2 = ['r3', 'r4', 'r5'];
const NODES = [...AZ1, ...AZ2];

function serverConfig(node: string): string {
  return [
    'port 6379',
    'protected-mode no',
    'save ""',
    'appendonly no',
    // Replicas tell the master (and, through it, the sentinels) their node name.
    `replica-announce-ip ${node}`,
    ...(node === 'r1' ? [] : ['replicaof r1 6379']),
    '',
  ].join('\n');
}

function sentinelConfig(node: string): string {
  return [
    'port 26379',
    'protected-mode no',
    'sentinel resolve-hostnames yes',
    'sentinel announce-hostnames yes',
    `sentinel announce-ip ${node}`,
    // Quorum 3 of 5: az2 alone may fail over, az1 alone may not.
    `sentinel monitor ${MASTER} r1 6379 3`,
    `sentinel down-after-milliseconds ${MASTER} 1000`,
    `sentinel failover-timeout ${MASTER} 4000`,
    `sentinel parallel-syncs ${MASTER} 5`,
    '',
  ].join('\n');
}

export function redisCluster(image = REDIS_IMAGE): spec.ClusterSpec {
  const cluster = spec.newCluster();
  for (const node of NODES) {
    const server = spec
      .newContainer('redis', image)
      .withFile('/etc/redis/redis.conf', serverConfig(node))
      .withCommand(['redis-server', '/etc/redis/redis.conf'])
      .withReadiness(spec.tcpProbe({ port: 6379 }));
    // Sentinel rewrites its config file, so it must be writable: the image has an empty
    // /etc/redis/sentinel.conf; our (read-only) settings are included from it.
    const sentinel = spec
      .newContainer('sentinel', image)
      .withFile('/etc/redis/pakostii-sentinel.conf', sentinelConfig(node))
      .withCommand(['redis-sentinel', '/etc/redis/sentinel.conf', '--include', '/etc/redis/pakostii-sentinel.conf'])
      .withReadiness(spec.tcpProbe({ port: 26379 }));
    cluster.addNode(
      spec
        .newNode(node)
        .withAZ(AZ1.includes(node) ? 'az1' : 'az2')
        .runs(server)
        .runs(sentinel),
    );
  }
  return cluster;
}

interface Forwards {
  redis: Map<string, number>;
  sentinel: Map<string, number>;
}

async function forwardAll(t: TestHandle): Promise<Forwards> {
  const forwards: Forwards = { redis: new Map(), sentinel: new Map() };
  for (const node of NODES) {
    for (const [port, into] of [
      [6379, forwards.redis],
      [26379, forwards.sentinel],
    ] as const) {
      const fw = t.network.forwardPort(node, port);
      await fw.listen(); // closed by pakostii at teardown (no signal: ten forwards would be ten abort listeners)
      into.set(node, fw.port());
    }
  }
  return forwards;
}

/** A sentinel-aware client that only knows the sentinels of `sentinelNodes`. */
function sentinelClient(forwards: Forwards, sentinelNodes: readonly string[]): Redis {
  const natMap: NatMap = {};
  for (const [node, port] of forwards.redis) natMap[`${node}:6379`] = { host: '127.0.0.1', port };
  return new Redis({
    name: MASTER,
    sentinels: sentinelNodes.map((node) => ({ host: '127.0.0.1', port: forwards.sentinel.get(node)! })),
    natMap,
    updateSentinels: false, // sentinels announce node names the host cannot reach
    failoverDetector: true, // follow +switch-master
    sentinelRetryStrategy: () => 200,
    retryStrategy: () => 200,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    commandTimeout: 1_000,
    connectTimeout: 1_000,
    lazyConnect: true,
  });
}

/** Adds numbers to the set until stopped; remembers the ones Redis acknowledged. */
class Writer {
  readonly acknowledged = new Set<number>();
  failed = 0;
  #stopped = false;
  #done: Promise<void> | undefined;

  constructor(
    readonly name: string,
    private readonly client: Redis,
    private readonly numbers: Generator<number>,
  ) {}

  start(): void {
    this.#done = this.#loop();
  }

  async #loop(): Promise<void> {
    while (!this.#stopped) {
      const n = this.numbers.next().value as number;
      try {
        await this.client.sadd('numbers', String(n));
        this.acknowledged.add(n);
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

function* numbers(first: number, step: number): Generator<number> {
  for (let n = first; ; n += step) yield n;
}

async function masterSeenBy(sentinelPort: number): Promise<string | undefined> {
  const sentinel = new Redis({ port: sentinelPort, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, commandTimeout: 1_000 });
  try {
    await sentinel.connect();
    const reply = (await sentinel.call('SENTINEL', 'get-master-addr-by-name', MASTER)) as [string, string] | null;
    return reply?.[0];
  } catch {
    return undefined;
  } finally {
    sentinel.disconnect();
  }
}

async function waitFor<T>(t: TestHandle, what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200, undefined, { signal: t.signal });
  }
}

/** How many other sentinels and replicas a sentinel knows (they discover each other through the master). */
async function sentinelView(sentinelPort: number): Promise<{ sentinels: number; replicas: number }> {
  const sentinel = new Redis({ port: sentinelPort, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, commandTimeout: 1_000 });
  try {
    await sentinel.connect();
    const sentinels = (await sentinel.call('SENTINEL', 'sentinels', MASTER)) as unknown[];
    const replicas = (await sentinel.call('SENTINEL', 'replicas', MASTER)) as unknown[];
    return { sentinels: sentinels.length, replicas: replicas.length };
  } catch {
    return { sentinels: 0, replicas: 0 };
  } finally {
    sentinel.disconnect();
  }
}

/** r1's replication state once it follows `master` and has finished the full resync. */
async function replicaInSync(port: number, master: string): Promise<boolean> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, commandTimeout: 1_000 });
  try {
    await client.connect();
    const info = await client.info('replication');
    return info.includes('role:slave') && info.includes(`master_host:${master}`) && info.includes('master_link_status:up');
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export async function lostWritesScenario(t: TestHandle): Promise<void> {
  const forwards = await forwardAll(t);
  const az1Client = sentinelClient(forwards, AZ1);
  const az2Client = sentinelClient(forwards, AZ2);
  const writers = [new Writer('az1', az1Client, numbers(1, 2)), new Writer('az2', az2Client, numbers(2, 2))];
  try {
    // Without this, az2's sentinels may not know each other yet and cannot reach their quorum.
    await waitFor(t, 'every sentinel to know the 4 others and the 4 replicas', 60_000, async () => {
      const views = await Promise.all(NODES.map((node) => sentinelView(forwards.sentinel.get(node)!)));
      return views.every((v) => v.sentinels === NODES.length - 1 && v.replicas === NODES.length - 1) ? true : undefined;
    });
    await Promise.all([az1Client.connect(), az2Client.connect()]);
    for (const writer of writers) writer.start();
    await sleep(1_000, undefined, { signal: t.signal });

    // az1 (r1, the master, and r2) drops off; our forwards keep reaching it.
    const split = t.network.partition.isolateAZ('az1 split', 'az1').withNetworkAccess();
    await split.apply();
    t.logger.info('az1 isolated; waiting for az2 sentinels to elect a new master');
    const newMaster = await waitFor(t, 'a new master in az2', 30_000, async () => {
      const seen = await masterSeenBy(forwards.sentinel.get('r3')!);
      return seen && seen !== 'r1' ? seen : undefined;
    });
    t.logger.info({ new_master: newMaster, old_master: 'r1' }, 'split brain: two masters accept writes');
    await sleep(3_000, undefined, { signal: t.signal });

    await split.heal();
    t.logger.info('healed; waiting for r1 to rejoin as a replica');
    await waitFor(t, `r1 to resync from ${newMaster}`, 30_000, async () =>
      (await replicaInSync(forwards.redis.get('r1')!, newMaster)) ? true : undefined,
    );
    await sleep(1_000, undefined, { signal: t.signal });
    await Promise.all(writers.map((w) => w.stop()));

    const reader = new Redis({ port: forwards.redis.get(newMaster)!, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
    let final: Set<number>;
    try {
      await reader.connect();
      final = new Set((await reader.smembers('numbers')).map(Number));
    } finally {
      reader.disconnect();
    }
    const lost = writers.flatMap((w) => [...w.acknowledged].filter((n) => !final.has(n)));
    t.logger.info(
      {
        acknowledged: Object.fromEntries(writers.map((w) => [w.name, w.acknowledged.size])),
        failed: Object.fromEntries(writers.map((w) => [w.name, w.failed])),
        final: final.size,
        lost: lost.length,
      },
      'writes compared',
    );
    if (lost.length > 0) throw new Error(`lost ${lost.length} acknowledged writes`);
  } finally {
    await Promise.all(writers.map((w) => w.stop()));
    az1Client.disconnect();
    az2Client.disconnect();
  }
}

export function redisLostWritesTest(options: TestOptions = {}): Test {
  return new Test('redis_lost_writes', redisCluster(), options);
}

// Run as a script (not when imported by the e2e suite).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  redisLostWritesTest()
    .run(lostWritesScenario)
    .catch((error: unknown) => {
      // pakostii has logged "test failed" with the reason; the artifacts keep the redis logs.
      if (!(error instanceof TestFailedError)) console.error(error);
      process.exitCode ||= 1;
    });
}
