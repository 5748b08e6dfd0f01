/**
 * Checks that only read the machine: kernel version, capabilities, /run/netns,
 * runc on PATH. No child process (a PATH lookup is a stat per directory).
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { release } from 'node:os';
import { delimiter, join } from 'node:path';
import { NETNS_DIR } from '../../host/paths.js';
import { fail, ok, type CheckResult } from './check.js';

export const MIN_KERNEL: readonly [number, number] = [5, 9];

/** "6.18.0-1-cloud-amd64" → [6, 18]; undefined when unparsable. */
export function parseKernelRelease(text: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

export function checkKernel(kernelRelease = release()): CheckResult {
  const version = parseKernelRelease(kernelRelease);
  const [minMajor, minMinor] = MIN_KERNEL;
  if (!version) return fail('kernel', `cannot parse kernel release "${kernelRelease}"`, `pakostii needs Linux ≥ ${minMajor}.${minMinor}`);
  const [major, minor] = version;
  if (major > minMajor || (major === minMajor && minor >= minMinor)) return ok('kernel', `Linux ${kernelRelease}`);
  return fail(
    'kernel',
    `Linux ${kernelRelease} is older than ${minMajor}.${minMinor}`,
    `upgrade to a kernel ≥ ${minMajor}.${minMinor} (XDP attach through bpf links, CAP_BPF)`,
  );
}

/** Capability bit numbers (linux/capability.h). */
export const CAPABILITIES = { CAP_NET_ADMIN: 12, CAP_SYS_ADMIN: 21, CAP_BPF: 39 } as const;

/** Names of the needed capabilities missing from a CapEff hex mask. */
export function missingCapabilities(capEffHex: string): string[] {
  const mask = BigInt(`0x${capEffHex.trim()}`);
  return Object.entries(CAPABILITIES)
    .filter(([, bit]) => (mask & (1n << BigInt(bit))) === 0n)
    .map(([name]) => name);
}

export function checkPrivileges(statusText = readFileSync('/proc/self/status', 'utf8')): CheckResult {
  const capEff = /^CapEff:\s*([0-9a-fA-F]+)$/m.exec(statusText)?.[1];
  if (!capEff) return fail('privileges', 'CapEff not found in /proc/self/status', 'run on Linux as root');
  const missing = missingCapabilities(capEff);
  const who = process.getuid?.() === 0 ? 'root' : `uid ${process.getuid?.() ?? '?'}`;
  if (missing.length === 0) return ok('privileges', `${who}; CAP_NET_ADMIN, CAP_SYS_ADMIN, CAP_BPF effective`);
  return fail(
    'privileges',
    `${who}; missing ${missing.join(', ')} (CapEff ${capEff})`,
    'run as root (sudo), or grant CAP_NET_ADMIN+CAP_SYS_ADMIN+CAP_BPF',
  );
}

export function checkNetnsDir(dir = NETNS_DIR): CheckResult {
  // pakostii creates the directory itself when missing; its parent must then be writable.
  const target = existsSync(dir) ? dir : join(dir, '..');
  try {
    if (!statSync(target).isDirectory()) return fail('netns-dir', `${target} is not a directory`, `remove ${target}`);
    accessSync(target, constants.W_OK);
    return ok('netns-dir', existsSync(dir) ? `${dir} writable` : `${dir} absent; ${target} writable (created on first run)`);
  } catch (error) {
    return fail('netns-dir', `${target} not writable (${(error as NodeJS.ErrnoException).code ?? 'error'})`, 'run as root');
  }
}

/** containerd starts shims with its own PATH; these are where Debian and upstream install runc. */
const SYSTEM_BIN_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** First executable `name` on PATH (then the system dirs), without spawning anything. */
export function findExecutable(name: string, pathEnv = process.env.PATH ?? ''): string | undefined {
  const dirs = [...pathEnv.split(delimiter).filter(Boolean), ...SYSTEM_BIN_DIRS];
  for (const dir of new Set(dirs)) {
    const candidate = join(dir, name);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function checkRunc(): CheckResult {
  const runc = findExecutable('runc');
  const shim = findExecutable('containerd-shim-runc-v2');
  if (runc && shim) return ok('runc', `${runc}; shim ${shim}`);
  const missing = [runc ? undefined : 'runc', shim ? undefined : 'containerd-shim-runc-v2'].filter(Boolean).join(', ');
  return fail('runc', `not found on PATH: ${missing}`, 'apt-get install runc containerd (or sudo bash scripts/setup.sh)');
}

/** The host namespace's br_netfilter switches (absent when the module is not loaded). */
const BRIDGE_NF = ['bridge-nf-call-iptables', 'bridge-nf-call-ip6tables', 'bridge-nf-call-arptables'].map((name) => `/proc/sys/net/bridge/${name}`);

function readSwitch(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * br_netfilter hands bridged frames to the firewall of the bridge's namespace
 * (on Docker hosts its FORWARD policy is DROP). Informational: every run's
 * bridge lives in a namespace of the run's own, whose firewall is empty, so
 * the host's never sees traffic between nodes.
 */
export function checkHostFirewall(read: (path: string) => string | undefined = readSwitch): CheckResult {
  const on = BRIDGE_NF.filter((path) => read(path) === '1').map((path) => path.slice(path.lastIndexOf('/') + 1));
  if (on.length === 0) return ok('host-firewall', 'br_netfilter is off: bridged frames never meet the host firewall');
  return ok(
    'host-firewall',
    `br_netfilter is on (${on.join(', ')} = 1): bridges in the host namespace are filtered by its iptables FORWARD chain ` +
      `(policy DROP on Docker hosts). Runs are unaffected: each run's bridge lives in a network namespace of its own, ` +
      `with an empty firewall; the host's rules and sysctls are never read or changed`,
  );
}
