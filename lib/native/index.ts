/**
 * Internal kernel API of the layers above (not part of the public API).
 *
 * Every function here is implemented over the C++ addon (addon.ts), never by
 * spawning `ip`/`tc`/`bpftool`: the library runs no child processes. Errors are
 * `NativeError` (lib/errors.ts) with op, errno and the object name in the message.
 */
export { createNetns, deleteNetns, listNetns } from './netns.js';
export { addAddress, createBridge, deleteLink, listLinks, linkIndex, provisionNodeLink } from './links.js';
export type { NodeLinkSpec } from './links.js';
export { connectInNetns } from './connect.js';
export type { ConnectOptions } from './connect.js';
export { RELAY_LIMIT, RelayLimitError, relayCounters, relaySockets } from './relay.js';
export type { RelayCounters, RelayResult, SocketRelay } from './relay.js';
export { addonInfo } from './addon.js';
export { getXattr, setXattr } from './xattr.js';
export { spinUntilMono, wakeAtMono } from './timer.js';
export { probeTrafficControl, ShapeEngine } from './shape-engine.js';
export type { TrafficControlSupport, TrafficClass, NetemParams } from './addon.js';

/**
 * Faults are data: one XDP program per run, attached at node provisioning, whose
 * policy lives in BPF maps. Node index 0 is the runner's namespace; nodes are 1..n.
 * Every packet is judged once, at its destination's ingress: drop[src][dst], loss[src][dst].
 */
import { FaultEngine } from './fault-engine.js';
import { PolicyMatrix } from './policy-matrix.js';
export { FaultEngine, PolicyMatrix };
export type { NodeCounters } from './fault-engine.js';
