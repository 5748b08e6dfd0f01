/**
 * The cluster of the getting-started walk-through, shared by the etcd
 * examples: three etcd members, etcd1 alone in az1, etcd2 and etcd3 in az2.
 */
import { spec } from '../lib/index.js';

export const ETCD_IMAGE = process.env.PAKOSTII_ETCD_IMAGE ?? 'pakostii.local/etcd:3.4';

export function etcdCluster(image = ETCD_IMAGE): spec.ClusterSpec {
  // The node name is also its hostname inside the cluster network.
  const hosts = ['etcd1', 'etcd2', 'etcd3'];
  const cluster = spec.newCluster();
  hosts.forEach((host, i) =>
    cluster.addNode(
      spec
        .newNode(host)
        .withAZ(i === 0 ? 'az1' : 'az2')
        .runs(spec.etcd('etcd', image, { name: host, runsOnHost: host, clusterHosts: hosts })),
    ),
  );
  return cluster;
}
