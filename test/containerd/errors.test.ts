// Errors are for people: each failure a user can hit names what failed and
// says what to do. Real containerd, real sockets, a real unprivileged user.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContainerdError } from '../../lib/errors.js';
import { ContainerdClient } from '../../lib/containerd/index.js';
import { toContainerdError } from '../../lib/containerd/errors.js';
import { cleanupTestNamespace, createTestRun, importBusybox, SOCKET, TEST_NAMESPACE, testClient, type TestRun } from './setup.js';

const run = promisify(execFile);
let client: ContainerdClient;
let image: string;
let ghostImage: string;
let tr: TestRun;

beforeAll(async () => {
  client = await testClient();
  image = await importBusybox(client);
  ghostImage = await importBusybox(client, { tag: 'ghost-user', user: 'ghost' });
  tr = await createTestRun(image, '10.231.4.7');
});

afterAll(async () => {
  if (!client) return;
  await tr?.cleanup(client);
  await cleanupTestNamespace(client, [image, ghostImage].filter(Boolean));
  client.close();
});

async function failure(promise: Promise<unknown>): Promise<ContainerdError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ContainerdError);
  return err as ContainerdError;
}

describe('connect errors', () => {
  it('missing socket: names the socket and how to start containerd', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pakostii-nosock-'));
    const socket = join(dir, 'containerd.sock');
    try {
      const err = await failure(ContainerdClient.connect({ socket, namespace: TEST_NAMESPACE }));
      expect(err.message).toContain(socket);
      expect(err.message).toMatch(/does not exist \(containerd is not running\)/);
      expect(err.hint).toContain('systemctl start containerd');
      expect(err.hint).toContain('scripts/start-containerd.sh');
      expect(err.hint).toContain(`containerd --address ${socket}`);
      // A path that is not a socket says so.
      await writeFile(socket, '');
      expect((await failure(ContainerdClient.connect({ socket }))).message).toMatch(/is not a unix socket/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('permission denied (unprivileged user): says to run as root', async () => {
    const fixture = join(import.meta.dirname, 'fixtures/connect-as.ts');
    const { stdout } = await run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', fixture, SOCKET], {
      env: { ...process.env, HOME: '/tmp' },
    });
    const result = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { ok: boolean; isContainerdError: boolean; message: string; hint: string };
    expect(result.ok).toBe(false);
    expect(result.isContainerdError).toBe(true);
    expect(result.message).toContain(SOCKET);
    expect(result.message).toMatch(/permission denied/);
    expect(result.hint).toMatch(/run the tests as root/);
  });

  it('an unreachable daemon (UNAVAILABLE) gets the start-containerd hint too', () => {
    const err = toContainerdError(Object.assign(new Error('14 UNAVAILABLE'), { code: status.UNAVAILABLE, details: 'connect ECONNREFUSED' }), {
      operation: 'containerd version.Version',
      socket: '/x.sock',
    });
    expect(err.grpcCode).toBe('UNAVAILABLE');
    expect(err.hint).toMatch(/does not answer on \/x\.sock; start containerd/);
  });
});

describe('container errors', () => {
  it('an image USER missing from its /etc/passwd: names the user and the image, and leaves nothing behind', async () => {
    const spec = tr.spec('ghosted', { image: ghostImage, command: ['/bin/true'] });
    const err = await failure(client.createContainer(spec));
    expect(err.message).toContain('"ghost"');
    expect(err.message).toContain(ghostImage);
    expect(err.hint).toMatch(/numeric uid/);
    expect(await client.listRunObjects(tr.runId)).toEqual({ containers: [], snapshots: [], leases: [] });
  });

  it('an image that is not in containerd: names the image and how to get it', async () => {
    const err = await failure(client.createContainer(tr.spec('noimg', { image: 'pakostii.local/absent:1' })));
    expect(err.grpcCode).toBe('NOT_FOUND');
    expect(err.message).toContain('pakostii.local/absent:1');
    expect(err.hint).toMatch(/ensureImage/);
  });

  it('exec in a service that is not running: "service X is not running"', async () => {
    const c = await client.createContainer(tr.spec('sleeper', { command: ['/bin/sleep', '60'] }));
    try {
      const never = await failure(c.exec(['/bin/true']));
      expect(never.message).toMatch(/exec \["\/bin\/true"\] in service sleeper failed: service sleeper is not running/);
      expect(never.hint).toMatch(/start the service/);
      await c.start();
      expect((await c.exec(['/bin/true'])).exitCode).toBe(0);
      await c.stop({ timeoutMs: 100 });
      expect((await failure(c.exec(['/bin/true']))).message).toMatch(/service sleeper is not running/);
    } finally {
      await c.remove();
    }
  });

  it('a task that cannot start (missing binary) is a ContainerdError naming the task, and leaves no task', async () => {
    const c = await client.createContainer(tr.spec('broken', { command: ['/bin/not-a-binary'] }));
    try {
      const err = await failure(c.start());
      expect(err.message).toMatch(/start task .*broken failed|create task .*broken failed/);
      expect(err.message).toContain('not-a-binary');
      expect(await c.status()).toBe('stopped');
    } finally {
      await c.remove();
    }
  });
});
