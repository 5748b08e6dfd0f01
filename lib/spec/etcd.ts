/**
 * spec.etcd(): an etcd member configured like the Go helper, through ETCD_*
 * environment variables (works with etcd 3.4, Debian's, and 3.6).
 */
import { SpecError } from '../errors.js';
import { newContainer, type ContainerSpec } from './container.js';
import { httpProbe } from './probes.js';
import { checkNodeName } from './rules.js';

export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;
/** Fixed so every member of a test's cluster agrees on it. */
export const ETCD_CLUSTER_TOKEN = 'pakostii-etcd-cluster';
/** Inside the container's own rootfs snapshot: removed with the container. */
export const ETCD_DATA_DIR = '/var/lib/etcd';

export interface EtcdConfig {
  /** Member name (ETCD_NAME), usually the node's name. */
  name: string;
  /** Node this member runs on: its hostname goes into the advertised URLs. */
  runsOnHost: string;
  /** Nodes of every member, for the initial cluster. */
  clusterHosts: string[];
}

export function etcd(name: string, image: string, config: EtcdConfig): ContainerSpec {
  const where = `etcd(${JSON.stringify(name)})`;
  if (config === null || typeof config !== 'object') {
    throw new SpecError(`${where}: config must be an object`, { hint: '{ name, runsOnHost, clusterHosts }' });
  }
  if (typeof config.name !== 'string' || config.name.length === 0 || /[\s,=]/.test(config.name)) {
    throw new SpecError(`${where}: member name ${JSON.stringify(config.name)} must be non-empty without spaces, "," or "="`, {
      hint: 'use the node name, e.g. "etcd1"',
    });
  }
  checkNodeName(config.runsOnHost, `${where}: runsOnHost`);
  if (!Array.isArray(config.clusterHosts) || config.clusterHosts.length === 0) {
    throw new SpecError(`${where}: clusterHosts must list the node of every member`, { hint: 'e.g. ["etcd1", "etcd2", "etcd3"]' });
  }
  config.clusterHosts.forEach((host) => checkNodeName(host, `${where}: clusterHosts`));
  if (new Set(config.clusterHosts).size !== config.clusterHosts.length) {
    throw new SpecError(`${where}: clusterHosts lists a node twice: ${JSON.stringify(config.clusterHosts)}`, {
      hint: 'list each member node once',
    });
  }
  if (!config.clusterHosts.includes(config.runsOnHost)) {
    throw new SpecError(`${where}: runsOnHost ${JSON.stringify(config.runsOnHost)} is not in clusterHosts ${JSON.stringify(config.clusterHosts)}`, {
      hint: 'the member itself must be part of the initial cluster',
    });
  }
  // Member names in ETCD_INITIAL_CLUSTER must equal each member's ETCD_NAME: like the
  // Go helper, a member on host h is named h in the initial cluster.
  const initialCluster = config.clusterHosts.map((host) => `${host}=http://${host}:${ETCD_PEER_PORT}`).join(',');
  let member = newContainer(name, image)
    .withEnv('ETCD_NAME', config.name)
    .withEnv('ETCD_DATA_DIR', ETCD_DATA_DIR)
    .withEnv('ETCD_INITIAL_CLUSTER', initialCluster)
    .withEnv('ETCD_INITIAL_CLUSTER_STATE', 'new')
    .withEnv('ETCD_INITIAL_CLUSTER_TOKEN', ETCD_CLUSTER_TOKEN)
    .withEnv('ETCD_LISTEN_PEER_URLS', `http://0.0.0.0:${ETCD_PEER_PORT}`)
    .withEnv('ETCD_INITIAL_ADVERTISE_PEER_URLS', `http://${config.runsOnHost}:${ETCD_PEER_PORT}`)
    .withEnv('ETCD_LISTEN_CLIENT_URLS', `http://0.0.0.0:${ETCD_CLIENT_PORT}`)
    .withEnv('ETCD_ADVERTISE_CLIENT_URLS', `http://${config.runsOnHost}:${ETCD_CLIENT_PORT}`)
    .withReadiness(
      // /health answers 200 {"health":"true"} on 3.4 and 3.6 once the member has a leader
      // (/readyz, used by the Go helper, only exists from 3.5 on).
      httpProbe({ port: ETCD_CLIENT_PORT, path: '/health', method: 'GET', expectStatus: 200, timeoutMs: 2_000, intervalMs: 250 }),
    );
  // etcd 3.4 refuses to start on architectures other than amd64 unless told to.
  const goArch = GO_ARCH[process.arch];
  if (goArch !== undefined) member = member.withEnv('ETCD_UNSUPPORTED_ARCH', goArch);
  return member;
}

const GO_ARCH: Partial<Record<NodeJS.Architecture, string>> = { arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };
