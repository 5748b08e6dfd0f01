// Service containers against the real containerd: network namespace, env,
// user, mounts, the two log files, logs that outlive the runner, removal.
import { ChildProcess, execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerdClient } from '../../lib/containerd/index.js';
import { LABELS } from '../../lib/host/names.js';
import { cleanupTestNamespace, createTestRun, eventually, importBusybox, sh, SOCKET, TEST_NAMESPACE, testClient, type TestRun } from './setup.js';
import { api } from '../../lib/containerd/api.js';

const run = promisify(execFile);
const REPO = new URL('../..', import.meta.url).pathname;
let client: ContainerdClient;
let image: string;
let appImage: string;
let tr: TestRun;
/** Images made by single tests, removed with the others at the end. */
const made: string[] = [];

beforeAll(async () => {
  client = await testClient();
  image = await importBusybox(client);
  appImage = await importBusybox(client, { tag: 'app-user', user: 'app' });
  tr = await createTestRun(image);
});

afterAll(async () => {
  if (!client) return;
  await tr?.cleanup(client);
  await cleanupTestNamespace(client, [image, appImage, ...made].filter(Boolean));
  client.close();
});

describe('an image whose upper layer deletes or replaces /etc/passwd', () => {
  it('USER resolves against what the upper layer left: a deleted passwd refuses the user', async () => {
    // creates image: pakostii.local/test-busybox:passwd-deleted
    const ref = await importBusybox(client, { tag: 'passwd-deleted', user: 'app', upper: [{ kind: 'file', path: 'etc/.wh.passwd', content: '' }] });
    made.push(ref);
    await expect(client.createContainer(tr.spec('deleted', { image: ref }))).rejects.toThrow(/"app" is not in the image's \/etc\/passwd/);
  });

  it('an /etc replaced by the upper layer (opaque) hides the lower group file: no supplementary group from it', async () => {
    // creates image: pakostii.local/test-busybox:etc-replaced
    const ref = await importBusybox(client, {
      tag: 'etc-replaced',
      user: 'app',
      upper: [
        { kind: 'dir', path: 'etc', mode: 0o755 },
        { kind: 'file', path: 'etc/.wh..wh..opq', content: '' },
        { kind: 'file', path: 'etc/passwd', content: 'app:x:2000:2000::/:/bin/sh\n', mode: 0o644 },
      ],
    });
    made.push(ref);
    const container = await client.createContainer(tr.spec('replaced', { image: ref, command: ['/bin/sh', '-c', 'echo "who=$(id -u):$(id -g) groups=$(id -G)"; ls /etc; exec sleep 60'] }));
    await container.start();
    const { stdout } = await eventually(async () => {
      const logs = await tr.logs('replaced');
      return logs.stdout.includes('who=') ? logs : undefined;
    }, 10_000, 'the service’s logs');
    // The lower layer's group file (staff:x:50:app) is gone in the container, so it gives no group either.
    expect(stdout).toContain('who=2000:2000 groups=2000\n');
    expect(stdout).not.toMatch(/^group$/m);
    await container.remove();
  });
});

describe('a service container', () => {
  it('runs inside the node’s network namespace, with stdout and stderr in two files', async () => {
    const container = await client.createContainer(
      tr.spec('web', {
        command: ['/bin/sh', '-c', 'ip -o -4 addr show; echo "env=$FROM_IMAGE,$SVC host=$(hostname) uid=$(id -u) cwd=$(pwd)"; echo to-stderr >&2; exec sleep 60'],
        env: { SVC: 'from-spec' },
      }),
    );
    await container.start();
    expect(await container.status()).toBe('running');
    const { stdout, stderr } = await eventually(async () => {
      const logs = await tr.logs('web');
      return logs.stdout.includes('env=') && logs.stderr !== '' ? logs : undefined;
    }, 10_000, 'the service’s logs');
    // The node's interface and address are visible inside; the host has neither.
    expect(stdout).toMatch(/pkt0\s+inet 10\.231\.0\.7\/24/);
    expect(await sh('ip', ['-o', '-4', 'addr', 'show'])).not.toContain('10.231.0.7');
    expect(stdout).toContain('env=1,from-spec host=n1 uid=0 cwd=/tmp');
    expect(stdout).not.toContain('to-stderr');
    expect(stderr).toBe('to-stderr\n');

    // Labels go on the container and its snapshot: the run's objects are findable by run id.
    const objects = await client.listRunObjects(tr.runId);
    expect(objects.containers).toContain(container.id);
    expect(objects.snapshots).toContain(container.id);
    expect(objects.leases).toEqual([]); // the create lease is gone
    const info = await api(client.rpc).containers.get({ id: container.id });
    expect(info.container?.labels[LABELS.service]).toBe('web');
    expect(info.container?.runtime?.name).toBe('io.containerd.runc.v2');
    await container.remove();
  });

  it('mounts the service’s files read-only and runs as the image’s USER (resolved in the image’s /etc/passwd)', async () => {
    const hostFile = join(tr.dir, 'hosts.txt');
    await writeFile(hostFile, 'from-the-host\n');
    const container = await client.createContainer(
      tr.spec('ro', {
        image: appImage,
        command: ['/bin/sh', '-c', 'cat /etc/pk-file; echo x > /etc/pk-file || echo write-refused; echo "who=$(id -u):$(id -g) groups=$(id -G)"; exec sleep 60'],
        mounts: [{ source: hostFile, destination: '/etc/pk-file' }],
      }),
    );
    await container.start();
    const { stdout } = await eventually(async () => {
      const logs = await tr.logs('ro');
      return logs.stdout.includes('who=') ? logs : undefined;
    }, 10_000, 'the service’s logs');
    expect(stdout).toContain('from-the-host\nwrite-refused\n');
    expect(stdout).toContain('who=1000:1000 groups=1000 50');
    await container.remove();
  });

  it('survives an empty stderr, and a second task appends to the same files', async () => {
    const container = await client.createContainer(tr.spec('quiet', { command: ['/bin/sh', '-c', 'echo only-stdout'] }));
    await container.start();
    await eventually(async () => (await container.status()) === 'stopped', 10_000, 'the task to exit');
    await container.start(); // the exited task is deleted, a new one starts
    await eventually(async () => (await container.status()) === 'stopped', 10_000, 'the second task to exit');
    expect(await tr.logs('quiet')).toEqual({ stdout: 'only-stdout\nonly-stdout\n', stderr: '' });
    // stop() on an exited task just deletes it and reports its exit code.
    expect(await container.stop()).toBe(0);
    await container.remove();
  });

  it('keeps writing logs after the runner that started it is SIGKILLed', async () => {
    const spec = tr.spec('survivor', { command: ['/bin/sh', '-c', 'i=0; while true; do i=$((i+1)); echo "tick $i"; echo "tock $i" >&2; sleep 0.1; done'] });
    const child = await run(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures/crash-runner.ts'), SOCKET, TEST_NAMESPACE, JSON.stringify(spec)]).catch(
      (err: { stdout?: string; signal?: string }) => err,
    );
    expect(child.stdout).toBe('started\n');
    expect((child as { signal?: string }).signal).toBe('SIGKILL');
    const ticks = async (): Promise<number> => (await tr.logs('survivor')).stdout.split('\n').filter((l) => l.startsWith('tick')).length;
    const before = await ticks();
    await new Promise((r) => setTimeout(r, 600));
    const after = await ticks();
    expect(after).toBeGreaterThan(before + 2);
    expect((await tr.logs('survivor')).stderr).toMatch(/^tock 1\ntock 2\n/);
    // The runner is gone; removal by run label still finds and removes it.
    expect((await client.listRunObjects(tr.runId)).containers).toContain(spec.id);
  });

  it('remove() is idempotent and leaves no container, task or snapshot', async () => {
    const container = await client.createContainer(tr.spec('gone', { command: ['/bin/sleep', '60'] }));
    await container.start();
    await container.remove();
    await container.remove();
    const objects = await client.listRunObjects(tr.runId);
    expect(objects.containers).not.toContain(container.id);
    expect(objects.snapshots).not.toContain(container.id);
    expect(await sh('ctr', ['-n', TEST_NAMESPACE, 'tasks', 'ls'])).not.toContain(container.id);
    expect(await sh('ctr', ['-n', TEST_NAMESPACE, 'containers', 'ls', '-q'])).not.toContain(container.id);
  });

  it('spawns no process from lib/: a whole lifecycle runs with process spawning trapped, and no lib file imports child_process', async () => {
    // Every async spawn (spawn/exec/execFile/fork) goes through ChildProcess.prototype.spawn.
    const spawned: string[] = [];
    // (spawn is internal to Node, hence not in the typings.)
    const proto = ChildProcess.prototype as unknown as { spawn: (this: ChildProcess, options: { file?: string }) => unknown };
    const original = proto.spawn;
    proto.spawn = function trapped(this: ChildProcess, options: { file?: string }) {
      spawned.push(String(options.file));
      return original.call(this, options);
    };
    try {
      const container = await client.createContainer(tr.spec('nospawn', { command: ['/bin/sh', '-c', 'echo ready; exec sleep 60'] }));
      await container.start();
      await eventually(async () => (await tr.logs('nospawn')).stdout.includes('ready'), 10_000, 'nospawn to start');
      expect((await container.exec(['/bin/echo', 'hi'])).stdout).toBe('hi\n');
      await container.pause();
      await container.resume();
      await container.restart({ timeoutMs: 200 });
      await container.stop({ timeoutMs: 200 });
      await container.remove();
    } finally {
      proto.spawn = original;
    }
    expect(spawned).toEqual([]);
    // Sync spawns (spawnSync/execSync) bypass the prototype: check the sources instead.
    const libDir = join(REPO, 'lib/containerd');
    const files = (await readdir(libDir, { recursive: true })).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(20);
    for (const file of files) {
      const source = await readFile(join(libDir, file), 'utf8');
      expect(source, file).not.toMatch(/from ['"](node:)?child_process['"]|require\(['"](node:)?child_process|process\.binding\(/);
    }
  });

  it('removeRunObjects() removes everything of a run, listRunObjects() then finds nothing', async () => {
    await client.removeRunObjects(tr.runId);
    expect(await client.listRunObjects(tr.runId)).toEqual({ containers: [], snapshots: [], leases: [] });
    expect(await sh('ctr', ['-n', TEST_NAMESPACE, 'snapshots', 'ls'])).not.toContain(tr.runId);
  });
});
