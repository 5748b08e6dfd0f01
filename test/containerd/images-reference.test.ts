/**
 * Pure logic of the image code (no containerd): reference normalization,
 * platform selection, registry auth challenges, chain ids, reproducible
 * archives and import planning.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SpecError } from '../../lib/errors.js';
import { scanArchive } from '../../lib/containerd/images/archive-reader.js';
import { chainIds, sha256 } from '../../lib/containerd/images/digest.js';
import { planImport } from '../../lib/containerd/images/import-plan.js';
import { Labels } from '../../lib/containerd/images/media-types.js';
import { writeOciArchive } from '../../lib/containerd/images/oci-archive-writer.js';
import { selectPlatformManifest } from '../../lib/containerd/images/platform.js';
import { parseReference } from '../../lib/containerd/images/reference.js';
import { isInsecureRegistry, parseAuthChallenge, RegistryClient } from '../../lib/containerd/images/registry-client.js';
import { tinyLayers } from './images-fixtures.js';

describe('parseReference', () => {
  it.each([
    ['redis', 'docker.io/library/redis:latest', 'registry-1.docker.io'],
    ['redis:7', 'docker.io/library/redis:7', 'registry-1.docker.io'],
    ['bitnami/redis:7.2', 'docker.io/bitnami/redis:7.2', 'registry-1.docker.io'],
    ['index.docker.io/library/busybox', 'docker.io/library/busybox:latest', 'registry-1.docker.io'],
    ['quay.io/coreos/etcd:v3.6.11', 'quay.io/coreos/etcd:v3.6.11', 'quay.io'],
    ['localhost:5000/x:y', 'localhost:5000/x:y', 'localhost:5000'],
    ['localhost/app', 'localhost/app:latest', 'localhost'],
    ['127.0.0.1:5000/a/b/c:dev', '127.0.0.1:5000/a/b/c:dev', '127.0.0.1:5000'],
    ['pakostii.local/etcd:3.4', 'pakostii.local/etcd:3.4', 'pakostii.local'],
  ])('%s → %s', (input, name, host) => {
    const ref = parseReference(input);
    expect(ref.name).toBe(name);
    expect(new RegistryClient(ref).baseUrl.replace(/^https?:\/\//, '')).toBe(host);
  });

  it('keeps a digest and does not invent a tag next to it', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(parseReference(`quay.io/coreos/etcd@${digest}`)).toMatchObject({ tag: undefined, digest, name: `quay.io/coreos/etcd@${digest}` });
    expect(parseReference(`redis:7@${digest}`).name).toBe(`docker.io/library/redis:7@${digest}`);
  });

  it.each(['', 'Redis', 'redis:', 'redis@sha256:xyz', 'quay.io//etcd', 'a/b:c:d'])('rejects %j with a SpecError and an example', (input) => {
    expect(() => parseReference(input)).toThrow(SpecError);
    expect(() => parseReference(input)).toThrow(/invalid image reference/);
  });
});

describe('registry transport', () => {
  it('uses plain HTTP only for loopback or explicitly insecure registries', () => {
    expect(new RegistryClient(parseReference('localhost:5000/x')).baseUrl).toBe('http://localhost:5000');
    expect(new RegistryClient(parseReference('127.0.0.1:5000/x')).baseUrl).toBe('http://127.0.0.1:5000');
    expect(new RegistryClient(parseReference('quay.io/coreos/etcd')).baseUrl).toBe('https://quay.io');
    expect(new RegistryClient(parseReference('registry.lan:5000/x'), { insecureRegistries: ['registry.lan:5000'] }).baseUrl).toBe('http://registry.lan:5000');
    expect(isInsecureRegistry('registry.lan:5000')).toBe(false);
  });

  it('parses bearer challenges whose scope holds commas (quay.io, Docker Hub)', () => {
    expect(parseAuthChallenge('Bearer realm="https://quay.io/v2/auth",service="quay.io",scope="repository:coreos/etcd:pull,push"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://quay.io/v2/auth', service: 'quay.io', scope: 'repository:coreos/etcd:pull,push' },
    });
    expect(parseAuthChallenge('Basic realm="registry"').scheme).toBe('basic');
  });

  it('follows the anonymous token flow of quay.io, asking for a pull scope when the challenge has none', async () => {
    const seen: Array<{ url: string; auth: string | undefined }> = [];
    const fake: typeof fetch = async (input, init) => {
      const url = String(input);
      const auth = (init?.headers as Record<string, string> | undefined)?.['authorization'];
      seen.push({ url, auth });
      if (url.startsWith('https://quay.io/v2/auth')) return Response.json({ token: 'T' });
      if (auth !== 'Bearer T') {
        return new Response('{}', { status: 401, headers: { 'www-authenticate': 'Bearer realm="https://quay.io/v2/auth",service="quay.io"' } });
      }
      const body = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] });
      return new Response(body, { headers: { 'content-type': 'application/vnd.oci.image.index.v1+json' } });
    };
    const client = new RegistryClient(parseReference('quay.io/coreos/etcd:v3.6.11'), { fetch: fake });
    const manifest = await client.getManifest();
    expect(manifest.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(seen.map((s) => s.url)).toEqual([
      'https://quay.io/v2/coreos/etcd/manifests/v3.6.11',
      'https://quay.io/v2/auth?service=quay.io&scope=repository%3Acoreos%2Fetcd%3Apull',
      'https://quay.io/v2/coreos/etcd/manifests/v3.6.11',
    ]);
  });
});

describe('platform selection', () => {
  const d = (architecture: string, variant?: string, os = 'linux') => ({
    mediaType: 'm',
    digest: `sha256:${architecture}${variant ?? ''}${os}`,
    size: 1,
    platform: { os, architecture, ...(variant ? { variant } : {}) },
  });
  it('picks linux + this architecture and ignores attestations and other OSes', () => {
    const list = [{ mediaType: 'm', digest: 'sha256:att', size: 1, platform: { os: 'unknown', architecture: 'unknown' } }, d('amd64', undefined, 'windows'), d('arm64', 'v8'), d('amd64')];
    expect(selectPlatformManifest(list, { os: 'linux', architecture: 'amd64' })?.digest).toBe('sha256:amd64linux');
    expect(selectPlatformManifest(list, { os: 'linux', architecture: 'arm64', variant: 'v8' })?.digest).toBe('sha256:arm64v8linux');
    expect(selectPlatformManifest(list, { os: 'linux', architecture: 's390x' })).toBeUndefined();
  });
  it('prefers the exact arm variant, falls back to an older one', () => {
    expect(selectPlatformManifest([d('arm', 'v6'), d('arm', 'v7')], { os: 'linux', architecture: 'arm', variant: 'v7' })?.digest).toBe('sha256:armv7linux');
    expect(selectPlatformManifest([d('arm', 'v6')], { os: 'linux', architecture: 'arm', variant: 'v7' })?.digest).toBe('sha256:armv6linux');
  });
});

describe('chain ids', () => {
  it('are the diff id for one layer and sha256("prev diff") after', () => {
    const a = `sha256:${'1'.repeat(64)}`;
    const b = `sha256:${'2'.repeat(64)}`;
    expect(chainIds([a])).toEqual([a]);
    expect(chainIds([a, b])).toEqual([a, sha256(`${a} ${b}`)]);
  });
});

describe('OCI archives', () => {
  it('are reproducible and plan into children-first blobs with containerd’s GC labels', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pakostii-oci-'));
    try {
      const [first, second] = [join(dir, 'a.tar'), join(dir, 'b.tar')];
      const input = { ref: 'pakostii.local/repro:1', config: { cmd: ['/bin/sh'] } };
      const a = await writeOciArchive(first, { ...input, layers: await tinyLayers('same') });
      const b = await writeOciArchive(second, { ...input, layers: await tinyLayers('same') });
      expect(b.manifestDigest).toBe(a.manifestDigest);
      expect(sha256(await readFile(second))).toBe(sha256(await readFile(first)));

      const plan = planImport(first, await scanArchive(first));
      expect(plan.images.map((i) => [i.name, i.manifestDigest])).toEqual([['pakostii.local/repro:1', a.manifestDigest]]);
      const order = plan.blobs.map((blob) => blob.descriptor.digest);
      expect(order.at(-1)).toBe(a.manifestDigest); // the manifest after everything it references
      const manifestLabels = plan.blobs.at(-1)?.labels ?? {};
      expect(manifestLabels[Labels.gcRefConfig]).toBe(a.configDigest);
      expect(Object.keys(manifestLabels).filter((k) => k.startsWith('containerd.io/gc.ref.content.l.'))).toHaveLength(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
