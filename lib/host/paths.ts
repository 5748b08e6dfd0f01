/**
 * Where pakostii keeps things on the host, and the defaults every layer shares.
 * Directories under the state dir are computed at call time, so tests and tools
 * can point PAKOSTII_STATE_DIR elsewhere after import.
 */
import { join } from 'node:path';

/** Default state dir: on tmpfs, so a reboot clears it together with the objects it describes. */
export const DEFAULT_STATE_DIR = '/run/pakostii';
/**
 * Default base of run scratch dirs (<base>/<run id>/, removed at teardown):
 * <state dir>/work, root-only. Never a predictable path under /tmp, where any
 * user could create it first and redirect root's writes (and the janitor's
 * deletions) with a symlink.
 */
export function defaultWorkBase(): string {
  return join(stateDir(), 'work');
}
/** Named network namespaces are bind mounts here (the `ip netns` convention). */
export const NETNS_DIR = '/run/netns';
/**
 * containerd's gRPC socket unless a caller names one: $PAKOSTII_CONTAINERD_SOCKET
 * (CI=true runs the suite against a private containerd), else the system one.
 */
export const DEFAULT_CONTAINERD_SOCKET = process.env.PAKOSTII_CONTAINERD_SOCKET ?? '/run/containerd/containerd.sock';
/** Root of the cgroup filesystem. */
export const CGROUP_ROOT = '/sys/fs/cgroup';

/** The state dir: $PAKOSTII_STATE_DIR, else /run/pakostii (read at call time). */
export function stateDir(): string {
  return process.env.PAKOSTII_STATE_DIR ?? DEFAULT_STATE_DIR;
}

/** Run records: <state dir>/runs/<id>.json. */
export function runsDir(): string {
  return join(stateDir(), 'runs');
}

/** Subnet claims: <state dir>/subnets/<block>. */
export function claimsDir(): string {
  return join(stateDir(), 'subnets');
}

/** Per-exec output files of the containerd layer: <state dir>/exec/<container id>-XXXXXX. */
export function execDir(): string {
  return join(stateDir(), 'exec');
}
