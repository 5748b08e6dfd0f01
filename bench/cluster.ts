/**
 * Real-cluster start-up and teardown: the getting-started 3-node etcd cluster
 * (pakostii.local/etcd:3.4, already imported) through Test.run(). Ready time =
 * from calling run() to the test function starting (network, containers and
 * every readiness probe passed); teardown = from the test function returning
 * to run() resolving (containers, snapshots, network removed).
 */
import { Test } from '../lib/index.js';
// The walk-through's cluster (etcd1 in az1, etcd2/etcd3 in az2), as users run it.
import { ETCD_IMAGE, etcdCluster } from '../examples/etcd-cluster.js';
import { ContainerdClient } from '../lib/containerd/index.js';
import { BENCH_ARTIFACTS, quietLogger } from './clusters.js';
import { run } from './exec.js';
import { ROOT } from './helpers.js';

export interface ClusterResult {
  etcd3_ready_ms: number;
  teardown_ms: number;
  /** Same ready time as reported by the runtime (TestResult.readyMs). */
  runtime_ready_ms: number;
}

/** Imports the etcd image when containerd does not have it (not timed: "images already present"). */
export async function ensureEtcdImage(): Promise<void> {
  const client = await ContainerdClient.connect({});
  try {
    if ((await client.getImage(ETCD_IMAGE)) !== undefined) return;
  } finally {
    client.close();
  }
  if (ETCD_IMAGE !== 'pakostii.local/etcd:3.4') throw new Error(`image ${ETCD_IMAGE} is not in containerd; import it first`);
  process.stderr.write(`bench: ${ETCD_IMAGE} missing, building and importing it (scripts/build-images.ts)\n`);
  await run(['npx', 'tsx', `${ROOT}/scripts/build-images.ts`, '--only', 'etcd', '--import'], { timeoutMs: 600_000 });
}

export async function runCluster(): Promise<ClusterResult> {
  await ensureEtcdImage();
  let fnStarted = 0n;
  let fnEnded = 0n;
  const test = new Test('bench_etcd3', etcdCluster(), { logger: quietLogger(), artifactsDir: BENCH_ARTIFACTS });
  const start = process.hrtime.bigint();
  const result = await test.run(() => {
    fnStarted = process.hrtime.bigint();
    fnEnded = process.hrtime.bigint();
  });
  const end = process.hrtime.bigint();
  return {
    etcd3_ready_ms: Math.round(Number(fnStarted - start) / 1e6),
    teardown_ms: Math.round(Number(end - fnEnded) / 1e6),
    runtime_ready_ms: result.readyMs,
  };
}
