/**
 * Names and labels of every kernel and containerd object a run creates.
 * Everything carries the run id, so the janitor can find what a dead run left
 * and parallel runs never collide. Interface names are limited to 15 bytes
 * (IFNAMSIZ - 1), hence the short prefixes.
 */
import { randomInt } from 'node:crypto';

/** containerd namespace of every run's containers, snapshots and leases (default; a run may choose another). */
export const CONTAINERD_NAMESPACE = 'pakostii';
export const OBJECT_PREFIX = 'pk';
export const RUN_ID_LENGTH = 5;

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz';

/** A fresh 5-letter run id, like the Go project's ("zftsk"). Uniqueness is enforced by the state file. */
export function newRunId(): string {
  let id = '';
  for (let i = 0; i < RUN_ID_LENGTH; i++) id += ALPHABET[randomInt(ALPHABET.length)];
  return id;
}

export const names = {
  /** The run's bridge: "pkb-abcde" (9 bytes), in the run's switch namespace. */
  bridge: (runId: string) => `${OBJECT_PREFIX}b-${runId}`,
  /**
   * The namespace holding the run's bridge and the bridge-side ends of every
   * veth: "pk-abcde-_switch". Bridged frames meet that namespace's netfilter
   * (empty), never the host's: with br_netfilter on, the host's FORWARD chain
   * (DROP on Docker hosts) would judge every frame between nodes.
   */
  switchNetns: (runId: string) => `${OBJECT_PREFIX}-${runId}-_switch`,
  /** Bridge-side end of node `index`'s veth (switch namespace): "pkabcde-123" (≤ 15 bytes for index < 100000000). */
  hostVeth: (runId: string, index: number) => `${OBJECT_PREFIX}${runId}-${index}`,
  /** Direct reach: the host namespace's end of the veth to the run's bridge, carrying the host's address: "pkabcde-up". */
  uplink: (runId: string) => `${OBJECT_PREFIX}${runId}-up`,
  /** The uplink's end on the bridge (switch namespace). */
  uplinkPort: 'uplink',
  /**
   * The peer end's name on the host before it was moved into the namespace, in
   * versions that made it there. The addon now creates the peer inside the
   * namespace as `eth0`; the janitor still recognises leftovers of this name.
   */
  peerVeth: (runId: string, index: number) => `${OBJECT_PREFIX}${runId}p${index}`,
  /** Interface name inside every node namespace. */
  nodeIf: 'eth0',
  /** Network namespace of a node: "pk-abcde-etcd1" (shown by `ip netns list`). */
  nodeNetns: (runId: string, node: string) => `${OBJECT_PREFIX}-${runId}-${node}`,
  /** The runner's own namespace on the bridge (node index 0). "_" cannot appear in node names. */
  runnerNetns: (runId: string) => `${OBJECT_PREFIX}-${runId}-_runner`,
  /** containerd container id of a service. */
  container: (runId: string, node: string, service: string) => `${OBJECT_PREFIX}-${runId}-${node}-${service}`,
  /** containerd snapshot key of a service's rootfs. */
  snapshot: (runId: string, node: string, service: string) => `${OBJECT_PREFIX}-${runId}-${node}-${service}`,
  /** containerd lease held while a run creates content/snapshots. */
  lease: (runId: string) => `${OBJECT_PREFIX}-${runId}`,
  /** cgroup parent path of a run's containers. */
  cgroup: (runId: string) => `/pakostii/${runId}`,
} as const;

/** Label keys put on every containerd object (containers, snapshots, leases). */
export const LABELS = {
  run: 'pakostii.run',
  test: 'pakostii.test',
  node: 'pakostii.node',
  service: 'pakostii.service',
  pid: 'pakostii.pid',
} as const;

/** True when `name` (a netns, link, container id…) belongs to run `runId`. */
export function belongsToRun(name: string, runId: string): boolean {
  return (
    name === names.bridge(runId) ||
    name.startsWith(`${OBJECT_PREFIX}-${runId}-`) ||
    name.startsWith(`${OBJECT_PREFIX}${runId}-`) ||
    name.startsWith(`${OBJECT_PREFIX}${runId}p`)
  );
}
