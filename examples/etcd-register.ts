/**
 * Jepsen's etcd register test on one host: five etcd members, ten clients doing
 * read / write / compare-and-set on a few keys through the `etcd3` client,
 * random partitions and kills for ~30 s, then a heal, a recovery pause and
 * final reads. The history (history.jsonl, history.edn) goes to the run's
 * artifacts; the linearizability checker (one register per key) decides, and
 * a non-linearizable history fails the test with the counterexample.
 *
 *   npx tsx examples/etcd-register.ts                   (linearizable reads)
 *   npx tsx examples/etcd-register.ts --serializable    (member-local reads: stale while partitioned)
 *   PAKOSTII_SEED=… npx tsx examples/etcd-register.ts   (replay the choices of a run)
 *
 * With serializable reads a member cut off from the majority keeps answering
 * reads from its own, stale state, so the register is not linearizable.
 */
import { pathToFileURL } from 'node:url';
import { noop } from 'cockatiel';
import { Etcd3 } from 'etcd3';
import { gen, linearizable, nemesis, registerModel, spec, Test, TestFailedError, type Checker, type Client, type GenContext, type Generator, type TestHandle, type TestOptions, type WorkloadResult } from '../lib/index.js';
import { ETCD_IMAGE } from './etcd-cluster.js';

export const HOSTS = ['etcd1', 'etcd2', 'etcd3', 'etcd4', 'etcd5'];
/** Keys in use at a time; after `opsPerKeys` operations the workload moves on to three fresh keys. */
export const KEYS_AT_A_TIME = 3;

export interface RegisterOptions {
  /** 'serializable' reads answer from the member's own state (default 'linearizable'). */
  reads?: 'linearizable' | 'serializable';
  /** How long clients and nemesis run (default 30 s). */
  durationMs?: number;
  /** Total operation rate (default 40/s). */
  rate?: number;
  /**
   * Operations per group of keys (default 120): like Jepsen's independent keys, a
   * fresh group keeps each key's history short enough for a linearizability checker.
   */
  opsPerKeys?: number;
  seed?: number | string;
  /** Default: linearizability of a read/write/cas register per key. */
  checker?: Checker;
  /** Called with the workload's result (history, verdicts) before the test function returns. */
  onResult?: (result: WorkloadResult) => void;
}

export function registerCluster(image = ETCD_IMAGE): spec.ClusterSpec {
  const cluster = spec.newCluster();
  for (const host of HOSTS) cluster.addNode(spec.newNode(host).runs(spec.etcd('etcd', image, { name: host, runsOnHost: host, clusterHosts: HOSTS })));
  return cluster;
}

/** Each key is an independent register: the checker looks at one key at a time. */
export const registerPerKey = linearizable({ model: { ...registerModel, partition: (op) => op.key ?? '' }, timeoutMs: 120_000 });

/** Values are small integers; Jepsen's nil (no value yet) is null. */
const parse = (text: string | null): number | null => (text === null ? null : Number(text));

/** The client adapter: one Etcd3 client per process, no retries (a retried write would lie in the history). */
function etcdClient(ports: Map<string, number>, reads: 'linearizable' | 'serializable', timeoutMs: number): Client<Etcd3> {
  return {
    open: (node) =>
      new Etcd3({
        hosts: `http://127.0.0.1:${ports.get(node)!}`,
        dialTimeout: timeoutMs,
        faultHandling: { host: () => noop, global: noop },
        defaultCallOptions: () => ({ deadline: Date.now() + timeoutMs }),
      }),
    invoke: async (etcd, op) => {
      const key = op.key!;
      try {
        if (op.f === 'read') return { type: 'ok', value: parse(await etcd.get(key).serializable(reads === 'serializable').string()) };
        if (op.f === 'write') {
          await etcd.put(key).value(String(op.value));
          return { type: 'ok' };
        }
        const [from, to] = op.value as [number, number];
        const txn = await etcd.if(key, 'Value', '==', String(from)).then(etcd.put(key).value(String(to))).commit();
        return txn.succeeded ? { type: 'ok' } : { type: 'fail', error: 'value differs' };
      } catch (error) {
        // A read changes nothing: failing it is always safe. A write or cas may have happened.
        return { type: op.f === 'read' ? 'fail' : 'info', error: (error as Error).message.split('\n')[0] };
      }
    },
    close: (etcd) => etcd.close(),
  };
}

/**
 * Jepsen's register mix: reads, writes of 0–4, cas from one small value to
 * another, on a random key of the current group. `used` collects the keys.
 */
function registerOps(opsPerKeys: number, used: Set<string>): Generator {
  let issued = 0;
  const key = (ctx: GenContext): string => {
    const name = `r${Math.floor(issued++ / opsPerKeys) * KEYS_AT_A_TIME + ctx.random.int(KEYS_AT_A_TIME)}`;
    used.add(name);
    return name;
  };
  return gen.mix([
    (ctx: GenContext) => ({ f: 'read', key: key(ctx), value: null }),
    (ctx: GenContext) => ({ f: 'write', key: key(ctx), value: ctx.random.int(5) }),
    (ctx: GenContext) => ({ f: 'cas', key: key(ctx), value: [ctx.random.int(5), ctx.random.int(5)] }),
  ]);
}

/** A thread's final reads: every key the workload used, once (a hand-written generator; `fresh` makes one per thread). */
function finalReads(used: ReadonlySet<string>): Generator {
  let next = 0;
  return {
    next: () => {
      const keys = [...used];
      return next < keys.length ? { f: 'read', key: keys[next++]!, value: null } : undefined;
    },
    fresh: () => finalReads(used),
  };
}

export function registerScenario(options: RegisterOptions = {}): (t: TestHandle) => Promise<void> {
  const reads = options.reads ?? 'linearizable';
  return async (t) => {
    const ports = new Map<string, number>();
    for (const host of HOSTS) {
      const forward = t.network.forwardPort(host, 2379);
      await forward.listen();
      ports.set(host, forward.port());
    }
    const used = new Set<string>();
    const result = await t.workload({
      concurrency: 10,
      client: etcdClient(ports, reads, 1_000),
      generator: gen.timeLimit(options.durationMs ?? 30_000, gen.stagger(options.rate ?? 40, registerOps(options.opsPerKeys ?? 120, used))),
      nemesis: nemesis.compose(
        // A member cut off alone (or in the smaller half) keeps serving serializable reads.
        nemesis.partitions({ shapes: ['isolateNode', 'randomHalves'], everyMs: 3_000, jitterMs: 1_000, durationMs: 5_000 }),
        nemesis.kills({ everyMs: 10_000, jitterMs: 3_000, durationMs: 3_000 }),
      ),
      recoveryMs: 5_000,
      // Every thread reads every key once the cluster has healed.
      final: gen.each(finalReads(used)),
      opTimeoutMs: 1_500,
      ...(options.seed === undefined ? {} : { seed: options.seed }),
      checker: options.checker ?? registerPerKey,
    });
    options.onResult?.(result);
  };
}

export function etcdRegisterTest(testOptions: TestOptions = {}, reads: RegisterOptions['reads'] = 'linearizable'): Test {
  return new Test(`etcd_register_${reads}`, registerCluster(), testOptions);
}

// Run as a script (not when imported by the e2e suite).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const reads = process.argv.includes('--serializable') ? 'serializable' : 'linearizable';
  etcdRegisterTest({}, reads)
    .run(registerScenario({ reads }))
    .catch((error: unknown) => {
      if (!(error instanceof TestFailedError)) console.error(error);
      process.exitCode ||= 1;
    });
}
