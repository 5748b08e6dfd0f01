/**
 * Files in and out of containers, binary-safe, running and stopped:
 * writeFile/readFile and copyTo/copyFrom (tar) carry every byte value, checked
 * by sha256 on the host and with sha256sum inside the container; a stopped
 * container is read and written through its snapshot; symlinks inside the
 * container are followed inside it and never reach the host's files; a
 * stopped container's snapshot is merged as overlayfs merges it (a file the
 * container deleted from its image stays deleted, a directory it replaced
 * hides the image's one, and one made in place of a deleted directory shows
 * nothing of the old one).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import tar from 'tar-stream';
import { ContainerdClient } from '../../lib/containerd/index.js';
import { CONTAINERD_NAMESPACE } from '../../lib/host/names.js';
import { buildImage, spec, Test, type TestHandle } from '../../lib/index.js';
import { BUSYBOX, captureLogger } from './support.js';
import { expectNoLeaks } from '../helpers/leak-audit.js';

const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** A binary blob with every byte value, CR/LF/NUL runs and invalid UTF-8. */
function blob(size: number): Buffer {
  const data = randomBytes(size);
  for (let i = 0; i < 256; i++) data[i] = i;
  data.set([0xc3, 0x28, 0x0d, 0x0a, 0x00, 0x00, 0xff, 0xfe], 256);
  return data;
}

async function tarOf(entries: Array<{ name: string; body?: Buffer; type?: 'file' | 'directory' | 'symlink'; linkname?: string; mode?: number }>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  for (const e of entries) {
    if (e.type === 'directory') pack.entry({ name: e.name, type: 'directory', mode: 0o755 });
    else if (e.type === 'symlink') pack.entry({ name: e.name, type: 'symlink', linkname: e.linkname! });
    else pack.entry({ name: e.name, mode: e.mode ?? 0o644 }, e.body!);
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function untar(archive: Buffer): Promise<Map<string, { type: string; body: Buffer; linkname?: string }>> {
  const out = new Map<string, { type: string; body: Buffer; linkname?: string }>();
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => {
      chunks.push(c as Buffer);
    });
    stream.on('end', () => {
      out.set(header.name.replace(/\/$/, ''), { type: header.type ?? 'file', body: Buffer.concat(chunks), ...(header.linkname ? { linkname: header.linkname } : {}) });
      next();
    });
  });
  const done = new Promise<void>((resolve, reject) => {
    extract.on('finish', () => resolve());
    extract.on('error', reject);
  });
  extract.end(archive);
  await done;
  return out;
}

async function shaInside(t: TestHandle, path: string): Promise<string> {
  const r = await t.exec.inContainer('n1', 'srv', 'sha256sum', path);
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stdout.split(/\s+/)[0]!;
}

describe('files in and out of containers', () => {
  it('readFile/writeFile and copyFrom/copyTo are byte-identical on running and stopped containers', async () => {
    const { logger } = captureLogger();
    const cluster = spec.newCluster().addNode(spec.newNode('n1').runs(spec.newContainer('srv', BUSYBOX).withCommand(['sleep', '3600'])));
    const result = await new Test('copy_files', cluster, { logger }).run(async (t) => {
      const one = blob(1 << 20);
      const two = blob(300_000);

      // Running: a file in, checked inside; and out again.
      await t.containers.writeFile('n1', 'srv', '/data/one.bin', one);
      expect(await shaInside(t, '/data/one.bin')).toBe(sha(one));
      expect(sha(await t.containers.readFile('n1', 'srv', '/data/one.bin'))).toBe(sha(one));
      // exec output as bytes: the same file through `cat`.
      const cat = await t.exec.inContainer('n1', 'srv', 'cat', '/data/one.bin');
      expect(sha(cat.stdoutBytes)).toBe(sha(one));

      // Running: a directory in as tar, out as tar.
      const archive = await tarOf([
        { name: 'set', type: 'directory' },
        { name: 'set/two.bin', body: two, mode: 0o600 },
        { name: 'set/nested/one.bin', body: one },
        { name: 'set/link', type: 'symlink', linkname: 'two.bin' },
      ]);
      await t.containers.copyTo('n1', 'srv', '/in', archive);
      expect(await shaInside(t, '/in/set/nested/one.bin')).toBe(sha(one));
      expect(await shaInside(t, '/in/set/link')).toBe(sha(two));
      const running = await untar(await t.containers.copyFrom('n1', 'srv', '/in/set'));
      expect(sha(running.get('set/two.bin')!.body)).toBe(sha(two));
      expect(sha(running.get('set/nested/one.bin')!.body)).toBe(sha(one));
      expect(running.get('set/link')).toMatchObject({ type: 'symlink', linkname: 'two.bin' });
      const single = await untar(await t.containers.copyFrom('n1', 'srv', '/data/one.bin'));
      expect([...single.keys()]).toEqual(['one.bin']);
      expect(sha(single.get('one.bin')!.body)).toBe(sha(one));

      // A symlink to / inside the container stays inside it.
      expect((await t.exec.inContainer('n1', 'srv', 'ln', '-s', '/', '/data/root')).exitCode).toBe(0);
      const viaLink = await t.containers.readFile('n1', 'srv', '/data/root/etc/passwd');
      expect(viaLink.toString()).toBe((await t.containers.readFile('n1', 'srv', '/etc/passwd')).toString());
      expect(viaLink.toString()).not.toBe(readFileSync('/etc/passwd', 'utf8'));

      // Stopped: read what the running one wrote, write more, then see it running again.
      await t.containers.stop('n1', 'srv', { timeoutMs: 1_000 });
      expect(sha(await t.containers.readFile('n1', 'srv', '/data/one.bin'))).toBe(sha(one));
      const stopped = await untar(await t.containers.copyFrom('n1', 'srv', '/in/set'));
      expect(sha(stopped.get('set/nested/one.bin')!.body)).toBe(sha(one));
      await t.containers.writeFile('n1', 'srv', '/data/two.bin', two);
      await t.containers.copyTo('n1', 'srv', '/etc/extra', await tarOf([{ name: 'one.bin', body: one }]));
      expect((await t.containers.readFile('n1', 'srv', '/data/root/etc/extra/one.bin')).equals(one)).toBe(true);
      await t.containers.start('n1', 'srv');
      expect(await shaInside(t, '/data/two.bin')).toBe(sha(two));
      expect(await shaInside(t, '/etc/extra/one.bin')).toBe(sha(one));
      await expect(t.containers.readFile('n1', 'srv', '/no/such/file')).rejects.toThrow(/no such file/);
      await expect(t.containers.readFile('n1', 'srv', 'relative')).rejects.toThrow(/absolute/);
    });
    await expectNoLeaks(result.id);
  }, 120_000);

  it("a stopped container's files are what it left: deletions and replaced directories of its image are honoured", async () => {
    const keep = blob(70_000);
    const dir = mkdtempSync(join(tmpdir(), 'pakostii-overlay-'));
    let image: string;
    try {
      writeFileSync(join(dir, 'keep.bin'), keep);
      // The image's own layer: what the container then deletes or replaces.
      // creates image: pakostii.local/test-overlay-marks:1
      const built = await buildImage(
        {
          name: 'pakostii.local/test-overlay-marks:1',
          files: [
            { path: '/srv/doomed.bin', content: 'deleted by the container\n' },
            { path: '/srv/keep.bin', source: join(dir, 'keep.bin') },
            { path: '/srv/conf/a.conf', content: 'image a\n' },
            { path: '/srv/conf/sub/b.conf', content: 'image b\n' },
            { path: '/srv/gone/old.txt', content: 'image old\n' },
          ],
        },
        { outDir: dir, cacheDir: join(dir, 'layers') },
      );
      image = built.name;
      const socket = process.env.PAKOSTII_CONTAINERD_SOCKET;
      const client = await ContainerdClient.connect({ ...(socket ? { socket } : {}), namespace: CONTAINERD_NAMESPACE });
      try {
        await client.importArchive(built.archive);
      } finally {
        client.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const script = 'rm /srv/doomed.bin && rm -rf /srv/conf && mkdir -p /srv/conf && echo new > /srv/conf/new.conf && rm -rf /srv/gone && echo prepared';
    const cluster = spec.newCluster().addNode(
      spec.newNode('n1').runs(
        spec
          .newContainer('srv', image)
          .withCommand(['sh', '-c', `${script}; exec sleep 3600`])
          .withReadiness(spec.logProbe(/^prepared$/)),
      ),
    );
    const { logger } = captureLogger();
    const names = async (t: TestHandle, path: string) => [...(await untar(await t.containers.copyFrom('n1', 'srv', path))).keys()].sort();
    const result = await new Test('copy_files_overlay', cluster, { logger }).run(async (t) => {
      const running = await names(t, '/srv');
      expect(running).toEqual(['srv', 'srv/conf', 'srv/conf/new.conf', 'srv/keep.bin']);

      await t.containers.stop('n1', 'srv', { timeoutMs: 1_000 });
      // The same tree from the snapshot's layers as from the running container.
      expect(await names(t, '/srv')).toEqual(running);
      expect(sha(await t.containers.readFile('n1', 'srv', '/srv/keep.bin'))).toBe(sha(keep));
      await expect(t.containers.readFile('n1', 'srv', '/srv/doomed.bin')).rejects.toThrow(/no such file/);
      await expect(t.containers.readFile('n1', 'srv', '/srv/conf/a.conf')).rejects.toThrow(/no such file/);
      await expect(t.containers.readFile('n1', 'srv', '/srv/conf/sub/b.conf')).rejects.toThrow(/no such file/);
      await expect(t.containers.copyFrom('n1', 'srv', '/srv/gone')).rejects.toThrow(/no such file/);
      expect((await t.containers.readFile('n1', 'srv', '/srv/conf/new.conf')).toString()).toBe('new\n');

      // Written while stopped where the container deleted a directory: the old one stays gone.
      await t.containers.writeFile('n1', 'srv', '/srv/gone/fresh.bin', keep);
      expect(await names(t, '/srv/gone')).toEqual(['gone', 'gone/fresh.bin']);
      await t.containers.start('n1', 'srv');
      const inside = await t.exec.inContainer('n1', 'srv', 'sh', '-c', 'ls -A /srv/gone /srv/conf; test -e /srv/doomed.bin || echo no-doomed');
      expect(inside.stdout).toBe('/srv/conf:\nnew.conf\n\n/srv/gone:\nfresh.bin\nno-doomed\n');
      expect(await shaInside(t, '/srv/gone/fresh.bin')).toBe(sha(keep));
    });
    await expectNoLeaks(result.id);
  }, 120_000);
});
