/**
 * The validation rules every spec value must pass. Each rule throws a SpecError
 * whose message names the offending value and where it was given (`where`, e.g.
 * `service "etcd" on node "etcd1"`), so a mistake is found before the run
 * creates anything.
 */
import { SpecError } from '../errors.js';

/**
 * Node names become hostnames, /etc/hosts entries, part of namespace names and
 * part of containerd ids (which allow at most 76 characters). 32 characters for a
 * node plus 32 for a service keeps "pk-<run>-<node>-<service>" within that limit.
 */
export const MAX_NODE_NAME = 32;
export const MAX_SERVICE_NAME = 32;
export const MAX_AZ_NAME = 63;
/**
 * Each run's subnet is sized by its node count (lib/host/cidr.ts: a /24
 * up to 253 nodes, a /22 for 1,000); the bound is the fault engine's policy
 * matrix (POLICY_LAYOUT.maxNodes = 4096 indexes, the runner included).
 */
export const MAX_NODES = 4095;

const NODE_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const SERVICE_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const AZ_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

// Docker/OCI reference grammar (distribution/reference): [domain[:port]/]path[:tag][@digest].
const DOMAIN = String.raw`(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?`;
const PATH_COMPONENT = String.raw`[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`;
const IMAGE_REF = new RegExp(
  String.raw`^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`,
);

function fail(message: string, hint: string): never {
  throw new SpecError(message, { hint });
}

/** A value as an error message shows it: quoted, and cut short (a 1 MB name must not be echoed whole). */
function show(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 80 ? `${text.slice(0, 60)}… (${text.length} characters)` : text;
}

export function checkNodeName(name: unknown, where = 'newNode()'): string {
  if (typeof name !== 'string' || name.length === 0) {
    fail(`${where}: node name must be a non-empty string, got ${show(name)}`, 'name nodes like hostnames, e.g. "etcd1"');
  }
  if (name.length > MAX_NODE_NAME) {
    fail(
      `${where}: node name ${show(name)} is ${name.length} characters long; at most ${MAX_NODE_NAME} are allowed`,
      'node names become parts of namespace and container ids, which have length limits; use a shorter name',
    );
  }
  if (!NODE_NAME.test(name)) {
    fail(
      `${where}: node name ${show(name)} is not a valid hostname label`,
      'use lowercase letters, digits and single hyphens, starting and ending with a letter or digit (e.g. "etcd-1")',
    );
  }
  return name;
}

export function checkServiceName(name: unknown, where = 'newContainer()'): string {
  if (typeof name !== 'string' || name.length === 0) {
    fail(`${where}: service name must be a non-empty string, got ${show(name)}`, 'name services after what they run, e.g. "etcd"');
  }
  if (name.length > MAX_SERVICE_NAME) {
    fail(
      `${where}: service name ${show(name)} is ${name.length} characters long; at most ${MAX_SERVICE_NAME} are allowed`,
      'service names become parts of container ids and artifact paths; use a shorter name',
    );
  }
  if (!SERVICE_NAME.test(name)) {
    fail(
      `${where}: service name ${show(name)} is invalid`,
      'use lowercase letters and digits, separated by single ".", "_" or "-" (e.g. "etcd" or "redis-sentinel")',
    );
  }
  return name;
}

export function checkAzName(az: unknown, where: string): string {
  if (typeof az !== 'string' || az.length === 0 || az.length > MAX_AZ_NAME || !AZ_NAME.test(az)) {
    fail(
      `${where}: availability zone ${show(az)} is invalid`,
      `use 1-${MAX_AZ_NAME} letters, digits, ".", "_" or "-", e.g. "az1"`,
    );
  }
  return az;
}

export function checkImageRef(image: unknown, where: string): string {
  if (typeof image !== 'string' || image.length === 0) {
    fail(`${where}: image reference must be a non-empty string, got ${show(image)}`, 'give an image like "pakostii.local/etcd:3.4"');
  }
  if (image.length > 255 || !IMAGE_REF.test(image)) {
    fail(
      `${where}: image reference ${show(image)} is malformed`,
      'use [registry[:port]/]name[:tag][@sha256:digest] with a lowercase name, e.g. "docker.io/library/redis:7"',
    );
  }
  return image;
}

export function checkPort(port: unknown, where: string): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    fail(`${where}: port ${show(port)} is out of range`, 'ports are integers from 1 to 65535');
  }
  return port;
}

/** A positive, finite number of milliseconds (timeouts, intervals). */
/** The longest delay setTimeout honours; a longer one fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export function checkPositiveMs(value: unknown, what: string, where: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value > MAX_TIMER_MS) {
    fail(`${where}: ${what} ${value} ms is longer than timers allow (${MAX_TIMER_MS} ms, about 24.8 days)`, `use at most ${MAX_TIMER_MS}`);
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    fail(`${where}: ${what} must be a positive number of milliseconds, got ${show(value)}`, `e.g. ${what}: 2000`);
  }
  return value;
}

export function checkStartDelay(ms: unknown, where: string): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    fail(`${where}: start delay must be a non-negative number of milliseconds, got ${show(ms)}`, 'use 0 for no delay');
  }
  if (ms > MAX_TIMER_MS) fail(`${where}: start delay ${ms} ms is longer than timers allow (${MAX_TIMER_MS} ms)`, `use at most ${MAX_TIMER_MS}`);
  return ms;
}

export function checkStatusCode(code: unknown, where: string): number {
  if (typeof code !== 'number' || !Number.isInteger(code) || code < 100 || code > 599) {
    fail(`${where}: expected HTTP status ${show(code)} is not a valid status code`, 'use an integer from 100 to 599, e.g. 200');
  }
  return code;
}

export function checkEnvKey(key: unknown, where: string): string {
  if (typeof key !== 'string' || key.length === 0) {
    fail(`${where}: environment variable name must be a non-empty string, got ${show(key)}`, 'e.g. withEnv("ETCD_NAME", "etcd1")');
  }
  if (key.includes('=') || key.includes('\0')) {
    fail(`${where}: environment variable name ${show(key)} must not contain "=" or NUL`, 'pass the name and the value separately: withEnv(name, value)');
  }
  return key;
}

export function checkEnvValue(key: string, value: unknown, where: string): string {
  if (typeof value !== 'string' || value.includes('\0')) {
    fail(`${where}: value of environment variable ${show(key)} must be a string without NUL, got ${show(value)}`, 'convert numbers with String(x)');
  }
  return value;
}

/** A whole environment (exec's `env` option): an object of names and string values. */
export function checkEnvRecord(env: unknown, where: string): Record<string, string> {
  if (typeof env !== 'object' || env === null || Array.isArray(env)) {
    fail(`${where}: env must be an object of names and values, got ${show(env)}`, 'e.g. { env: { LANG: "C" } }');
  }
  for (const [key, value] of Object.entries(env)) checkEnvValue(checkEnvKey(key, where), value, where);
  return env as Record<string, string>;
}

/** A working directory inside a container: absolute, no NUL. */
export function checkContainerDir(path: unknown, what: string, where: string): string {
  if (typeof path !== 'string' || !path.startsWith('/') || path.includes('\0')) {
    fail(`${where}: ${what} ${show(path)} is not an absolute path`, 'give the full path inside the container, e.g. "/var/lib/app"');
  }
  return path;
}

/** A byte count from 1 to `max`. */
export function checkByteCount(value: unknown, what: string, where: string, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    fail(`${where}: ${what} must be an integer from 1 to ${max}, got ${show(value)}`, `e.g. ${what}: 1048576 (1 MiB)`);
  }
  return value;
}

/** Paths the runtime mounts itself; a user file there would be silently shadowed. */
const RESERVED_FILES = new Set(['/etc/hosts', '/etc/hostname', '/etc/resolv.conf']);

export function checkFileTarget(path: unknown, where: string): string {
  if (typeof path !== 'string' || !path.startsWith('/')) {
    fail(`${where}: file target ${show(path)} is not an absolute path`, 'give the full path inside the container, e.g. "/etc/app/config.yaml"');
  }
  if (path.split('/').some((segment) => segment === '..' || segment === '.')) {
    fail(`${where}: file target ${show(path)} contains "." or ".." segments`, 'give a normalized absolute path');
  }
  if (path.endsWith('/') || path.includes('//')) {
    fail(`${where}: file target ${show(path)} is a directory path, not a file`, 'name the file, e.g. "/etc/app/config.yaml"');
  }
  if (path.includes('\0')) fail(`${where}: file target ${show(path)} contains NUL`, 'remove the NUL byte');
  if (RESERVED_FILES.has(path)) {
    fail(`${where}: file target ${show(path)} is managed by pakostii`, 'pakostii writes /etc/hosts (all node names) itself; put your file elsewhere');
  }
  return path;
}

export function checkArgv(argv: unknown, what: string, where: string): string[] {
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === 'string')) {
    fail(`${where}: ${what} must be a non-empty array of strings, got ${show(JSON.stringify(argv))}`, 'e.g. ["etcdctl", "endpoint", "health"]; no shell is involved');
  }
  if (argv[0] === '') fail(`${where}: ${what} has an empty program name`, 'the first element is the program to run');
  // execve() ends each argument at NUL: "a\0b" would silently run as "a".
  const withNul = (argv as string[]).findIndex((a) => a.includes('\0'));
  if (withNul >= 0) fail(`${where}: ${what} argument ${withNul} contains a NUL character`, 'arguments are C strings; remove the "\\0"');
  return [...argv] as string[];
}
