/**
 * pullImage against Debian's docker-registry (distribution 2.8) on a random
 * loopback port, with images pushed by the test itself, and containerd for
 * real. A bearer-token proxy in front of the registry reproduces quay.io's
 * anonymous token flow and counts every request the library makes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContainerdError } from '../../lib/errors.js';
import { chainIds } from '../../lib/containerd/images/digest.js';
import { ensureImage } from '../../lib/containerd/images/ensure-image.js';
import { MediaType, type Descriptor } from '../../lib/containerd/images/media-types.js';
import { hostPlatform } from '../../lib/containerd/images/platform.js';
import { pullImage } from '../../lib/containerd/images/pull.js';
import type { PullProgress } from '../../lib/containerd/index.js';
import { newRunId } from '../../lib/host/names.js';
import {
  ctr,
  freePort,
  openTestNamespace,
  pushImage,
  pushManifest,
  startAuthProxy,
  startRegistry,
  tinyLayers,
  type AuthProxy,
  type RunningRegistry,
  type TestNamespace,
} from './images-fixtures.js';

const runId = newRunId();
let ns: TestNamespace;
let registry: RunningRegistry;
let proxy: AuthProxy;
let hostManifest: Descriptor;
let foreignManifest: Descriptor;
let hostDiffIds: string[];
let foreignLayerDigests: string[];
let dockerManifest: Descriptor;

const OTHER_PLATFORM = hostPlatform().architecture === 'arm64' ? { os: 'linux', architecture: 'amd64' } : { os: 'linux', architecture: 'arm64', variant: 'v8' };

beforeAll(async () => {
  ns = await openTestNamespace(`pakostii-test-img-${runId}`);
  registry = await startRegistry();
  proxy = await startAuthProxy(registry.host);

  // A multi-platform OCI index: this machine's image and a foreign one.
  const hostLayers = await tinyLayers(`host-${runId}`);
  const foreignLayers = await tinyLayers(`foreign-${runId}`);
  hostDiffIds = hostLayers.map((l) => l.diffId);
  foreignLayerDigests = foreignLayers.map((l) => l.digest);
  hostManifest = await pushImage(registry.host, 'pakostii/multi', 'host-only', hostLayers);
  foreignManifest = await pushImage(registry.host, 'pakostii/multi', 'foreign-only', foreignLayers, { platform: OTHER_PLATFORM });
  await pushManifest(registry.host, 'pakostii/multi', 'v1', MediaType.ociIndex, {
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: [
      { ...foreignManifest, platform: OTHER_PLATFORM },
      { ...hostManifest, platform: { os: 'linux', architecture: hostPlatform().architecture } },
    ],
  });
  // A single-platform Docker schema 2 image.
  dockerManifest = await pushImage(registry.host, 'pakostii/docker', 'v1', await tinyLayers(`docker-${runId}`), { docker: true });
});

afterAll(async () => {
  await proxy?.close();
  await registry?.stop();
  expect(registry?.process.exitCode !== null || registry?.process.signalCode !== null).toBe(true);
  await ns?.destroy();
});

describe('pullImage', () => {
  it('pulls this platform’s image of a multi-arch index through the bearer-token flow, with progress', async () => {
    const ref = `${proxy.host}/pakostii/multi:v1`;
    const progress: PullProgress[] = [];
    const info = await pullImage(ns.rpc, ref, { onProgress: (p) => progress.push(p) });

    expect(info.name).toBe(ref);
    expect(info.digest).toBe(hostManifest.digest);
    expect(info.chainId).toBe(chainIds(hostDiffIds)[1]);
    expect(info.config).toEqual({ entrypoint: ['/bin/sh'], cmd: ['-c', 'echo hi'], env: ['PATH=/bin'], workingDir: '/tmp', user: '0' });

    // The token endpoint was used, and only this platform's blobs were fetched.
    expect(proxy.requests).toContain('/token');
    const fetched = proxy.requests.filter((p) => p.includes('/blobs/'));
    expect(fetched).toHaveLength(3); // config + 2 layers
    for (const digest of foreignLayerDigests.slice(1)) expect(await ns.rpc.contentInfo(digest)).toBeUndefined();

    // Progress: one image, monotonic, ends exactly at the total.
    expect(progress.length).toBeGreaterThanOrEqual(2);
    const total = progress[0]?.bytesTotal ?? 0;
    expect(total).toBeGreaterThan(1_000_000); // busybox layer
    expect(progress.every((p) => p.ref === ref && p.bytesTotal === total)).toBe(true);
    expect(progress.map((p) => p.bytesDone)).toEqual([...progress.map((p) => p.bytesDone)].sort((a, b) => a - b));
    expect(progress.at(-1)?.bytesDone).toBe(total);

    // Observed with ctr: the image (target = the index) and its unpacked snapshot.
    const listed = ctr(ns.namespace, 'images', 'ls');
    expect(listed).toMatch(new RegExp(`${ref.replace(/[.]/g, '\\.')}\\s+${MediaType.ociIndex.replace(/[.+]/g, '\\$&')}`));
    expect(ctr(ns.namespace, 'snapshots', 'ls')).toMatch(new RegExp(`${info.chainId}\\s+\\S+\\s+Committed`));
    expect(ctr(ns.namespace, 'leases', 'ls', '-q').trim()).toBe('');
  });

  it('does not download again: a second pull only resolves the tag, ensureImage makes no request', async () => {
    const ref = `${proxy.host}/pakostii/multi:v1`;
    proxy.requests.length = 0;
    const progress: PullProgress[] = [];
    const again = await pullImage(ns.rpc, ref, { onProgress: (p) => progress.push(p) });
    expect(again.digest).toBe(hostManifest.digest);
    expect(proxy.requests.filter((p) => p.includes('/blobs/'))).toEqual([]);
    expect(progress.at(-1)).toMatchObject({ bytesDone: progress[0]?.bytesTotal });

    proxy.requests.length = 0;
    const ensured = await ensureImage(ns.rpc, ref);
    expect(ensured).toEqual(again);
    expect(proxy.requests).toEqual([]);
  });

  it('ensureImage re-unpacks from local content, without the network, when the snapshot is gone', async () => {
    const ref = `${proxy.host}/pakostii/multi:v1`;
    const chainId = chainIds(hostDiffIds)[1] ?? '';
    await ns.rpc.snapshotRemove('overlayfs', chainId);
    expect(await ns.rpc.snapshotStat('overlayfs', chainId)).toBeUndefined();
    proxy.requests.length = 0;
    const info = await ensureImage(ns.rpc, ref);
    expect(info.chainId).toBe(chainId);
    expect(proxy.requests).toEqual([]);
    expect((await ns.rpc.snapshotStat('overlayfs', chainId))?.kind).toBe('committed');
  });

  it('ensureImage re-unpacks when containerd’s garbage collection runs in the middle (as another run’s lease removal makes it)', async () => {
    // Without the top snapshot, the one below it is referenced by nothing: a GC between
    // finding it and building on it took it away, and the unpack failed (seen only while
    // other runs were active). Here the GC is made to run at exactly that moment.
    const ref = `${proxy.host}/pakostii/multi:v1`;
    const [parent, top] = chainIds(hostDiffIds);
    // The test's own lease keeps the parent alive until the race point: any GC before it
    // (other suites share this containerd and set GC off too) must not decide the outcome.
    const hold = `pk-${runId}-hold`;
    await ns.rpc.leaseCreate(hold, {});
    await ns.rpc.leaseAddResource(hold, { id: parent ?? '', type: 'snapshots/overlayfs' });
    await ns.rpc.snapshotRemove('overlayfs', top ?? '');
    let collected = false;
    // Dropping the hold with --sync runs a GC there and then: only the unpack's lease can keep the parent.
    const collectNow = () => ctr(ns.namespace, 'leases', 'delete', '--sync', hold);
    const racing = new Proxy(ns.rpc, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver) as unknown;
        if (name !== 'snapshotStat' || typeof value !== 'function') return value;
        return async (snapshotter: string, key: string) => {
          const info = await (value as typeof target.snapshotStat).call(target, snapshotter, key);
          if (key === parent && info?.kind === 'committed' && !collected) {
            collected = true;
            collectNow();
          }
          return info;
        };
      },
    });
    const info = await ensureImage(racing, ref);
    expect(collected).toBe(true);
    expect(info.chainId).toBe(top);
    expect((await ns.rpc.snapshotStat('overlayfs', top ?? ''))?.kind).toBe('committed');
  });

  it('pulls a Docker schema 2 image by tag and by digest over plain HTTP from a loopback registry', async () => {
    const byTag = await pullImage(ns.rpc, `${registry.host}/pakostii/docker:v1`);
    expect(byTag.digest).toBe(dockerManifest.digest);
    const pinned = `${registry.host}/pakostii/docker@${dockerManifest.digest}`;
    const byDigest = await pullImage(ns.rpc, pinned);
    expect(byDigest).toMatchObject({ name: pinned, digest: dockerManifest.digest, chainId: byTag.chainId });
    const out = ctr(ns.namespace, 'run', '--rm', pinned, `pk-${runId}-pulled`, '/bin/sh', '-c', 'cat /etc/marker');
    expect(out.trim()).toBe(`docker-${runId}`);
  });

  it('fails on a missing tag with the image and the registry’s answer, and a hint to import locally', async () => {
    const ref = `${proxy.host}/pakostii/multi:does-not-exist`;
    const err = await pullImage(ns.rpc, ref).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContainerdError);
    expect((err as Error).message).toContain(`pull ${ref}: registry answered 404 manifest unknown`);
    expect((err as ContainerdError).hint).toContain('pakostii images import');
    expect(await ns.rpc.imageGet(ref)).toBeUndefined();
    expect(ctr(ns.namespace, 'leases', 'ls', '-q').trim()).toBe('');
  });

  it('fails clearly when the registry cannot be reached', async () => {
    const closedPort = `127.0.0.1:${await freePort()}`; // bound then closed: nothing listens
    const err = await pullImage(ns.rpc, `${closedPort}/pakostii/multi:v1`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContainerdError);
    expect((err as Error).message).toMatch(/pull 127\.0\.0\.1:\d+\/pakostii\/multi:v1: cannot reach registry http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
  });

  it('stops when the signal aborts', async () => {
    const controller = new AbortController();
    controller.abort(new Error('test cancelled'));
    const err = await pullImage(ns.rpc, `${registry.host}/pakostii/docker:v1`, { signal: controller.signal }).catch((e: unknown) => e);
    expect((err as Error).message).toContain('test cancelled');
  });
});
