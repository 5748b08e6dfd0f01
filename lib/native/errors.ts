/**
 * The one translation of the addon's raw errors (native/errors.h: message, op,
 * object, errno, code) into NativeError, with the one table of hints saying
 * what a person can do about a failed kernel operation.
 */
import { NativeError } from '../errors.js';

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
const XDP_ATTACHED_HINT = 'another XDP program is attached to that interface; use a fresh namespace';

interface HintRule {
  readonly code: string;
  /** Narrows the rule to some operations; rules without it match every operation. First match wins. */
  readonly when?: (error: RawNativeError) => boolean;
  readonly hint: string;
}

const isXdp = (e: RawNativeError): boolean => e.op.startsWith('xdp');
const isAboutNetns = (e: RawNativeError): boolean => /netns/.test(e.op) || /netns/.test(e.object ?? '');

const HINTS: readonly HintRule[] = [
  { code: 'EPERM', hint: CAPABILITIES_HINT },
  // Privileges fail a program load with EPERM; EACCES there is the verifier's verdict.
  { code: 'EACCES', when: (e) => e.op === 'xdp program load', hint: 'the kernel verifier rejected the program: rebuild the native addon (npm run build:native)' },
  { code: 'EACCES', hint: CAPABILITIES_HINT },
  { code: 'EBUSY', when: isXdp, hint: XDP_ATTACHED_HINT },
  { code: 'EEXIST', when: isXdp, hint: XDP_ATTACHED_HINT },
  { code: 'EEXIST', hint: 'the name is taken, probably by a run that did not clean up: run `pakostii cleanup` or choose another name' },
  { code: 'ENOENT', when: isAboutNetns, hint: 'namespace missing: it was never created or was already deleted (see `ip netns list`)' },
  { code: 'ENOENT', when: isXdp, hint: 'the namespace or interface does not exist (was the node torn down?)' },
  { code: 'ENODEV', hint: 'no such interface in that namespace (see `ip link`, or `ip -n <netns> link`)' },
  { code: 'ENOMEM', when: isXdp, hint: 'raise the memlock limit (ulimit -l) or use fewer nodes' },
  { code: 'EINVAL', when: (e) => /interface name is \d+ bytes/.test(e.message), hint: 'interface names are limited to 15 bytes by Linux; use shorter names (lib/host/names.ts)' },
  { code: 'ECONNREFUSED', hint: 'nothing listens on that port inside the namespace yet: is the service started and ready?' },
  { code: 'ETIMEDOUT', hint: 'no answer: the address is unreachable from that namespace (wrong address, or a fault is cutting it)' },
  { code: 'EHOSTUNREACH', hint: 'no route to that address from the namespace: is it on the cluster subnet?' },
  { code: 'ENETUNREACH', hint: 'no route to that address from the namespace: is it on the cluster subnet?' },
];

function hintFor(error: RawNativeError): string | undefined {
  return HINTS.find((rule) => rule.code === error.code && (rule.when === undefined || rule.when(error)))?.hint;
}

/** A NativeError for a raw addon error (others pass through unchanged). */
export function toNativeError(error: unknown): unknown {
  if (!isRawNativeError(error)) return error;
  return new NativeError(error.op, error.errno, error.code, error.message, hintFor(error));
}

/** Runs an addon call, converting its errors (sync throw or rejection) into NativeError. */
export async function callNative<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toNativeError(error);
  }
}

/** callNative for the addon's synchronous calls. */
export function callNativeSync<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw toNativeError(error);
  }
}

/** A link (or its qdisc) is already gone (ENODEV/ENOENT): nothing left to remove there. */
export function isGoneError(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null && 'code' in error ? (error as { code: unknown }).code : undefined;
  return code === 'ENODEV' || code === 'ENOENT';
}
