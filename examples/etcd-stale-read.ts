/**
 * The getting-started walk-through: isolate the etcd member in az1 (keeping the
 * runner's access to it), write through the majority, then read from the
 * isolated member with a *serializable* read. It answers from its own stale
 * state, so the test fails with: expected value 'baz', got 'bar'.
 *
 *   npx tsx examples/etcd-stale-read.ts        (as root; see `npm run demo`)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Etcd3 } from 'etcd3';
import { Test, TestFailedError, type TestHandle } from '../lib/index.js';
import { etcdCluster } from './etcd-cluster.js';

const test = new Test('etcd_stale_read', etcdCluster());

async function scenario(t: TestHandle): Promise<void> {
  const clients: Etcd3[] = [];
  try {
    for (const host of ['etcd1', 'etcd2']) {
      const fw = t.network.forwardPort(host, 2379);
      await fw.listen(t.signal); // closed by pakostii at teardown (or call fw.close())
      clients.push(new Etcd3({ hosts: `http://127.0.0.1:${fw.port()}`, dialTimeout: 5_000 }));
    }
    const [clientA, clientB] = clients as [Etcd3, Etcd3];

    await clientA.put('foo').value('bar');
    t.logger.info({ value: await clientA.get('foo').string() }, 'got foo');

    // etcd1 is alone in az1: cut it from etcd2/etcd3, but keep our port forward working.
    const isolation = t.network.partition.isolateAZ('leader isolation', 'az1').withNetworkAccess();
    await isolation.apply();
    try {
      t.logger.info('waiting for new leader to be elected');
      await sleep(5_000, undefined, { signal: t.signal });

      await clientB.put('foo').value('baz');
      t.logger.info('updated foo=baz in az2');

      // Serializable: etcd1 answers from its local state without asking the quorum.
      const value = await clientA.get('foo').serializable(true).string();
      if (value !== 'baz') throw new Error(`expected value 'baz', got '${value}'`);
    } finally {
      await isolation.heal();
    }
  } finally {
    for (const client of clients) client.close();
  }
}

test.run(scenario).catch((error: unknown) => {
  // pakostii has logged "test failed" with the reason; the artifacts keep the etcd logs.
  if (!(error instanceof TestFailedError)) console.error(error);
  process.exitCode ||= 1;
});
