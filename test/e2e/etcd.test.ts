/**
 * The walk-through's cluster with a real etcd client (etcd3 npm) through port
 * forwards: reads and writes work, isolating the leader's AZ stops writes
 * through the isolated member, healing restores them.
 */
import { Etcd3 } from 'etcd3';
import { describe, expect, it } from 'vitest';
import { spec, Test } from '../../lib/index.js';
import { captureLogger, ETCD } from './support.js';
import { expectNoLeaks } from '../helpers/leak-audit.js';

function etcdCluster() {
  const hosts = ['etcd1', 'etcd2', 'etcd3'];
  const cluster = spec.newCluster();
  hosts.forEach((host, i) =>
    cluster.addNode(spec.newNode(host).withAZ(i === 0 ? 'az1' : 'az2').runs(spec.etcd('etcd', ETCD, { name: host, runsOnHost: host, clusterHosts: hosts }))),
  );
  return cluster;
}

describe('etcd through pakostii', () => {
  it('port forwards carry an etcd client; isolation blocks writes through etcd1 and heal restores them', async () => {
    const { logger, lines } = captureLogger();
    const clients: Etcd3[] = [];
    const result = await new Test('etcd_heal', etcdCluster(), { logger }).run(async (t) => {
      try {
        for (const host of ['etcd1', 'etcd2']) {
          const fw = t.network.forwardPort(host, 2379);
          await fw.listen(t.signal);
          clients.push(new Etcd3({ hosts: `http://127.0.0.1:${fw.port()}`, dialTimeout: 5000 }));
        }
        const [a, b] = clients as [Etcd3, Etcd3];
        await a.put('foo').value('bar');
        expect(await b.get('foo').string()).toBe('bar');
        const health = await t.http.get('http://etcd3:2379/health', { timeoutMs: 5000 });
        expect(JSON.parse(health.body)).toMatchObject({ health: 'true' });
        const members = await t.exec.inContainer('etcd1', 'etcd', 'etcdctl', '--endpoints=http://127.0.0.1:2379', 'member', 'list');
        expect(members.stdout.split('\n').filter(Boolean)).toHaveLength(3);

        const iso = t.network.partition.isolateAZ('etcd1 alone', 'az1').withNetworkAccess();
        await iso.apply();
        // The majority side still accepts writes (after electing a leader if etcd1 led).
        // (Pauses between attempts: the client's circuit breaker fails fast for 5 s after 3 errors.)
        const eventually = async (attempt: () => Promise<unknown>, ms: number) => {
          for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 1000))) {
            if (await attempt().then(() => true, () => false)) return true;
          }
          return false;
        };
        const wrote = await eventually(() => b.put('foo').value('baz').options({ deadline: Date.now() + 2000 }).exec(), 30_000);
        expect(wrote).toBe(true);
        // etcd1 cannot commit anything.
        await expect(a.put('x').value('1').options({ deadline: Date.now() + 3000 })).rejects.toThrow();
        await iso.heal();
        const healed = await eventually(() => a.put('x').value('2').options({ deadline: Date.now() + 2000 }).exec(), 30_000);
        expect(healed).toBe(true);
        expect(await a.get('foo').string()).toBe('baz');
      } finally {
        for (const c of clients) c.close();
      }
    });
    const ready = lines.find((l) => l.msg === 'runtime ready');
    console.log(`3-node etcd: run() → test function in ${result.readyMs} ms (runtime ready at ${String(ready?.ready_ms)} ms)`);
    await expectNoLeaks(result.id);
  });
});
