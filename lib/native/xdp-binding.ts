/**
 * Types of the XDP part of the native addon (native/xdp.cc, InitXdp) and where to
 * get it from. Only fault-engine.ts uses this; everything else goes through
 * FaultEngine.
 */
import { addonModule } from './addon.js';

/** One loaded program with its maps (native/xdp.cc, class XdpEngine). */
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
  setAllowed(ipv4: string, allowed: boolean): void;
  /** [passed0, dropped0, passed1, …] for indexes 0..maxNodes (the last one is "outside"). */
  counters(): BigUint64Array;
  testRun(frame: Uint8Array, visible?: number): number;
  testRunRepeat(frame: Uint8Array, repeat: number): Promise<{ action: number; durationNs: number }>;
  /** Detaches the ArrayBuffers, unmaps, destroys the skeleton. Idempotent. */
  close(): void;
}

export interface XdpBinding {
  xdpLoadEngine(maxNodes: number): Promise<XdpNativeEngine>;
  /** netns "" = the host namespace; runs on a thread of the addon's own. */
  xdpAttach(progFd: number, netns: string, ifname: string): Promise<void>;
  xdpDetach(progFd: number, netns: string, ifname: string): Promise<void>;
}

let cached: XdpBinding | undefined;

/** The addon's XDP exports (same module and lookup as addon.ts; PAKOSTII_ADDON overrides it). */
export function loadXdpBinding(): XdpBinding {
  if (cached) return cached;
  const binding = addonModule() as Partial<XdpBinding>;
  if (typeof binding.xdpLoadEngine !== 'function') {
    throw new Error('the native addon has no XDP engine (xdpLoadEngine): rebuild it with npm run build:native');
  }
  cached = binding as XdpBinding;
  return cached;
}
