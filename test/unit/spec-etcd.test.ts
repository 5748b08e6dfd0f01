import { describe, expect, it } from 'vitest';
import { spec, SpecError } from '../../lib/index.js';

const hosts = ['etcd1', 'etcd2', 'etcd3'];

describe('spec.etcd', () => {
  const member = spec.etcd('etcd', 'pakostii.local/etcd:3.4', { name: 'etcd2', runsOnHost: 'etcd2', clusterHosts: hosts });

  it('configures a member of a new static cluster like the Go helper', () => {
    expect(member.name).toBe('etcd');
    expect(member.image).toBe('pakostii.local/etcd:3.4');
    expect(member.env).toMatchObject({
      ETCD_NAME: 'etcd2',
      ETCD_INITIAL_CLUSTER: 'etcd1=http://etcd1:2380,etcd2=http://etcd2:2380,etcd3=http://etcd3:2380',
      ETCD_INITIAL_CLUSTER_STATE: 'new',
      ETCD_LISTEN_PEER_URLS: 'http://0.0.0.0:2380',
      ETCD_INITIAL_ADVERTISE_PEER_URLS: 'http://etcd2:2380',
      ETCD_LISTEN_CLIENT_URLS: 'http://0.0.0.0:2379',
      ETCD_ADVERTISE_CLIENT_URLS: 'http://etcd2:2379',
    });
    expect(member.env.ETCD_INITIAL_CLUSTER_TOKEN).toMatch(/\S/);
    expect(member.env.ETCD_DATA_DIR?.startsWith('/')).toBe(true);
  });

  it('uses the same cluster token for every member', () => {
    const other = spec.etcd('etcd', 'pakostii.local/etcd:3.4', { name: 'etcd1', runsOnHost: 'etcd1', clusterHosts: hosts });
    expect(other.env.ETCD_INITIAL_CLUSTER_TOKEN).toBe(member.env.ETCD_INITIAL_CLUSTER_TOKEN);
  });

  it('is ready when GET /health on the client port answers 200 (etcd 3.4 and 3.6)', () => {
    expect(member.readiness).toMatchObject({ kind: 'http', port: 2379, path: '/health', method: 'GET', expectStatus: 200 });
  });

  it('rejects a member whose host is not in the cluster, duplicates, and bad names', () => {
    const image = 'pakostii.local/etcd:3.4';
    expect(() => spec.etcd('etcd', image, { name: 'etcd4', runsOnHost: 'etcd4', clusterHosts: hosts })).toThrow(
      /runsOnHost "etcd4" is not in clusterHosts/,
    );
    expect(() => spec.etcd('etcd', image, { name: 'e', runsOnHost: 'etcd1', clusterHosts: ['etcd1', 'etcd1'] })).toThrow(
      /lists a node twice/,
    );
    expect(() => spec.etcd('etcd', image, { name: 'a,b', runsOnHost: 'etcd1', clusterHosts: hosts })).toThrow(SpecError);
    expect(() => spec.etcd('etcd', image, { name: 'e', runsOnHost: 'etcd1', clusterHosts: [] })).toThrow(/clusterHosts/);
    expect(() => spec.etcd('etcd', image, { name: 'e', runsOnHost: 'Etcd_1', clusterHosts: hosts })).toThrow(/runsOnHost/);
  });
});
