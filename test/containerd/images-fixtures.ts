/**
 * Test fixtures for the image tests: tiny images built from busybox-static,
 * OCI/docker-archive tarballs, Debian's docker-registry on a loopback port, a
 * distribution-v2 pusher (plain HTTP uploads), and a bearer-token proxy in
 * front of the registry that counts every request (like quay.io's auth flow).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { ContainerdGrpc } from '../../lib/containerd/grpc.js';
import { sha256 } from '../../lib/containerd/images/digest.js';
import { buildLayer, buildLayerTar, REPRODUCIBLE_MTIME, type BuiltLayer, type LayerEntry } from '../../lib/containerd/images/layer-builder.js';
import { MediaType, type Descriptor, type Platform } from '../../lib/containerd/images/media-types.js';
import { hostPlatform } from '../../lib/containerd/images/platform.js';
import { imagesRpc } from '../../lib/containerd/images/rpc-adapter.js';
import type { ImagesRpc } from '../../lib/containerd/images/rpc.js';

export const BUSYBOX = '/bin/busybox';

const BASE_ENTRIES: LayerEntry[] = [
  { kind: 'file', path: 'bin/busybox', source: BUSYBOX, mode: 0o755 },
  { kind: 'symlink', path: 'bin/sh', target: 'busybox' },
  { kind: 'dir', path: 'tmp', mode: 0o1777 },
];
const markerEntries = (marker: string): LayerEntry[] => [{ kind: 'file', path: 'etc/marker', content: `${marker}\n` }];

/** A two-layer image: busybox + sh, then a marker file (so chain ids have a parent). */
export async function tinyLayers(marker: string): Promise<BuiltLayer[]> {
  return Promise.all([buildLayer(BASE_ENTRIES), buildLayer(markerEntries(marker))]);
}

export function imageConfig(layers: readonly { diffId: string }[], platform: Platform = hostPlatform()): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      config: { Entrypoint: ['/bin/sh'], Cmd: ['-c', 'echo hi'], Env: ['PATH=/bin'], WorkingDir: '/tmp', User: '0' },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    }),
  );
}

/** A `docker save`-style tarball: manifest.json, <id>.json config, <id>/layer.tar (uncompressed). */
export async function writeDockerArchive(path: string, repoTag: string, marker: string): Promise<{ configDigest: string }> {
  const base = await buildLayerTar(BASE_ENTRIES);
  const top = await buildLayerTar(markerEntries(marker));
  const config = imageConfig([{ diffId: sha256(base) }, { diffId: sha256(top) }]);
  const configHex = sha256(config).slice(7);
  const layerNames = [`${sha256(base).slice(7)}/layer.tar`, `${sha256(top).slice(7)}/layer.tar`];
  const pack = tar.pack();
  const done = pipeline(pack, createWriteStream(path));
  const header = { mtime: REPRODUCIBLE_MTIME, mode: 0o644 };
  pack.entry({ ...header, name: `${configHex}.json`, size: config.length }, config);
  pack.entry({ ...header, name: layerNames[0] ?? '', size: base.length }, base);
  pack.entry({ ...header, name: layerNames[1] ?? '', size: top.length }, top);
  const manifest = Buffer.from(JSON.stringify([{ Config: `${configHex}.json`, RepoTags: [repoTag], Layers: layerNames }]));
  pack.entry({ ...header, name: 'manifest.json', size: manifest.length }, manifest);
  pack.finalize();
  await done;
  return { configDigest: sha256(config) };
}

export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface RunningRegistry {
  /** host:port, e.g. "127.0.0.1:41234". */
  host: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Debian's docker-registry (distribution 2.8) with storage in a temp dir, on a random loopback port. */
export async function startRegistry(): Promise<RunningRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'pakostii-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const configPath = join(dir, 'config.yml');
  await writeFile(
    configPath,
    ['version: 0.1', 'log:', '  level: warn', 'storage:', '  filesystem:', `    rootdirectory: ${join(dir, 'data')}`, 'http:', `  addr: ${host}`, ''].join('\n'),
  );
  const child = spawn('/usr/bin/docker-registry', ['serve', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    try {
      if ((await fetch(`http://${host}/v2/`)).ok) return { host, process: child, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  throw new Error(`docker-registry did not start on ${host}: ${stderr}`);
}

/** Pushes one blob (monolithic upload: POST then PUT ?digest=). */
export async function pushBlob(host: string, repo: string, data: Buffer): Promise<Descriptor> {
  const digest = sha256(data);
  const start = await fetch(`http://${host}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  if (start.status !== 202) throw new Error(`upload start for ${repo}: ${start.status} ${await start.text()}`);
  const location = new URL(start.headers.get('location') ?? '', `http://${host}`);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, { method: 'PUT', body: new Uint8Array(data), headers: { 'content-type': 'application/octet-stream' } });
  if (put.status !== 201) throw new Error(`upload of ${digest} to ${repo}: ${put.status} ${await put.text()}`);
  return { mediaType: 'application/octet-stream', digest, size: data.length };
}

export async function pushManifest(host: string, repo: string, reference: string, mediaType: string, doc: unknown): Promise<Descriptor> {
  const body = Buffer.from(JSON.stringify(doc));
  const res = await fetch(`http://${host}/v2/${repo}/manifests/${reference}`, { method: 'PUT', body: new Uint8Array(body), headers: { 'content-type': mediaType } });
  if (res.status !== 201) throw new Error(`manifest ${repo}:${reference}: ${res.status} ${await res.text()}`);
  return { mediaType, digest: sha256(body), size: body.length };
}

/** Pushes layers + config + manifest of a single-platform image; returns the manifest descriptor. */
export async function pushImage(
  host: string,
  repo: string,
  reference: string,
  layers: readonly BuiltLayer[],
  options: { platform?: Platform; docker?: boolean } = {},
): Promise<Descriptor> {
  const docker = options.docker ?? false;
  const config = imageConfig(layers, options.platform);
  const configDesc = await pushBlob(host, repo, config);
  const layerDescs = [];
  for (const l of layers) layerDescs.push({ ...(await pushBlob(host, repo, l.blob)), mediaType: docker ? MediaType.dockerLayerGzip : MediaType.ociLayerGzip });
  const mediaType = docker ? MediaType.dockerManifest : MediaType.ociManifest;
  return pushManifest(host, repo, reference, mediaType, {
    schemaVersion: 2,
    mediaType,
    config: { ...configDesc, mediaType: docker ? MediaType.dockerConfig : MediaType.ociConfig },
    layers: layerDescs,
  });
}

export interface AuthProxy {
  host: string;
  /** Requests by path ("/v2/…", "/token"), in order. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * An HTTP proxy that demands a bearer token the way quay.io and Docker Hub do:
 * 401 + `WWW-Authenticate: Bearer realm=…,service=…,scope=…`, a token endpoint
 * that checks the scope, then forwards authorized requests to the registry.
 */
export async function startAuthProxy(upstream: string): Promise<AuthProxy> {
  const requests: string[] = [];
  const token = `tok-${Math.random().toString(36).slice(2)}`;
  let self = '';
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    requests.push(url.pathname);
    if (url.pathname === '/token') {
      const ok = url.searchParams.get('service') === 'pakostii-test' && /^repository:[^:]+:pull/.test(url.searchParams.get('scope') ?? '');
      res.writeHead(ok ? 200 : 400, { 'content-type': 'application/json' });
      res.end(JSON.stringify(ok ? { token, expires_in: 300 } : { error: 'bad scope' }));
      return;
    }
    if (req.headers.authorization !== `Bearer ${token}`) {
      const repo = /^\/v2\/(.+)\/(?:manifests|blobs)\//.exec(url.pathname)?.[1] ?? '';
      res.writeHead(401, {
        'www-authenticate': `Bearer realm="http://${self}/token",service="pakostii-test",scope="repository:${repo}:pull"`,
        'content-type': 'application/json',
      });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      return;
    }
    const forward = httpRequest(`http://${upstream}${req.url ?? '/'}`, { method: req.method, headers: { ...req.headers, host: upstream } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    forward.on('error', (err) => res.destroy(err));
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  self = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host: self,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ---- containerd side -------------------------------------------------------


/** `ctr` output, for observing containerd state independently of the library (allowed in tests). */
export function ctr(namespace: string, ...args: string[]): string {
  return execFileSync('ctr', ['-n', namespace, ...args], { encoding: 'utf8' });
}

export interface TestNamespace {
  namespace: string;
  grpc: ContainerdGrpc;
  rpc: ImagesRpc;
  /** Deletes every image, lets GC drop content and snapshots, removes leftovers, then the namespace. */
  destroy(): Promise<void>;
}

export async function openTestNamespace(namespace: string): Promise<TestNamespace> {
  const grpc = ContainerdGrpc.open({ namespace });
  const rpc = imagesRpc(grpc);
  return {
    namespace,
    grpc,
    rpc,
    async destroy() {
      for (const image of await rpc.imageList()) await rpc.imageDelete(image.name);
      for (const lease of await rpc.leaseList()) await rpc.leaseDelete(lease.id);
      // Images are gone, so GC may drop their content and snapshots; remove whatever is left (children first).
      for (let round = 0; round < 10; round++) {
        const snapshots = await rpc.snapshotList('overlayfs');
        if (snapshots.length === 0) break;
        const parents = new Set(snapshots.map((s) => s.parent));
        for (const s of snapshots) if (!parents.has(s.name)) await rpc.snapshotRemove('overlayfs', s.name);
      }
      for (const c of await rpc.contentList()) await rpc.contentDelete(c.digest);
      grpc.close();
      execFileSync('ctr', ['namespaces', 'rm', namespace], { encoding: 'utf8' });
    },
  };
}

/** A tarball of the given files (for hand-made OCI layouts). */
export async function writeTar(path: string, files: Record<string, Buffer>): Promise<void> {
  const pack = tar.pack();
  const done = pipeline(pack, createWriteStream(path));
  for (const [name, body] of Object.entries(files)) pack.entry({ name, size: body.length, mtime: REPRODUCIBLE_MTIME, mode: 0o644 }, body);
  pack.finalize();
  await done;
}
