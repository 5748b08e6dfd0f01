// Pure logic of the runtime spec, user resolution, log URIs and Any/Timestamp
// handling: no containerd needed.
import { describe, expect, it } from 'vitest';
import { ContainerdError } from '../../lib/errors.js';
import { rootfsLayers } from '../../lib/containerd/overlay-view.js';
import { taskExitFromEnvelope } from '../../lib/containerd/events.js';
import { decodeAny, fromTimestamp, jsonAny, messageAny, toTimestamp } from '../../lib/containerd/protos.js';
import type { ContainerCreateRequest } from '../../lib/containerd/index.js';
import { LOG_WRITER_SCRIPT, logUri } from '../../lib/containerd/log-writer.js';
import {
  buildRuntimeSpec,
  DEFAULT_CAPABILITIES,
  execProcess,
  mergeEnv,
  processArgs,
  resolveUser,
  RUNTIME_SPEC_TYPE_URL,
} from '../../lib/containerd/oci-spec.js';

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001:app:/home/app:/bin/sh\n# comment\nbroken line\n';
const GROUP = 'root:x:0:\napp:x:1001:\nstaff:x:50:app,other\nwheel:x:10:root\n';
const IMAGE = {
  name: 'pakostii.local/redis:7',
  config: { entrypoint: ['/entry.sh'], cmd: ['redis-server', '--port', '6379'], env: ['PATH=/usr/bin', 'A=image'], workingDir: '/data', user: 'app' },
};

function spec(overrides: Partial<ContainerCreateRequest> = {}): ContainerCreateRequest {
  return {
    id: 'pk-abcde-n1-redis',
    image: IMAGE.name,
    hostname: 'n1',
    netnsPath: '/run/netns/pk-abcde-n1',
    env: { A: 'service', B: 'b' },
    mounts: [{ source: '/tmp/pk/hosts', destination: '/etc/hosts' }],
    labels: { 'pakostii.run': 'abcde' },
    stdoutPath: '/tmp/pk/stdout.log',
    stderrPath: '/tmp/pk/stderr.log',
    cgroupsPath: '/pakostii/abcde/n1-redis',
    ...overrides,
  };
}

describe('environment and command', () => {
  it('lays the service env over the image env, keeping order and adding PATH when missing', () => {
    expect(mergeEnv(['PATH=/usr/bin', 'A=image', 'EMPTY'], { A: 'service', B: 'x=y' })).toEqual(['PATH=/usr/bin', 'A=service', 'EMPTY=', 'B=x=y']);
    expect(mergeEnv(['A=1'])[1]).toMatch(/^PATH=\/usr\/local\/sbin:/);
  });

  it('uses the service command instead of entrypoint + cmd, else the image’s', () => {
    expect(processArgs(spec({ command: ['/bin/sh', '-c', 'true'] }), IMAGE)).toEqual(['/bin/sh', '-c', 'true']);
    expect(processArgs(spec(), IMAGE)).toEqual(['/entry.sh', 'redis-server', '--port', '6379']);
  });

  it('refuses an image without entrypoint/cmd when the service gives no command', () => {
    const bare = { name: 'x/bare', config: { ...IMAGE.config, entrypoint: [], cmd: [] } };
    expect(() => processArgs(spec(), bare)).toThrow(/image x\/bare has no entrypoint or cmd/);
  });
});

describe('user resolution (/etc/passwd and /etc/group of the image)', () => {
  const files = { passwd: PASSWD, group: GROUP };
  it.each([
    ['', { uid: 0, gid: 0 }],
    ['app', { uid: 1000, gid: 1001, additionalGids: [50] }],
    ['1000', { uid: 1000, gid: 1001, additionalGids: [50] }],
    ['4242', { uid: 4242, gid: 0 }],
    ['1000:50', { uid: 1000, gid: 50 }],
    ['app:wheel', { uid: 1000, gid: 10, additionalGids: [50] }],
    ['4242:4343', { uid: 4242, gid: 4343 }],
    ['root', { uid: 0, gid: 0, additionalGids: [10] }],
  ])('"%s" → %o', (user, expected) => {
    expect(resolveUser(user, files, IMAGE.name)).toEqual(expected);
  });

  it('an unknown user name is a ContainerdError naming the user and the image', () => {
    const err = (() => {
      try {
        resolveUser('ghost', files, IMAGE.name);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ContainerdError);
    expect((err as Error).message).toContain('"ghost"');
    expect((err as Error).message).toContain(IMAGE.name);
    expect((err as ContainerdError).hint).toMatch(/numeric uid/);
  });

  it('an unknown group, or a name with no /etc/passwd at all, fails the same way', () => {
    expect(() => resolveUser('app:nogroup', files, IMAGE.name)).toThrow(/group "nogroup" is not in the image's \/etc\/group/);
    expect(() => resolveUser('app', {}, IMAGE.name)).toThrow(/user "app" is not in the image's \/etc\/passwd/);
  });
});

describe('runtime spec', () => {
  const user = { uid: 1000, gid: 1001 };
  const built = buildRuntimeSpec({ spec: spec(), image: IMAGE, user, nofile: 4096 });

  it('joins the node netns by path and creates the other namespaces', () => {
    expect(built.linux.namespaces).toEqual([
      { type: 'pid' },
      { type: 'ipc' },
      { type: 'uts' },
      { type: 'mount' },
      { type: 'network', path: '/run/netns/pk-abcde-n1' },
    ]);
  });

  it('has the process of the service: args, merged env, image cwd, user, rlimit, no new privileges', () => {
    expect(built.process.args).toEqual(['/entry.sh', 'redis-server', '--port', '6379']);
    expect(built.process.env).toEqual(['PATH=/usr/bin', 'A=service', 'B=b']);
    expect(built.process.cwd).toBe('/data');
    expect(built.process.user).toEqual(user);
    expect(built.process.rlimits).toEqual([{ type: 'RLIMIT_NOFILE', hard: 4096, soft: 4096 }]);
    expect(built.process.noNewPrivileges).toBe(true);
    expect(built.hostname).toBe('n1');
    expect(built.linux.cgroupsPath).toBe('/pakostii/abcde/n1-redis');
  });

  it('is not privileged: containerd’s default capability set only', () => {
    expect(built.process.capabilities.bounding).toEqual([...DEFAULT_CAPABILITIES]);
    expect(built.process.capabilities.effective).not.toContain('CAP_SYS_ADMIN');
    expect(built.process.capabilities.bounding).not.toContain('CAP_NET_ADMIN');
  });

  it('mounts the defaults, then the service’s read-only binds', () => {
    const byDest = Object.fromEntries(built.mounts.map((m) => [m.destination, m]));
    for (const dest of ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup']) expect(byDest[dest]).toBeDefined();
    expect(byDest['/sys']?.options).toContain('ro');
    expect(byDest['/sys/fs/cgroup']?.options).toContain('ro');
    expect(byDest['/etc/hosts']).toEqual({ destination: '/etc/hosts', type: 'bind', source: '/tmp/pk/hosts', options: ['rbind', 'ro', 'rprivate'] });
    expect(built.linux.maskedPaths).toContain('/proc/kcore');
    expect(built.linux.readonlyPaths).toContain('/proc/sys');
  });

  it('refuses relative bind mount paths', () => {
    expect(() => buildRuntimeSpec({ spec: spec({ mounts: [{ source: 'rel', destination: '/x' }] }), image: IMAGE, user })).toThrow(/absolute/);
  });

  it('travels as a JSON Any with containerd’s runtime-spec type url', () => {
    const any = jsonAny(RUNTIME_SPEC_TYPE_URL, built);
    expect(any.type_url).toBe('types.containerd.io/opencontainers/runtime-spec/1/Spec');
    expect(JSON.parse(any.value.toString('utf8'))).toEqual(built);
  });

  it('derives an exec process from the container’s: same user, env laid over, cwd override', () => {
    const p = execProcess(built.process, ['id'], { env: { B: 'exec' }, cwd: '/tmp' });
    expect(p.args).toEqual(['id']);
    expect(p.user).toEqual(user);
    expect(p.env).toEqual(['PATH=/usr/bin', 'A=service', 'B=exec']);
    expect(p.cwd).toBe('/tmp');
    expect(execProcess(built.process, ['id']).cwd).toBe('/data');
    expect(() => execProcess(built.process, [])).toThrow(/empty argv/);
  });
});

describe('rootfs layers of a snapshot', () => {
  it('reads overlay upperdir first, then lowerdirs top to bottom; bind is one dir', () => {
    expect(
      rootfsLayers([{ type: 'overlay', source: 'overlay', options: ['index=off', 'workdir=/s/3/work', 'upperdir=/s/3/fs', 'lowerdir=/s/2/fs:/s/1/fs'] }]),
    ).toEqual(['/s/3/fs', '/s/2/fs', '/s/1/fs']);
    expect(rootfsLayers([{ type: 'bind', source: '/s/1/fs', options: ['rbind', 'ro'] }])).toEqual(['/s/1/fs']);
  });
});

describe('log writer', () => {
  it('builds a binary:// URI whose query carries both absolute paths (URL-encoded)', () => {
    const uri = new URL(logUri('/run/pakostii/log-writer', '/tmp/a b/stdout.log', '/tmp/x&y/stderr.log'));
    expect(uri.protocol).toBe('binary:');
    expect(uri.pathname).toBe('/run/pakostii/log-writer');
    expect(uri.searchParams.get('stdout')).toBe('/tmp/a b/stdout.log');
    expect(uri.searchParams.get('stderr')).toBe('/tmp/x&y/stderr.log');
    expect(() => logUri('/w', 'rel.log', '/abs.log')).toThrow(/not absolute/);
  });

  it('is a POSIX sh script that sets its own PATH (the shim gives it none)', () => {
    expect(LOG_WRITER_SCRIPT.startsWith('#!/bin/sh\n')).toBe(true);
    expect(LOG_WRITER_SCRIPT).toMatch(/^PATH=/m);
  });
});

describe('protobuf Any and Timestamp', () => {
  it('round-trips Timestamps with millisecond precision', () => {
    const date = new Date('2024-05-06T07:08:09.123Z');
    expect(toTimestamp(date)).toEqual({ seconds: Math.floor(date.getTime() / 1000), nanos: 123_000_000 });
    expect(fromTimestamp(toTimestamp(date)).getTime()).toBe(date.getTime());
    expect(fromTimestamp({ seconds: 1, nanos: 999_999_999 }).getTime()).toBe(1999);
  });

  it('decodes a containerd TaskExit event envelope; ignores exec exits and other topics', () => {
    const exitedAt = toTimestamp(new Date('2024-01-01T00:00:01.500Z'));
    const event = messageAny('containerd.events.TaskExit', { container_id: 'c1', id: 'c1', pid: 42, exit_status: 7, exited_at: exitedAt });
    expect(decodeAny(event)).toMatchObject({ container_id: 'c1', exit_status: 7 });
    expect(taskExitFromEnvelope({ namespace: 'ns', topic: '/tasks/exit', event })).toEqual({
      containerId: 'c1',
      exitCode: 7,
      exitedAt: new Date('2024-01-01T00:00:01.500Z'),
    });
    const execExit = messageAny('containerd.events.TaskExit', { container_id: 'c1', id: 'exec-1', exit_status: 1 });
    expect(taskExitFromEnvelope({ namespace: 'ns', topic: '/tasks/exit', event: execExit })).toBeUndefined();
    expect(taskExitFromEnvelope({ namespace: 'ns', topic: '/tasks/start', event })).toBeUndefined();
    expect(decodeAny({ type_url: 'types.example.com/not.Loaded', value: Buffer.alloc(0) })).toBeUndefined();
  });
});
