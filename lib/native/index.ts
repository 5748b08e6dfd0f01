/**
 * Internal kernel API used by the runtime (NOT part of the public API).
 *
 * CONTRACT (owned by the native-core work; signatures are agreed with the runtime):
 * every function here is implemented over the C++ addon in this folder, never by
 * spawning `ip`/`tc`/`bpftool`. Errors are `NativeError` (lib/errors.ts) with op,
 * errno and the object name in the message.
 */
import type { Socket } from 'node:net';

/** Create a named network namespace bound under /run/netns/<name> (visible to `ip netns list`). */
export declare function createNetns(name: string): Promise<void>;
/** Delete a named network namespace (unmount + unlink). Deleting a missing one throws ENOENT NativeError. */
export declare function deleteNetns(name: string): Promise<void>;
/** Names under /run/netns. */
export declare function listNetns(): Promise<string[]>;

/** Create a bridge in the host namespace and bring it up. The bridge gets NO address: the host's routes stay untouched. */
export declare function createBridge(name: string): Promise<void>;
/** Delete a link by name, in the host namespace or in `netns`. */
export declare function deleteLink(name: string, netns?: string): Promise<void>;
/** Names of links in the host namespace (or in `netns`). */
export declare function listLinks(netns?: string): Promise<string[]>;

export interface NodeLinkSpec {
  /** Namespace that already exists. */
  netns: string;
  /** Bridge that already exists (host namespace). */
  bridge: string;
  /** Host-side veth name (≤ 15 bytes). */
  hostVeth: string;
  /** Temporary peer name; inside the namespace the peer is renamed to `ifname`. */
  peerVeth: string;
  /** Interface name inside the namespace, normally "eth0". */
  ifname: string;
  /** IPv4 address with prefix, e.g. "198.18.0.5/24". */
  cidr: string;
  /** When given, the engine's XDP program is attached to `ifname` inside the namespace. */
  engine?: FaultEngine;
}
/**
 * One hop to the addon's own thread: veth pair, peer into netns + rename, master = bridge,
 * both ends up, loopback up, address, XDP attach. Target ≤ 2 ms per node.
 */
export declare function provisionNodeLink(spec: NodeLinkSpec): Promise<void>;

/**
 * Connect a TCP socket from inside `netns` to ip:port and wrap it as a net.Socket.
 * Rejects with a NativeError (ECONNREFUSED, ETIMEDOUT…) or an AbortError when `signal` aborts.
 */
export declare function connectInNetns(
  netns: string,
  ip: string,
  port: number,
  options?: { timeoutMs?: number; signal?: AbortSignal },
): Promise<Socket>;

/** Where the addon was loaded from, for `pakostii doctor`. */
export declare function addonInfo(): { path: string; source: 'prebuild' | 'build' };

/**
 * Faults are data: one XDP program per run, attached at node provisioning, whose
 * policy lives in BPF maps. Node index 0 is the runner's namespace; nodes are 1..n.
 * Every packet is judged once, at its destination's ingress: drop[src][dst], loss[src][dst].
 */
// Implemented in fault-engine.ts / policy-matrix.ts (XDP fault engine).
import { FaultEngine } from './fault-engine.js';
import { PolicyMatrix } from './policy-matrix.js';
export { FaultEngine, PolicyMatrix };
export type { NodeCounters } from './fault-engine.js';
