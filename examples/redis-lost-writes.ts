/**
 * Redis + Sentinel loses acknowledged writes in a split brain (the classic
 * Jepsen finding, reproduced on one host).
 *
 * Five nodes run redis-server and redis-sentinel; r1 (az1, with r2) is the
 * initial master, r3..r5 (az2) replicate it. A workload of four clients adds
 * unique numbers to a set: two through az1's sentinels, two through az2's. The
 * nemesis isolates az1 (keeping the runner's port forwards); az2's sentinels —
 * a quorum of 3 — promote one of their replicas, and for a while both sides
 * have a master that acknowledges writes. After the heal the old master r1
 * rejoins as a replica of the new one and throws its own writes away. Every
 * thread reads the set at the end; the checker compares it with the
 * acknowledged adds, and the run fails with "set: lost N acknowledged writes".
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
import { gen, spec, Test, TestFailedError, type Checker, type Client, type GenContext, type Nemesis, type TestHandle, type TestOptions } from '../lib/index.js';

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

/**
 * The client adapter: a process on r1/r2 writes through az1's sentinels, one on
 * r3–r5 through az2's, so both sides of the split have a writer.
 */
function setClient(forwards: Forwards): Client<Redis> {
  return {
    open: async (node) => {
      const redis = sentinelClient(forwards, AZ1.includes(node) ? AZ1 : AZ2);
      await redis.connect();
      return redis;
    },
    invoke: async (redis, op) => {
      try {
        if (op.f === 'add') {
          await redis.sadd('numbers', String(op.value));
          return { type: 'ok' };
        }
        return { type: 'ok', value: (await redis.smembers('numbers')).map(Number) };
      } catch (error) {
        const message = (error as Error).message;
        // Not sent at all (no connection, read-only replica) → fail; no answer in time → unknown.
        return { type: /timed out/i.test(message) ? 'info' : 'fail', error: message };
      }
    },
    close: (redis) => void redis.disconnect(),
  };
}

/** Isolate az1 (old master r1 and r2) once, from `startMs` for `holdMs`; the runner keeps reaching every node. */
function splitAz1(t: TestHandle, startMs: number, holdMs: number): Nemesis {
  const split = t.network.partition.isolateAZ('az1 split', 'az1').withNetworkAccess();
  return {
    name: 'az1 split',
    schedule: () => {
      let zero = -1;
      const plan = [
        { f: 'start-partition', value: 'az1', at: startMs },
        { f: 'stop-partition', value: 'az1', at: startMs + holdMs },
      ];
      return gen.toGenerator((ctx: GenContext) => {
        if (zero < 0) zero = ctx.time;
        const next = plan.shift();
        return next && { ...next, at: zero + next.at * 1e6 };
      });
    },
    invoke: (op) => (op.f === 'start-partition' ? split.apply() : split.heal()),
    heal: async () => {
      if (split.active) await split.heal();
    },
  };
}

/** Every acknowledged add must be in the final read; lost ones make the history invalid. */
export const lostWritesChecker: Checker = {
  name: 'set',
  check(history) {
    const acknowledged = history.filter((e) => e.f === 'add' && e.type === 'ok').map((e) => e.value as number);
    const final = history.filter((e) => e.f === 'read' && e.type === 'ok').at(-1);
    if (final === undefined) return { valid: 'unknown', summary: 'no final read succeeded' };
    const present = new Set(final.value as number[]);
    const lost = acknowledged.filter((n) => !present.has(n));
    return {
      valid: lost.length === 0,
      summary: lost.length === 0 ? `all ${acknowledged.length} acknowledged writes present` : `lost ${lost.length} acknowledged writes (of ${acknowledged.length})`,
      acknowledged: acknowledged.length,
      lost: lost.slice(0, 100),
    };
  },
};

export async function lostWritesScenario(t: TestHandle): Promise<void> {
  const forwards = await forwardAll(t);
  // Without this, az2's sentinels may not know each other yet and cannot reach their quorum.
  await waitFor(t, 'every sentinel to know the 4 others and the 4 replicas', 60_000, async () => {
    const views = await Promise.all(NODES.map((node) => sentinelView(forwards.sentinel.get(node)!)));
    return views.every((v) => v.sentinels === NODES.length - 1 && v.replicas === NODES.length - 1) ? true : undefined;
  });
  let next = 0;
  await t.workload({
    concurrency: 4,
    nodes: ['r1', 'r3'], // two writers on each side
    client: setClient(forwards),
    // 13 s of unique adds; az1 is cut off from 1 s to 11 s: az2's sentinels promote a replica
    // while r1 keeps acknowledging writes, until it rejoins as a replica and drops them.
    generator: gen.timeLimit(13_000, gen.stagger(300, () => ({ f: 'add', value: next++ }))),
    nemesis: splitAz1(t, 1_000, 10_000),
    recoveryMs: 8_000, // r1 resyncs from the new master
    final: gen.each({ f: 'read' }),
    opTimeoutMs: 1_000,
    checker: lostWritesChecker,
  });
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
