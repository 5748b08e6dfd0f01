/**
 * Links of a run over rtnetlink (native/netlink.cc): the bridge, node veths,
 * addresses. Every call is one hop to a thread the addon owns.
 */
import { addon } from './addon.js';
import { callNative } from './errors.js';
import type { FaultEngine } from './fault-engine.js';

/** Create a bridge in the host namespace (or in `netns`) and bring it up. The bridge gets NO address: the host's routes stay untouched. */
export async function createBridge(name: string, netns?: string): Promise<void> {
  await callNative(() => addon().createBridge(name, netns ?? ''));
}

/** Delete a link by name, in the host namespace or in `netns`. */
export async function deleteLink(name: string, netns?: string): Promise<void> {
  await callNative(() => addon().deleteLink(name, netns ?? ''));
}

/** Names of links in the host namespace (or in `netns`). */
export async function listLinks(netns?: string): Promise<string[]> {
  return callNative(() => addon().listLinks(netns ?? ''));
}

/** ifindex of `name` in the host namespace (or in `netns`); ENODEV NativeError when missing. */
export async function linkIndex(name: string, netns?: string): Promise<number> {
  return callNative(() => addon().linkIndex(name, netns ?? ''));
}

/**
 * Add IPv4 address `cidr` ("a.b.c.d/len") to `ifname` in the host namespace (or
 * `netns`), without a broadcast address. The kernel adds the address's local
 * route, its prefix route and the prefix's broadcast route on that link; all go
 * with the address or the link.
 */
export async function addAddress(ifname: string, cidr: string, netns?: string): Promise<void> {
  await callNative(() => addon().addAddress(ifname, cidr, netns ?? ''));
}

export interface NodeLinkSpec {
  /** Namespace that already exists ("" = the host namespace, for an uplink to a bridge in `bridgeNetns`). */
  netns: string;
  /** Bridge that already exists (in `bridgeNetns`). */
  bridge: string;
  /** Namespace of the bridge and of the bridge-side end (default: the host namespace). */
  bridgeNetns?: string;
  /** Bridge-side veth name (≤ 15 bytes). */
  hostVeth: string;
  /** Interface name inside the namespace, normally "eth0". */
  ifname: string;
  /** IPv4 address with prefix, e.g. "198.18.0.5/24". */
  cidr: string;
  /** When given, the engine's XDP program is attached to `ifname` inside the namespace. */
  engine?: FaultEngine;
}

/**
 * One hop to the addon's own thread: veth pair with the peer born in the netns as
 * `ifname`, master = bridge, both ends up, loopback up, address, XDP attach.
 * An end in the host namespace (netns "") gets no IPv6 link-local address.
 * On failure the veth is deleted again (nothing half-provisioned remains).
 */
export async function provisionNodeLink(spec: NodeLinkSpec): Promise<void> {
  const { engine, ...links } = spec;
  const progFd = engine?.progFd;
  await callNative(() => addon().provisionNodeLink(progFd === undefined ? links : { ...links, progFd }));
}
