/**
 * importArchive against the real containerd: OCI layout and docker-archive
 * tarballs end up as images with committed snapshot chains, survive garbage
 * collection once the import lease is gone, and importing twice changes nothing.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContainerdError } from '../../lib/errors.js';
import { chainIds, sha256 } from '../../lib/containerd/images/digest.js';
import { importArchive } from '../../lib/containerd/images/import-archive.js';
import { getImage } from '../../lib/containerd/images/image-store.js';
import { Labels, MediaType } from '../../lib/containerd/images/media-types.js';
import { writeOciArchive } from '../../lib/containerd/images/oci-archive-writer.js';
import { hostPlatform } from '../../lib/containerd/images/platform.js';
import type { ImagesRpc } from '../../lib/containerd/images/rpc.js';
import { newRunId } from '../../lib/host/names.js';
import { ctr, imageConfig, openTestNamespace, tinyLayers, writeDockerArchive, writeTar, type TestNamespace } from './images-fixtures.js';

const runId = newRunId();
const OCI_REF = `pakostii.local/import-test-${runId}:v1`;
let ns: TestNamespace;
let dir: string;
let ociArchive: string;
let diffIds: string[];
let manifestDigest: string;

/** Counts the calls that would write something, passing everything through to the real containerd. */
function countingRpc(rpc: ImagesRpc): { rpc: ImagesRpc; writes: Record<string, number> } {
  const writes: Record<string, number> = { contentWrite: 0, snapshotPrepare: 0, diffApply: 0, snapshotCommit: 0 };
  const proxy = new Proxy(rpc, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof prop === 'string' && prop in writes && typeof value === 'function') {
        return (...args: unknown[]) => {
          writes[prop] = (writes[prop] ?? 0) + 1;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { rpc: proxy, writes };
}

/** Runs containerd's GC now (deleting a lease with sync=true collects synchronously). */
function collectGarbage(namespace: string): void {
  ctr(namespace, 'leases', 'create', '--id', `gc-${runId}`);
  ctr(namespace, 'leases', 'rm', '--sync', `gc-${runId}`);
}

beforeAll(async () => {
  ns = await openTestNamespace(`pakostii-test-img-${runId}`);
  dir = await mkdtemp(join(tmpdir(), 'pakostii-import-'));
  const layers = await tinyLayers(`oci-${runId}`);
  diffIds = layers.map((l) => l.diffId);
  ociArchive = join(dir, 'tiny.oci.tar');
  const written = await writeOciArchive(ociArchive, { ref: OCI_REF, layers, config: { entrypoint: ['/bin/sh'], cmd: ['-c', 'cat /etc/marker'] } });
  manifestDigest = written.manifestDigest;
});

afterAll(async () => {
  await ns?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
  // Nothing of ours may survive: the namespace itself is gone.
  expect(ctr('default', 'namespaces', 'ls', '-q').split('\n')).not.toContain(`pakostii-test-img-${runId}`);
});

describe('importArchive (OCI image layout)', () => {
  it('creates the image, its committed snapshot chain and the GC labels, and drops its lease', async () => {
    const [info, ...rest] = await importArchive(ns.rpc, ociArchive);
    expect(rest).toEqual([]);
    const chains = chainIds(diffIds);
    expect(info).toEqual({
      name: OCI_REF,
      digest: manifestDigest,
      chainId: chains[1],
      config: { entrypoint: ['/bin/sh'], cmd: ['-c', 'cat /etc/marker'], env: [expect.stringContaining('PATH=')], workingDir: '/', user: '' },
    });

    // Observed with ctr, not through the library.
    expect(ctr(ns.namespace, 'images', 'ls', '-q').split('\n')).toContain(OCI_REF);
    const snapshots = ctr(ns.namespace, 'snapshots', 'ls');
    expect(snapshots).toMatch(new RegExp(`${chains[0]}\\s+Committed`));
    expect(snapshots).toMatch(new RegExp(`${chains[1]}\\s+${chains[0]}\\s+Committed`));
    expect(ctr(ns.namespace, 'leases', 'ls', '-q').trim()).toBe('');

    const image = await ns.rpc.imageGet(OCI_REF);
    expect(image?.target).toMatchObject({ mediaType: MediaType.ociManifest, digest: manifestDigest });
    const configDigest = JSON.parse((await ns.rpc.contentRead(manifestDigest)).toString()).config.digest as string;
    expect((await ns.rpc.contentInfo(configDigest))?.labels[Labels.gcRefSnapshot('overlayfs')]).toBe(chains[1]);
    expect((await ns.rpc.contentInfo(manifestDigest))?.labels[Labels.gcRefConfig]).toBe(configDigest);
  });

  it('keeps content and snapshots through garbage collection once the lease is gone', async () => {
    collectGarbage(ns.namespace);
    const info = await getImage(ns.rpc, OCI_REF);
    expect(info?.digest).toBe(manifestDigest);
    expect((await ns.rpc.snapshotStat('overlayfs', chainIds(diffIds)[1] ?? ''))?.kind).toBe('committed');
    expect((await ns.rpc.contentList()).length).toBe(4); // config, manifest, 2 layers
  });

  it('yields a rootfs a container can run from', () => {
    const out = ctr(ns.namespace, 'run', '--rm', OCI_REF, `pk-${runId}-imgrun`, '/bin/sh', '-c', 'cat /etc/marker; ls -ld /tmp');
    expect(out).toContain(`oci-${runId}`);
    expect(out).toMatch(/^drwxrwxrwt/m);
  });

  it('is idempotent: importing again writes no content and unpacks nothing', async () => {
    const before = ctr(ns.namespace, 'snapshots', 'ls');
    const { rpc, writes } = countingRpc(ns.rpc);
    const [again] = await importArchive(rpc, ociArchive);
    expect(again?.digest).toBe(manifestDigest);
    expect(writes).toEqual({ contentWrite: 0, snapshotPrepare: 0, diffApply: 0, snapshotCommit: 0 });
    expect(ctr(ns.namespace, 'snapshots', 'ls')).toBe(before);
    expect(ctr(ns.namespace, 'leases', 'ls', '-q').trim()).toBe('');
  });
});

describe('importArchive (docker save tarball)', () => {
  it('imports uncompressed layers under the normalized RepoTags name', async () => {
    const archive = join(dir, 'docker.tar');
    const { configDigest } = await writeDockerArchive(archive, `pakostii-test/docker-archive-${runId}:v2`, `docker-${runId}`);
    const { rpc, writes } = countingRpc(ns.rpc);
    const [info] = await importArchive(rpc, archive);
    const name = `docker.io/pakostii-test/docker-archive-${runId}:v2`;
    expect(info?.name).toBe(name);
    expect(ctr(ns.namespace, 'images', 'ls', '-q').split('\n')).toContain(name);
    // The busybox base layer is byte-identical to the OCI image's uncompressed base, so its snapshot is shared:
    // only the marker layer is new.
    expect(writes.snapshotCommit).toBe(1);
    const manifest = JSON.parse((await ns.rpc.contentRead(info?.digest ?? '')).toString());
    expect(manifest.mediaType).toBe(MediaType.dockerManifest);
    expect(manifest.config.digest).toBe(configDigest);
    expect(manifest.layers.map((l: { mediaType: string }) => l.mediaType)).toEqual([MediaType.dockerLayer, MediaType.dockerLayer]);
    expect((await ns.rpc.snapshotStat('overlayfs', info?.chainId ?? ''))?.kind).toBe('committed');
    const out = ctr(ns.namespace, 'run', '--rm', name, `pk-${runId}-dockerrun`, '/bin/sh', '-c', 'cat /etc/marker');
    expect(out.trim()).toBe(`docker-${runId}`);
  });
});

describe('importArchive (other shapes)', () => {
  it('reads a gzip-compressed archive', async () => {
    const gz = join(dir, 'tiny.oci.tar.gz');
    await writeFile(gz, gzipSync(await readFile(ociArchive)));
    const [info] = await importArchive(ns.rpc, gz);
    expect(info).toMatchObject({ name: OCI_REF, digest: manifestDigest });
  });

  it('imports the host platform of a multi-platform index whose other platforms are not in the archive', async () => {
    const name = `pakostii.local/multi-${runId}:v1`;
    const layers = await tinyLayers(`multi-${runId}`);
    const config = imageConfig(layers);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config: { mediaType: MediaType.ociConfig, digest: sha256(config), size: config.length },
        layers: layers.map((l) => ({ mediaType: MediaType.ociLayerGzip, digest: l.digest, size: l.blob.length })),
      }),
    );
    const absent = { mediaType: MediaType.ociManifest, digest: sha256('not in the archive'), size: 100, platform: { os: 'linux', architecture: 'riscv64' } };
    const nested = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociIndex,
        manifests: [absent, { mediaType: MediaType.ociManifest, digest: sha256(manifest), size: manifest.length, platform: hostPlatform() }],
      }),
    );
    const index = { schemaVersion: 2, manifests: [{ mediaType: MediaType.ociIndex, digest: sha256(nested), size: nested.length, annotations: { 'io.containerd.image.name': name } }] };
    const blob = (b: Buffer) => [`blobs/sha256/${sha256(b).slice(7)}`, b] as const;
    const archive = join(dir, 'multi.tar');
    await writeTar(archive, Object.fromEntries([
      ['oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}')],
      ['index.json', Buffer.from(JSON.stringify(index))],
      blob(nested), blob(manifest), blob(config), ...layers.map((l) => blob(l.blob)),
    ]));
    const [info] = await importArchive(ns.rpc, archive);
    expect(info).toMatchObject({ name, digest: sha256(manifest), chainId: chainIds(layers.map((l) => l.diffId))[1] });
    expect((await ns.rpc.imageGet(name))?.target).toMatchObject({ mediaType: MediaType.ociIndex, digest: sha256(nested) });
    expect((await ns.rpc.contentInfo(sha256(nested)))?.labels).toEqual({ [Labels.gcRefManifest(1)]: sha256(manifest) });
  });
});

describe('importArchive errors', () => {
  it('names the file and says what is wrong when it is not an image archive', async () => {
    const bogus = join(dir, 'bogus.tar');
    await writeFile(bogus, Buffer.alloc(1024));
    const err = await importArchive(ns.rpc, bogus).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContainerdError);
    expect((err as Error).message).toContain(`import ${bogus}: it has neither index.json`);
    const missing = await importArchive(ns.rpc, join(dir, 'missing.tar')).catch((e: unknown) => e);
    expect((missing as ContainerdError).message).toContain('cannot read the archive (ENOENT)');
    expect((missing as ContainerdError).hint).toContain('build-images');
  });
});
