/** The `spec` namespace of the public API: cluster, node and service builders, probes, helpers. */
export { newCluster, ClusterSpec } from './cluster.js';
export { newNode, NodeSpec, DEFAULT_AZ } from './node.js';
export { newContainer, ContainerSpec, type FileContent } from './container.js';
export {
  httpProbe,
  tcpProbe,
  execProbe,
  logProbe,
  type LogProbe,
  type LogProbeOptions,
  type Probe,
  type HttpProbe,
  type TcpProbe,
  type ExecProbe,
  type HttpProbeOptions,
  type HttpMethod,
} from './probes.js';
export { etcd, type EtcdConfig, ETCD_CLIENT_PORT, ETCD_PEER_PORT } from './etcd.js';
