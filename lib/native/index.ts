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
export interface NodeCounters {
  passed: bigint;
  dropped: bigint;
}
export declare class PolicyMatrix {
  constructor(nodes: number);
  readonly nodes: number;
  /** Drop packets from `src` to `dst` (node indexes). */
  cut(src: number, dst: number): void;
  /** Drop `percent` (0..100) of packets from `src` to `dst`. */
  setLoss(src: number, dst: number, percent: number): void;
  clear(): void;
}
export declare class FaultEngine {
  /** Load (not attach) the program, sized for `maxNodes` node indexes (runner included). */
  static load(options: { maxNodes: number }): Promise<FaultEngine>;
  readonly maxNodes: number;
  /** Map an IPv4 address to a node index (done at provisioning, not on the fault path). */
  setNodeAddress(ipv4: string, index: number): void;
  /** Addresses that always pass, whatever the policy. */
  setAllowed(ipv4: string, allowed: boolean): void;
  /**
   * Write `policy` into the inactive buffer, then flip the active index: atomic for
   * packets, synchronous, no syscall on the hot path. Microseconds.
   */
  commit(policy: PolicyMatrix): void;
  /** Per node index: packets passed/dropped at its ingress. */
  counters(): NodeCounters[];
  /** Detach happens when namespaces go; this closes the program and maps. Idempotent. */
  close(): void;
}
