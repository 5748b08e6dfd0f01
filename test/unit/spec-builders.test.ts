import { describe, expect, it } from 'vitest';
import { spec, SpecError, Test } from '../../lib/index.js';

const IMAGE = 'pakostii.local/busybox:latest';

describe('container spec builder', () => {
  it('is immutable: every with… returns a new spec and leaves the original unchanged', () => {
    const base = spec.newContainer('app', IMAGE);
    const withEnv = base.withEnv('A', '1');
    const withFile = withEnv.withFile('/etc/app.conf', 'x=1');
    const withCmd = withFile.withCommand(['sleep', '3600']);
    const withProbe = withCmd.withReadiness(spec.tcpProbe({ port: 80 }));
    const delayed = withProbe.withStartDelay(500);

    expect(base.env).toEqual({});
    expect(base.files.size).toBe(0);
    expect(base.command).toBeUndefined();
    expect(base.readiness).toBeUndefined();
    expect(base.startDelayMs).toBe(0);
    expect(withEnv.env).toEqual({ A: '1' });
    expect(withEnv.files.size).toBe(0);
    expect(withFile.files.get('/etc/app.conf')).toBe('x=1');
    expect(withFile.command).toBeUndefined();
    expect(withCmd.command).toEqual(['sleep', '3600']);
    expect(delayed.readiness).toEqual(withProbe.readiness);
    expect(delayed.startDelayMs).toBe(500);
    expect(withProbe.startDelayMs).toBe(0);
    expect(new Set([base, withEnv, withFile, withCmd, withProbe, delayed]).size).toBe(6);
  });

  it('freezes what it exposes', () => {
    const c = spec.newContainer('app', IMAGE).withEnv('A', '1').withCommand(['a']);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.env)).toBe(true);
    expect(Object.isFrozen(c.command)).toBe(true);
    expect(() => ((c.env as Record<string, string>).B = '2')).toThrow(TypeError);
  });

  it('copies argv and binary content so later mutation of the caller array does not leak in', () => {
    const argv = ['sleep', '1'];
    const bytes = new Uint8Array([1, 2, 3]);
    const c = spec.newContainer('app', IMAGE).withCommand(argv).withFile('/bin.dat', bytes);
    argv[1] = '999';
    bytes[0] = 9;
    expect(c.command).toEqual(['sleep', '1']);
    expect([...(c.files.get('/bin.dat') as Uint8Array)]).toEqual([1, 2, 3]);
  });

  it('later withEnv/withFile of the same key replaces the value', () => {
    const c = spec.newContainer('app', IMAGE).withEnv('A', '1').withEnv('A', '2').withFile('/f', 'a').withFile('/f', 'b');
    expect(c.env).toEqual({ A: '2' });
    expect(c.files.get('/f')).toBe('b');
  });
});

describe('node spec builder', () => {
  it('is immutable: withAZ and runs return new nodes', () => {
    const a = spec.newContainer('a', IMAGE);
    const b = spec.newContainer('b', IMAGE);
    const n0 = spec.newNode('n1');
    const n1 = n0.withAZ('az1');
    const n2 = n1.runs(a);
    const n3 = n2.runs(b);
    expect(n0.az).toBe(spec.DEFAULT_AZ);
    expect(n1.az).toBe('az1');
    expect(n1.services).toEqual([]);
    expect(n2.services.map((s) => s.name)).toEqual(['a']);
    expect(n3.services.map((s) => s.name)).toEqual(['a', 'b']);
    expect(Object.isFrozen(n3.services)).toBe(true);
  });
});

describe('cluster spec', () => {
  it('addNode mutates the cluster and returns it (Go-style collector)', () => {
    const cluster = spec.newCluster();
    const returned = cluster.addNode(spec.newNode('n1'));
    expect(returned).toBe(cluster);
    cluster.addNode(spec.newNode('n2')).addNode(spec.newNode('n3'));
    expect(cluster.nodes.map((n) => n.name)).toEqual(['n1', 'n2', 'n3']);
  });

  it('nodes is a copy: changing it does not change the cluster', () => {
    const cluster = spec.newCluster().addNode(spec.newNode('n1'));
    (cluster.nodes as unknown as unknown[]).push('x');
    expect(cluster.nodes).toHaveLength(1);
  });

  it('new Test() snapshots the cluster: nodes added later do not join that test', () => {
    const cluster = spec.newCluster().addNode(spec.newNode('n1'));
    const test = new Test('snap', cluster);
    cluster.addNode(spec.newNode('n2'));
    expect(test).toBeInstanceOf(Test);
    // A later Test sees both; the first one was validated against one node only.
    expect(() => new Test('snap2', cluster)).not.toThrow();
    expect(cluster.nodes).toHaveLength(2);
  });

  it('the Go walk-through spec builds', () => {
    const hosts = ['etcd1', 'etcd2', 'etcd3'];
    const cluster = spec.newCluster();
    hosts.forEach((host, i) =>
      cluster.addNode(
        spec
          .newNode(host)
          .withAZ(i === 0 ? 'az1' : 'az2')
          .runs(spec.etcd('etcd', 'pakostii.local/etcd:3.4', { name: host, runsOnHost: host, clusterHosts: hosts })),
      ),
    );
    expect(cluster.nodes.map((n) => [n.name, n.az, n.services[0]?.name])).toEqual([
      ['etcd1', 'az1', 'etcd'],
      ['etcd2', 'az2', 'etcd'],
      ['etcd3', 'az2', 'etcd'],
    ]);
    expect(() => new Test('etcd_stale_read', cluster)).not.toThrow();
  });

  it('rejects things that are not specs with SpecError', () => {
    expect(() => spec.newCluster().addNode({ name: 'x' } as never)).toThrow(SpecError);
    expect(() => spec.newNode('n').runs({ name: 'x' } as never)).toThrow(SpecError);
  });
});
