/**
 * Internal kernel API used by the runtime (NOT part of the public API).
 *
 * CONTRACT (owned by the native-core work; signatures are agreed with the runtime):
 * every function here is implemented over the C++ addon in this folder, never by
 * spawning `ip`/`tc`/`bpftool`. Errors are `NativeError` (lib/errors.ts) with op,
 * errno and the object name in the message.
 */
export { createNetns, deleteNetns, listNetns } from './netns.js';
export { addAddress, createBridge, deleteLink, listLinks, linkIndex, provisionNodeLink } from './links.js';
export type { NodeLinkSpec } from './links.js';
export { connectInNetns } from './connect.js';
export type { ConnectOptions } from './connect.js';
export { relaySockets } from './relay.js';
export type { RelayResult, SocketRelay } from './relay.js';
export { addonInfo } from './addon.js';
export { getXattr, setXattr } from './xattr.js';
export { probeTrafficControl, ShapeEngine } from './shape-engine.js';
export type { TrafficControlSupport, TrafficClass, NetemParams } from './addon.js';

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
