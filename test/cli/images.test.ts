/**
 * `pakostii images import|pull` as child processes against real containerd,
 * in a throwaway containerd namespace (--namespace) removed afterwards:
 * a docker-archive tarball, and a pull from Debian's docker-registry on loopback.
 */
import { createReadStream, createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { buildImage } from '../../lib/index.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRunId } from '../../lib/host/names.js';
import {
  ctr,
  openTestNamespace,
  pushImage,
  startRegistry,
  tinyLayers,
  writeDockerArchive,
  type RunningRegistry,
  type TestNamespace,
} from '../containerd/images-fixtures.js';
import { runCli } from './support.js';

const runId = newRunId();
const namespace = `pakostii-test-cli-${runId}`;
let ns: TestNamespace;
let registry: RunningRegistry;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pakostii-cli-images-'));
  ns = await openTestNamespace(namespace);
  registry = await startRegistry();
});

afterAll(async () => {
  await registry?.stop();
  await ns?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

interface OciIndex {
  manifests: Array<{ annotations?: Record<string, string> }>;
}

/** Copies an OCI archive with its index.json changed by `edit`. */
async function rewriteIndex(from: string, to: string, edit: (index: OciIndex) => void): Promise<void> {
  const extract = tar.extract();
  const pack = tar.pack();
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => {
      chunks.push(c as Buffer);
    });
    stream.on('end', () => {
      let body = Buffer.concat(chunks);
      if (header.name === 'index.json') {
        const index = JSON.parse(body.toString('utf8')) as OciIndex;
        edit(index);
        body = Buffer.from(JSON.stringify(index));
      }
      pack.entry({ ...header, size: body.length }, body, () => next());
    });
  });
  extract.on('finish', () => pack.finalize());
  await Promise.all([pipeline(createReadStream(from), extract), pipeline(pack, createWriteStream(to))]);
}

const imageNames = () => ctr(namespace, 'images', 'ls', '-q').split('\n').filter(Boolean);

describe('pakostii images', () => {
  it('import puts a docker-archive image into the namespace, unpacked', async () => {
    const archive = join(dir, 'cli.tar');
    await writeDockerArchive(archive, `pakostii.local/cli-${runId}:1`, `cli-${runId}`);
    const result = await runCli(['images', 'import', archive, '--namespace', namespace]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^imported \\S*pakostii\\.local/cli-${runId}:1\\s+sha256:`, 'm'));
    expect(imageNames().some((n) => n.endsWith(`pakostii.local/cli-${runId}:1`))).toBe(true);
    // Unpacked for the overlayfs snapshotter: committed snapshots exist in this namespace.
    expect(ctr(namespace, 'snapshots', '--snapshotter', 'overlayfs', 'ls')).toMatch(/Committed/);
  });

  it('pull fetches an image from a registry into the namespace', async () => {
    await pushImage(registry.host, 'pakostii/cli', 'v1', await tinyLayers(`pull-${runId}`));
    const ref = `${registry.host}/pakostii/cli:v1`;
    const result = await runCli(['images', 'pull', ref, '--namespace', namespace]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^pulled ${ref.replace(/[./]/g, '\\$&')}\\s+sha256:`, 'm'));
    expect(imageNames()).toContain(ref);
  });

  it('pull --progress draws the progress bar on a non-terminal stderr, ending at 100%', async () => {
    await pushImage(registry.host, 'pakostii/cli', 'v2', await tinyLayers(`progress-${runId}`));
    const ref = `${registry.host}/pakostii/cli:v2`;
    const result = await runCli(['images', 'pull', ref, '--progress', '--namespace', namespace]);
    expect(result.code, result.stderr).toBe(0);
    const bars = result.stderr.split('\n').filter((l) => l.startsWith(`${ref} [`));
    expect(bars.length, result.stderr).toBeGreaterThan(0);
    expect(bars.at(-1)).toMatch(/\] 100% \| \d+\.\d\/\d+\.\d MiB$/);
  });

  it('build makes an image from a JSON recipe and imports it; a rebuild takes every layer from the cache', async () => {
    const recipe = join(dir, 'recipe.json');
    writeFileSync(join(dir, 'hello.txt'), 'hello\n');
    writeFileSync(recipe, JSON.stringify({ name: `pakostii.local/built-${runId}:1`, binaries: ['/usr/bin/redis-cli'], files: [{ path: '/hello.txt', source: 'hello.txt' }], cmd: ['/bin/sh'] }));
    const out = join(dir, 'built');
    const first = await runCli(['images', 'build', recipe, '--out', out, '--import', '--namespace', namespace]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^built pakostii\.local\/built-\w+:1 → .* layers: busybox, skeleton, binaries, files\) in \d+ ms$/m);
    expect(imageNames().some((n) => n.endsWith(`pakostii.local/built-${runId}:1`))).toBe(true);
    const again = await runCli(['images', 'build', recipe, '--out', out, '--namespace', namespace]);
    expect(again.stdout).toContain('layers: busybox (cached), skeleton (cached), binaries (cached), files (cached)');
  });

  it('import --name names an archive that carries only a tag', async () => {
    const built = await buildImage({ name: `pakostii.local/tagged-${runId}:v3`, busybox: false }, { outDir: join(dir, 'tagged') });
    const tagOnly = join(dir, 'tag-only.tar');
    await rewriteIndex(built.archive, tagOnly, (index) => {
      for (const m of index.manifests) m.annotations = { 'org.opencontainers.image.ref.name': 'v3' };
    });
    const refused = await runCli(['images', 'import', tagOnly, '--namespace', namespace]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/no name/);
    const named = await runCli(['images', 'import', tagOnly, '--name', `pakostii.local/named-${runId}`, '--namespace', namespace]);
    expect(named.code, named.stderr).toBe(0);
    expect(imageNames().some((n) => n.endsWith(`pakostii.local/named-${runId}:v3`))).toBe(true);
  });

  it('fails with a message naming the archive when it does not exist', async () => {
    const missing = join(dir, 'missing.tar');
    const result = await runCli(['images', 'import', missing, '--namespace', namespace]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('missing.tar');
  });

  it('fails with a message naming the reference when the registry has no such image', async () => {
    const ref = `${registry.host}/pakostii/absent:v1`;
    const result = await runCli(['images', 'pull', ref, '--namespace', namespace]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('pakostii/absent');
  });
});
