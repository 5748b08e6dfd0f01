// The client and its gRPC layer against the real containerd: connect,
// version, plugins, namespace and lease headers, streams, proto vendoring,
// run objects by label.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContainerdError } from '../../lib/errors.js';
import { ContainerdGrpc } from '../../lib/containerd/grpc.js';
import { containerdProtos, PROTO_FILES, SERVICES } from '../../lib/containerd/protos.js';
import type { ContainerdClient } from '../../lib/containerd/index.js';
import { LABELS, newRunId } from '../../lib/host/names.js';
import { cleanupTestNamespace, importBusybox, sh, SOCKET, TEST_NAMESPACE, testClient } from './setup.js';
import { api } from '../../lib/containerd/api.js';

const run = promisify(execFile);
const REPO = new URL('../..', import.meta.url).pathname;
let client: ContainerdClient;
let image: string;

beforeAll(async () => {
  client = await testClient();
  image = await importBusybox(client);
});

afterAll(async () => {
  if (!client) return;
  await cleanupTestNamespace(client, [image].filter(Boolean));
  client.close();
});

describe('ContainerdClient', () => {
  it('connects and reports the daemon’s version', async () => {
    expect(client.socket).toBe(SOCKET);
    expect(client.namespace).toBe(TEST_NAMESPACE);
    const version = await client.version();
    expect(await sh('ctr', ['version'])).toContain(`Version:  ${version.version}`);
    expect(version.revision).not.toBe('');
  });

  it('lists plugins: the overlayfs snapshotter is there and loaded', async () => {
    const snapshotters = await client.plugins(['type==io.containerd.snapshotter.v1']);
    expect(snapshotters.every((p) => p.type === 'io.containerd.snapshotter.v1')).toBe(true);
    const overlay = snapshotters.find((p) => p.id === 'overlayfs');
    expect(overlay).toEqual({ type: 'io.containerd.snapshotter.v1', id: 'overlayfs' });
    // A plugin that failed to load carries its error (btrfs/zfs have no backing fs here).
    expect(snapshotters.some((p) => p.initError !== undefined)).toBe(true);
  });

  it('finds images through the images engineer’s store (getImage)', async () => {
    const info = await client.getImage(image);
    expect(info?.chainId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(info?.config.entrypoint).toEqual(['/bin/sh', '-c']);
    expect(await client.getImage('pakostii.local/not-there:1')).toBeUndefined();
  });
});

describe('gRPC layer', () => {
  it('sends the containerd-namespace header on every call (objects land in that namespace only)', async () => {
    const id = `pk-${newRunId()}-nsprobe`;
    await api(client.rpc).leases.create({ id, labels: {} });
    try {
      expect(await sh('ctr', ['-n', TEST_NAMESPACE, 'leases', 'ls', '-q'])).toContain(id);
      expect(await sh('ctr', ['-n', 'default', 'leases', 'ls', '-q'])).not.toContain(id);
    } finally {
      await api(client.rpc).leases.delete({ id, sync: false });
    }
  });

  it('a call without a namespace is a FAILED_PRECONDITION ContainerdError naming the call', async () => {
    const err = await api(client.rpc).containers.list({}, { namespace: '' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContainerdError);
    expect((err as ContainerdError).grpcCode).toBe('FAILED_PRECONDITION');
    expect((err as Error).message).toMatch(/^containerd containers\.List failed: .*namespace/);
  });

  it('maps NOT_FOUND with the operation name', async () => {
    const err = await api(client.rpc).containers.get({ id: 'pk-nope' }, { operation: 'get container pk-nope' }).catch((e: unknown) => e);
    expect((err as ContainerdError).grpcCode).toBe('NOT_FOUND');
    expect((err as Error).message).toMatch(/^get container pk-nope failed: .*not found/);
  });

  it('sends containerd-lease: what a call creates under a lease is held by it', async () => {
    const runId = newRunId();
    const lease = `pk-${runId}-leasetest`;
    const key = `pk-${runId}-leasetest-snap`;
    const chainId = (await client.getImage(image))?.chainId ?? '';
    await api(client.rpc).leases.create({ id: lease, labels: { [LABELS.run]: runId } });
    await api(client.rpc).snapshots.prepare({ snapshotter: 'overlayfs', key, parent: chainId, labels: { [LABELS.run]: runId } }, { lease });
    const res = await api(client.rpc).leases.listResources({ id: lease });
    expect(res.resources).toContainEqual({ id: key, type: 'snapshots/overlayfs' });
    // Labelled objects of a run are found and removed by label.
    expect(await client.listRunObjects(runId)).toEqual({ containers: [], snapshots: [key], leases: [lease] });
    await client.removeRunObjects(runId);
    expect(await client.listRunObjects(runId)).toEqual({ containers: [], snapshots: [], leases: [] });
  });

  it('server streams can be collected, iterated and cancelled', async () => {
    const pages = await api(client.rpc).snapshots.list({ snapshotter: 'overlayfs', filters: [] }).collect();
    const chainId = (await client.getImage(image))?.chainId;
    expect(pages.flatMap((p) => p.info.map((i) => i.name))).toContain(chainId);
    // Events.Subscribe never ends by itself: cancel ends the iteration quietly.
    const events = api(client.rpc).events.subscribe({ filters: ['topic=="/never"'] });
    const drained = (async () => {
      for await (const _ of events) void _;
      return 'ended';
    })();
    setTimeout(() => events.cancel(), 100);
    expect(await drained).toBe('ended');
  });

  it('an aborted signal cancels a unary call', async () => {
    const abort = new AbortController();
    abort.abort();
    const err = await api(client.rpc).version.version({}, { signal: abort.signal }).catch((e: unknown) => e);
    expect((err as ContainerdError).grpcCode).toBe('CANCELLED');
  });

  it('withNamespace shares the channel; close() ends it', async () => {
    const grpc = ContainerdGrpc.open({ socket: SOCKET, namespace: TEST_NAMESPACE });
    const other = grpc.withNamespace('default');
    expect(other.namespace).toBe('default');
    await api(other).version.version({});
    grpc.close();
    await expect(api(other).version.version({})).rejects.toBeInstanceOf(ContainerdError);
  });
});

describe('protos', () => {
  it('load once per process and are cached', () => {
    expect(containerdProtos()).toBe(containerdProtos());
    for (const [, service] of Object.values(SERVICES)) expect(containerdProtos()[service]).toBeDefined();
    expect(containerdProtos()['containerd.events.TaskExit']).toBeDefined();
  });

  it('scripts/vendor-protos.sh copies a self-sufficient set (loads with no other include dir)', async () => {
    const dest = await mkdtemp(join(tmpdir(), 'pakostii-protos-'));
    try {
      await run('bash', [join(REPO, 'scripts/vendor-protos.sh'), dest]);
      const def = protoLoader.loadSync([...PROTO_FILES], { keepCase: true, includeDirs: [dest] });
      for (const [, service] of Object.values(SERVICES)) expect(def[service]).toBeDefined();
      expect(def['containerd.events.TaskExit']).toBeDefined();
    } finally {
      await rm(dest, { recursive: true, force: true });
    }
  });
});
