/**
 * Loads pakostii.node (prebuild or local build) and turns its raw errors into
 * NativeError with a hint for people. Internal: only lib/native uses it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeError, PakostiiError } from '../errors.js';

/** Spec of provisionNodeLink as the addon takes it (the engine reduced to its program fd). */
export interface NativeNodeLinkSpec {
  netns: string;
  bridge: string;
  hostVeth: string;
  peerVeth: string;
  ifname: string;
  cidr: string;
  progFd?: number;
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

/** A relay in progress: cancel() cuts both connections; `promise` settles once both fds are closed. */
export interface NativeRelay {
  promise: Promise<NativeRelayResult>;
  cancel(): void;
}

/** The parts of the addon written in native/{netns,netlink,sockets,relay}.cc. */
export interface NativeAddon {
  netnsCreate(name: string): Promise<void>;
  netnsDelete(name: string): Promise<void>;
  createBridge(name: string): Promise<void>;
  deleteLink(name: string, netns?: string): Promise<void>;
  listLinks(netns?: string): Promise<string[]>;
  linkIndex(name: string, netns?: string): Promise<number>;
  addAddress(ifname: string, cidr: string, netns?: string): Promise<void>;
  provisionNodeLink(spec: NativeNodeLinkSpec): Promise<void>;
  connectInNetns(netns: string, ip: string, port: number, timeoutMs: number): NativeConnect;
  /** Duplicates both fds at once; the caller still owns (and closes) its own. */
  relay(fdA: number, fdB: number): NativeRelay;
}

const PACKAGE_NAME = 'pakostii';

/**
 * The directory of pakostii's own package.json, found by walking up from this
 * module: lib/native in a checkout, dist/ once bundled by tsup, node_modules/pakostii/dist when installed.
 */
export function packageRoot(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && readPackageName(manifest) === PACKAGE_NAME) return dir;
    if (dirname(dir) === dir) {
      throw new PakostiiError(`native addon: no package.json named "${PACKAGE_NAME}" above ${start}`, {
        hint: 'pakostii must be loaded from its package (a checkout or node_modules/pakostii)',
      });
    }
  }
}

function readPackageName(manifest: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name;
  } catch {
    return undefined;
  }
}

interface NodeGypBuild {
  (dir: string): unknown;
  resolve(dir: string): string;
}

let loaded: { addon: NativeAddon; path: string } | undefined;

/** The addon module itself (also holds the XDP exports typed in xdp-binding.ts). */
export function addonModule(): unknown {
  return load().addon;
}

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
  loaded = { addon: require(path) as NativeAddon, path };
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

// ---- errors ------------------------------------------------------------------

interface RawNativeError {
  message: string;
  op: string;
  object?: string;
  errno: number;
  code: string;
}

function isRawNativeError(error: unknown): error is RawNativeError {
  return (
    error instanceof Error &&
    typeof (error as Partial<RawNativeError>).op === 'string' &&
    typeof (error as Partial<RawNativeError>).errno === 'number'
  );
}

const CAPABILITIES_HINT = 'run as root or grant CAP_NET_ADMIN, CAP_SYS_ADMIN and CAP_BPF';

/** What a person should do about a failed kernel operation, when we can tell. */
export function hintFor(op: string, code: string, object = ''): string | undefined {
  switch (code) {
    case 'EPERM':
    case 'EACCES':
      return CAPABILITIES_HINT;
    case 'EEXIST':
      return `the name is taken, probably by a run that did not clean up: run \`pakostii cleanup\` or choose another name`;
    case 'ENOENT':
      return /netns/.test(op) || /netns/.test(object)
        ? 'namespace missing: it was never created or was already deleted (see `ip netns list`)'
        : undefined;
    case 'ENODEV':
      return 'no such interface in that namespace (see `ip link`, or `ip -n <netns> link`)';
    case 'ECONNREFUSED':
      return 'nothing listens on that port inside the namespace yet: is the service started and ready?';
    case 'ETIMEDOUT':
      return 'no answer: the address is unreachable from that namespace (wrong address, or a fault is cutting it)';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'no route to that address from the namespace: is it on the cluster subnet?';
    default:
      return undefined;
  }
}

/** A NativeError for a raw addon error (others pass through unchanged). */
export function toNativeError(error: unknown): unknown {
  if (!isRawNativeError(error)) return error;
  let hint = hintFor(error.op, error.code, error.object);
  if (error.code === 'EINVAL' && /interface name is \d+ bytes/.test(error.message)) {
    hint = 'interface names are limited to 15 bytes by Linux; use shorter names (lib/runtime/naming.ts)';
  }
  return new NativeError(error.op, error.errno, error.code, error.message, hint);
}

/** Runs an addon call, converting its errors (sync throw or rejection) into NativeError. */
export async function callNative<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toNativeError(error);
  }
}
