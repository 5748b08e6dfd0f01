/**
 * The one boundary to pakostii.node: the type of everything the addon exports
 * (native/*.cc) and the one loader (prebuild or local build). Its raw errors
 * become NativeError in errors.ts. Internal: only lib/native uses it.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PakostiiError } from '../errors.js';
import { findPackageRoot, PACKAGE_NAME } from '../host/package-root.js';

/** Spec of provisionNodeLink as the addon takes it (the engine reduced to its program fd). */
export interface NativeNodeLinkSpec {
  netns: string;
  bridge: string;
  hostVeth: string;
  ifname: string;
  cidr: string;
  progFd?: number;
  /** Where the bridge lives (default "": the host namespace). */
  bridgeNetns?: string;
}

/** A connect in progress: cancel() makes `promise` reject with an AbortError. */
export interface NativeConnect {
  promise: Promise<number>;
  cancel(): void;
}

/** How a relay ended (native/relay.h): bytes delivered each way, and why it stopped. */
export interface NativeRelayResult {
  aToB: number;
  bToA: number;
  end: 'eof' | 'cancel' | 'error';
  /** errno name of the failed socket when end is "error" (ECONNRESET…). */
  code?: string;
}

/** Relayed connections of the process: now, refused for the limit since start, and the limit. */
export interface NativeRelayCounters {
  active: number;
  refused: number;
  limit: number;
}

/** A relay in progress: cancel() cuts both connections; `promise` settles once both fds are closed. */
export interface NativeRelay {
  promise: Promise<NativeRelayResult>;
  cancel(): void;
}

/** A timed wait of the addon's timer thread: `promise` resolves true at the deadline, or false once cancel() came first. */
export interface NativeTimerWait {
  promise: Promise<boolean>;
  cancel(): void;
}

/** One loaded XDP program with its maps (native/xdp.cc, class XdpEngine). */
export interface XdpNativeEngine {
  readonly progFd: number;
  readonly maxNodes: number;
  readonly loadMs: number;
  /** mmapped pk_policy: two buffers of PK_BUFFER_WORDS(maxNodes) u64 words (page-rounded). */
  policyBuffer(): ArrayBuffer;
  /** mmapped pk_ctl: u32 active buffer, u32 sequence (page-rounded). */
  controlBuffer(): ArrayBuffer;
  /** index < 0 removes the address. */
  setNodeAddress(ipv4: string, index: number): void;
  /** [passed0, dropped0, passed1, …] for indexes 0..maxNodes (the last one is "outside"). */
  counters(): BigUint64Array;
  testRun(frame: Uint8Array, visible?: number): number;
  testRunRepeat(frame: Uint8Array, repeat: number): Promise<{ action: number; durationNs: number }>;
  /** Detaches the ArrayBuffers, unmaps, destroys the skeleton. Idempotent. */
  close(): void;
}

/** What sch_netem is asked to do (leaf of a class, where the kernel has netem). */
export interface NetemParams {
  delayNs: number;
  jitterNs?: number;
  distribution?: 'uniform' | 'normal' | 'pareto';
  duplicatePercent?: number;
  reorderPercent?: number;
  limitPackets?: number;
}

/** One HTB class 1:minor (rate = ceil) and its leaf: a byte-limited FIFO, or netem. */
export interface TrafficClass {
  minor: number;
  rateBytes: number;
  burstBytes: number;
  limitBytes: number;
  netem?: NetemParams;
}

/** Which traffic-control pieces this kernel has (asked in a throwaway namespace). */
export interface TrafficControlSupport {
  htb: boolean;
  tbf: boolean;
  netem: boolean;
  /** cls_bpf, the classifier that picks a class from a BPF map. */
  clsBpf: boolean;
  /** AF_XDP sockets. */
  afXdp: boolean;
}

/** The traffic-class classifier (native/shape.cc): its class map is JS-writable memory. */
export interface ShapeNativeEngine {
  readonly progFd: number;
  readonly maxNodes: number;
  classBuffer(): ArrayBuffer;
  setNodeAddress(ipv4: string, index: number): void;
  close(): void;
}

/** What the delay line does to a pair's frames (one profile per delay fault). */
export interface DelayProfileParams {
  delayNs: number;
  jitterNs: number;
  distribution: 'uniform' | 'normal' | 'pareto';
  duplicatePercent: number;
  reorderPercent: number;
}

/** The delay line's counters since load (native/delay_line.h). */
export interface DelayLineCounters {
  /** Frames taken off the AF_XDP RX rings. */
  received: number;
  /** Frames the kernel took off a TX ring, i.e. transmitted (duplicates included). */
  sent: number;
  /** Frames the line lost: no room, no route, or dropped by the kernel before its RX ring. */
  dropped: number;
  /** Of `dropped`: frames the kernel could not hand over for want of a free buffer, and for a full RX ring. */
  kernelRxDropped: number;
  kernelRxRingFull: number;
  /** Extra copies made by duplication. */
  duplicated: number;
  /** Frames waiting now. */
  held: number;
  /** AF_XDP sockets (one per bridge-side veth in use). */
  links: number;
  /** Lateness of transmits vs their due time, ns: worst, and median/p99 (upper edges of 10 µs buckets). */
  lateNsMax: number;
  lateNsP50: number;
  lateNsP99: number;
  /** From a frame's arrival on the veth to the line taking it off the RX ring, ns (same buckets). */
  pickupNsP50: number;
  pickupNsP99: number;
  /** Frames that came without the program's arrival time (timed from pickup instead). */
  unstamped: number;
  /** Whether the line's thread runs SCHED_FIFO; if not, why (strerror), else ''. */
  realtime: boolean;
  realtimeError: string;
}

/** The addon's delay line (native/delay_engine.cc): pair map as JS-writable memory, a thread, AF_XDP sockets. */
export interface DelayNativeEngine {
  readonly progFd: number;
  readonly maxNodes: number;
  pairBuffer(): ArrayBuffer;
  setNodeAddress(ipv4: string, index: number): void;
  setProfile(id: number, profile: DelayProfileParams): void;
  /** An AF_XDP socket on a bridge-side veth (in the run's switch namespace; netns "" = the host namespace), for node `node`'s frames. */
  addLink(ifname: string, node: number, netns?: string): Promise<void>;
  counters(): DelayLineCounters;
  /** Stops the thread and frees sockets, umem and program. */
  close(): Promise<void>;
}

/** Everything the addon exports: native/{netns,links,node_link,sockets,relay,xdp*,qdisc,netem,shape,delay*,ethtool,xattr,timer}.cc. */
export interface NativeAddon {
  netnsCreate(name: string): Promise<void>;
  netnsDelete(name: string): Promise<void>;
  createBridge(name: string, netns?: string): Promise<void>;
  deleteLink(name: string, netns?: string): Promise<void>;
  listLinks(netns?: string): Promise<string[]>;
  linkIndex(name: string, netns?: string): Promise<number>;
  addAddress(ifname: string, cidr: string, netns?: string): Promise<void>;
  provisionNodeLink(spec: NativeNodeLinkSpec): Promise<void>;
  connectInNetns(netns: string, ip: string, port: number, timeoutMs: number): NativeConnect;
  /** Duplicates both fds at once; the caller still owns (and closes) its own. Throws EAGAIN at the relay limit. */
  relay(fdA: number, fdB: number): NativeRelay;
  /** The relay counters of the process, after setting the limit (connections relayed at once) if given. */
  relayLimit(limit?: number): NativeRelayCounters;
  xdpLoadEngine(maxNodes: number): Promise<XdpNativeEngine>;
  /** netns "" = the host namespace; runs on a thread of the addon's own. */
  xdpAttach(progFd: number, netns: string, ifname: string): Promise<void>;
  xdpDetach(progFd: number, netns: string, ifname: string): Promise<void>;

  shapeLoadEngine(maxNodes: number): Promise<ShapeNativeEngine>;
  tcSetupShaping(ifname: string, progFd: number, netns?: string): Promise<void>;
  tcAddClasses(ifname: string, classes: TrafficClass[], netns?: string): Promise<void>;
  tcRemoveRoot(ifname: string, netns?: string): Promise<void>;
  tcNetemRequest(spec: NetemParams & { ifindex?: number; parent?: number; handle?: number }): Uint8Array;
  tcProbeKinds(): Promise<TrafficControlSupport>;
  /** lgetxattr: null when the file has no such attribute. */
  getXattr(path: string, name: string): Promise<Buffer | null>;
  /** lsetxattr (created or replaced). */
  setXattr(path: string, name: string, value: Buffer): Promise<void>;

  delayLoadLine(maxNodes: number): Promise<DelayNativeEngine>;
  /** TX checksum offload (and TSO) off on `ifname` in `netns`: frames leave complete. */
  linkDisableTxOffload(netns: string, ifname: string): Promise<void>;

  /** Wakes at `deadlineNs` on CLOCK_MONOTONIC (process.hrtime.bigint()'s clock), never before. */
  timerWake(deadlineNs: bigint | number): NativeTimerWait;
  /** Spins the calling thread until `deadlineNs` (at most 10 ms); whether the deadline was reached. */
  timerSpinUntil(deadlineNs: bigint | number): boolean;
}

/** The package root; the addon cannot be found without it. */
function packageRoot(): string {
  const root = findPackageRoot();
  if (root === undefined) {
    const start = dirname(fileURLToPath(import.meta.url));
    throw new PakostiiError(`native addon: no package.json named "${PACKAGE_NAME}" above ${start}`, {
      hint: 'pakostii must be loaded from its package (a checkout or node_modules/pakostii)',
    });
  }
  return root;
}

interface NodeGypBuild {
  (dir: string): unknown;
  resolve(dir: string): string;
}

let loaded: { addon: NativeAddon; path: string } | undefined;

function load(): { addon: NativeAddon; path: string } {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  // PAKOSTII_ADDON=/path/to/pakostii.node overrides the lookup (tests of a fresh build).
  const override = process.env.PAKOSTII_ADDON;
  let path: string;
  try {
    path = override ?? (require('node-gyp-build') as NodeGypBuild).resolve(packageRoot());
  } catch (error) {
    throw new PakostiiError('native addon: no pakostii.node for this platform', {
      cause: error,
      hint: 'build it with `npm run build:native` (needs clang, bpftool, g++; see scripts/setup.sh)',
    });
  }
  const addon = require(path) as Partial<NativeAddon>;
  // A stale local build (older sources): say so instead of failing later on an undefined method.
  const missing = (['xdpLoadEngine', 'shapeLoadEngine', 'timerWake', 'timerSpinUntil'] as const).filter((name) => typeof addon[name] !== 'function');
  if (missing.length > 0) {
    throw new PakostiiError(`native addon ${path} is stale: it has no ${missing.join(', ')}`, { hint: 'rebuild it with `npm run build:native`' });
  }
  loaded = { addon: addon as NativeAddon, path };
  return loaded;
}

/** The loaded addon (loaded on first use). */
export function addon(): NativeAddon {
  return load().addon;
}

/** Where the addon was loaded from, for `pakostii doctor`. */
export function addonInfo(): { path: string; source: 'prebuild' | 'build' } {
  const { path } = load();
  return { path, source: /[\\/]prebuilds[\\/]/.test(path) ? 'prebuild' : 'build' };
}
