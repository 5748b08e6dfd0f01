/**
 * The OCI runtime spec of a service container, built in TypeScript (pure: no
 * I/O, so it is unit-tested without containerd). Defaults follow containerd's
 * own (oci/spec.go populateDefaultUnixSpec): same mounts, capability set,
 * masked and read-only paths, so a service behaves as under `ctr run`.
 */
import { ContainerdError } from '../errors.js';
import type { ContainerCreateRequest, ImageInfo } from './types.js';

export const RUNTIME_SPEC_TYPE_URL = 'types.containerd.io/opencontainers/runtime-spec/1/Spec';
export const PROCESS_SPEC_TYPE_URL = 'types.containerd.io/opencontainers/runtime-spec/1/Process';
export const RUNC_RUNTIME = 'io.containerd.runc.v2';
export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/**
 * Databases want many fds (redis asks for 10032); containerd's default 1024 is
 * too low for them. Capped by the caller at the runtime's own hard limit: without
 * CAP_SYS_RESOURCE (e.g. inside a container) runc cannot raise it.
 */
export const NOFILE_LIMIT = 65536;

export interface OciMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

export interface OciUser {
  uid: number;
  gid: number;
  additionalGids?: number[];
}

export interface OciProcess {
  terminal: boolean;
  user: OciUser;
  args: string[];
  env: string[];
  cwd: string;
  capabilities: { bounding: string[]; effective: string[]; permitted: string[] };
  rlimits: Array<{ type: string; hard: number; soft: number }>;
  noNewPrivileges: boolean;
}

export interface OciSpec {
  ociVersion: string;
  process: OciProcess;
  root: { path: string; readonly?: boolean };
  hostname: string;
  mounts: OciMount[];
  linux: {
    cgroupsPath: string;
    namespaces: Array<{ type: string; path?: string }>;
    resources: { devices: Array<{ allow: boolean; access: string }> };
    maskedPaths: string[];
    readonlyPaths: string[];
  };
}

/** containerd's default capability set for unprivileged containers. */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
] as const;

export const DEFAULT_MASKED_PATHS = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/sys/firmware',
  '/proc/scsi',
];

export const DEFAULT_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export function defaultMounts(): OciMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
  ];
}

/** The image's env with the service's env laid over it (same key → service wins, order kept). */
export function mergeEnv(base: readonly string[], overrides: Record<string, string> = {}): string[] {
  const merged = new Map<string, string>();
  for (const entry of base) {
    const eq = entry.indexOf('=');
    merged.set(eq < 0 ? entry : entry.slice(0, eq), eq < 0 ? '' : entry.slice(eq + 1));
  }
  for (const [key, value] of Object.entries(overrides)) merged.set(key, value);
  if (!merged.has('PATH')) merged.set('PATH', DEFAULT_PATH.slice('PATH='.length));
  return [...merged].map(([key, value]) => `${key}=${value}`);
}

/** The argv of the service: its command, else the image's entrypoint + cmd. */
export function processArgs(spec: Pick<ContainerCreateRequest, 'id' | 'command'>, image: Pick<ImageInfo, 'name' | 'config'>): string[] {
  const args = spec.command && spec.command.length > 0 ? [...spec.command] : [...image.config.entrypoint, ...image.config.cmd];
  if (args.length === 0) {
    throw new ContainerdError(`create container ${spec.id} failed: image ${image.name} has no entrypoint or cmd`, {
      hint: 'give the service a command (e.g. command: ["/bin/sh", "-c", "…"])',
    });
  }
  return args;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

function parsePasswd(text: string): PasswdEntry[] {
  const entries: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(':');
    if (fields.length < 4 || fields[0] === '' || line.startsWith('#')) continue;
    const uid = Number(fields[2]);
    const gid = Number(fields[3]);
    if (Number.isInteger(uid) && Number.isInteger(gid)) entries.push({ name: fields[0] ?? '', uid, gid });
  }
  return entries;
}

function parseGroup(text: string): GroupEntry[] {
  const entries: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(':');
    if (fields.length < 3 || fields[0] === '' || line.startsWith('#')) continue;
    const gid = Number(fields[2]);
    const members = (fields[3] ?? '').split(',').filter((m) => m !== '');
    if (Number.isInteger(gid)) entries.push({ name: fields[0] ?? '', gid, members });
  }
  return entries;
}

const isNumeric = (value: string): boolean => /^[0-9]+$/.test(value);

/** /etc/passwd and /etc/group of the image's rootfs (undefined when the image has none). */
export interface UserDatabase {
  passwd?: string;
  group?: string;
}

/**
 * Resolves an image's `User` ("", "name", "uid", "uid:gid", "name:group",
 * "uid:group", "name:gid") the way containerd's WithUser does: names through
 * the rootfs's /etc/passwd and /etc/group; a bare uid takes its passwd gid
 * (0 when absent); supplementary groups from /etc/group membership.
 */
export function resolveUser(user: string, files: UserDatabase, imageName: string): OciUser {
  const trimmed = user.trim();
  if (trimmed === '') return { uid: 0, gid: 0 };
  const [userPart = '', groupPart] = trimmed.split(':', 2);
  const passwd = parsePasswd(files.passwd ?? '');
  const groups = parseGroup(files.group ?? '');
  const unknown = (what: string, name: string, file: string): ContainerdError =>
    new ContainerdError(`resolve user "${trimmed}" of image ${imageName} failed: ${what} "${name}" is not in the image's ${file}`, {
      hint: `use a numeric uid[:gid] in the image's USER, or add "${name}" to ${file} in the image`,
    });

  let entry: PasswdEntry | undefined;
  let uid: number;
  if (isNumeric(userPart)) {
    uid = Number(userPart);
    entry = passwd.find((e) => e.uid === uid);
  } else {
    entry = passwd.find((e) => e.name === userPart);
    if (!entry) throw unknown('user', userPart, '/etc/passwd');
    uid = entry.uid;
  }

  let gid: number;
  if (groupPart === undefined || groupPart === '') gid = entry?.gid ?? 0;
  else if (isNumeric(groupPart)) gid = Number(groupPart);
  else {
    const group = groups.find((g) => g.name === groupPart);
    if (!group) throw unknown('group', groupPart, '/etc/group');
    gid = group.gid;
  }

  const additionalGids = entry
    ? [...new Set(groups.filter((g) => g.members.includes(entry.name) && g.gid !== gid).map((g) => g.gid))]
    : [];
  return additionalGids.length > 0 ? { uid, gid, additionalGids } : { uid, gid };
}

export interface RuntimeSpecInput {
  spec: ContainerCreateRequest;
  image: Pick<ImageInfo, 'name' | 'config'>;
  /** Resolved from image.config.user (see resolveUser). */
  user: OciUser;
  /** RLIMIT_NOFILE (soft = hard); default NOFILE_LIMIT. */
  nofile?: number;
}

/** The full runtime spec of a service container. */
export function buildRuntimeSpec({ spec, image, user, nofile = NOFILE_LIMIT }: RuntimeSpecInput): OciSpec {
  const caps = [...DEFAULT_CAPABILITIES];
  const mounts = defaultMounts();
  for (const mount of spec.mounts) {
    if (!mount.source.startsWith('/') || !mount.destination.startsWith('/')) {
      throw new ContainerdError(
        `create container ${spec.id} failed: mount ${mount.source} → ${mount.destination} needs absolute paths`,
        { hint: 'give bind mounts absolute host and container paths' },
      );
    }
    mounts.push({ destination: mount.destination, type: 'bind', source: mount.source, options: ['rbind', 'ro', 'rprivate'] });
  }
  return {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: false,
      user,
      args: processArgs(spec, image),
      env: mergeEnv(image.config.env, spec.env),
      cwd: image.config.workingDir || '/',
      capabilities: { bounding: [...caps], effective: [...caps], permitted: [...caps] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: nofile, soft: nofile }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs' },
    hostname: spec.hostname,
    mounts,
    linux: {
      cgroupsPath: spec.cgroupsPath,
      // The node's network namespace is shared (joined by path); the rest are new per container.
      namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network', path: spec.netnsPath }],
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      maskedPaths: [...DEFAULT_MASKED_PATHS],
      readonlyPaths: [...DEFAULT_READONLY_PATHS],
    },
  };
}

/** The process of an exec: the container's process with another argv, env laid over, optionally another cwd. */
export function execProcess(base: OciProcess, argv: string[], options: { env?: Record<string, string>; cwd?: string } = {}): OciProcess {
  if (argv.length === 0) throw new ContainerdError('exec failed: empty argv', { hint: 'pass the command to run, e.g. ["sh", "-c", "…"]' });
  return {
    ...base,
    terminal: false,
    args: [...argv],
    env: mergeEnv(base.env, options.env),
    cwd: options.cwd ?? base.cwd,
  };
}
