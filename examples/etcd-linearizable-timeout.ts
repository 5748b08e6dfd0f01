/**
 * The walk-through's middle step: the same isolation, but a *linearizable*
 * read from the isolated member. etcd1 cannot confirm it is up to date without
 * the quorum, so etcd refuses to answer (no stale read) and the read fails with
 * etcd's own "request timed out" after the client's retries.
 *
 *   npx tsx examples/etcd-linearizable-timeout.ts
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Etcd3 } from 'etcd3';
import { Test, TestFailedError, type TestHandle } from '../lib/index.js';
import { etcdCluster } from './etcd-cluster.js';

const test = new Test('etcd_linearizable_timeout', etcdCluster());

async function scenario(t: TestHandle): Promise<void> {
  const clients: Etcd3[] = [];
  try {
    for (const host of ['etcd1', 'etcd2']) {
      const fw = t.network.forwardPort(host, 2379);
      await fw.listen(t.signal);
      clients.push(new Etcd3({ hosts: `http://127.0.0.1:${fw.port()}`, dialTimeout: 5_000 }));
    }
    const [clientA, clientB] = clients as [Etcd3, Etcd3];
    await clientA.put('foo').value('bar');
    t.logger.info({ value: await clientA.get('foo').string() }, 'got foo');

    const isolation = t.network.partition.isolateAZ('leader isolation', 'az1').withNetworkAccess();
    await isolation.apply();
    try {
      t.logger.info('waiting for new leader to be elected');
      await sleep(5_000, undefined, { signal: t.signal });
      await clientB.put('foo').value('baz');
      t.logger.info('updated foo=baz in az2');

      // Linearizable (the default): must go through raft, which etcd1 cannot reach.
      const value = await clientA.get('foo').string();
      if (value !== 'baz') throw new Error(`expected value 'baz', got '${value}'`);
    } finally {
      await isolation.heal();
    }
  } finally {
    for (const client of clients) client.close();
  }
}

test.run(scenario).catch((error: unknown) => {
  if (!(error instanceof TestFailedError)) console.error(error);
  process.exitCode ||= 1;
});
