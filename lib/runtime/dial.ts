/**
 * How the runner reaches the cluster: a TCP socket opened from inside the
 * runner's namespace (node index 0 on the run's bridge), so faults that cut the
 * runner from a node apply to port forwards, t.http and probes alike.
 */
import type { Socket } from 'node:net';
import { SpecError } from '../errors.js';
import type { ClusterPlan } from '../spec/plan.js';

export type Dial = (ip: string, port: number, options?: { timeoutMs?: number; signal?: AbortSignal }) => Promise<Socket>;

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/;

/** Resolve a node name (or an IPv4 literal) to the address to dial. */
export function resolveHost(host: string, plan: ClusterPlan, ipOf: (node: string) => string, where: string): string {
  if (IPV4.test(host)) return host;
  if (host === 'localhost') {
    throw new SpecError(`${where}: "localhost" is the runner itself, not a node`, { hint: 'address a node by its name, e.g. "etcd1"' });
  }
  return ipOf(plan.node(host, where).name);
}
