/**
 * RootfsView over hand-made overlay layers (what a stopped container's
 * snapshot is): every way a layer marks a deletion is honoured — a 0/0
 * character device, an AUFS-style `.wh.<name>` file, an opaque directory by
 * xattr (trusted. or user.overlay.opaque) or by a `.wh..wh..opq` file, and a
 * non-directory over a directory — and a directory written in place of a
 * whiteout is made opaque. The real kernel's marks are proven in
 * test/e2e/copy-files.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RootfsView } from '../../lib/faults/rootfs-files.js';
import { getXattr, setXattr } from '../../lib/native/index.js';

const base = mkdtempSync(join(tmpdir(), 'pakostii-layers-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

function layer(name: string, files: Record<string, string | 'dir' | 'whiteout'>): string {
  const root = join(base, name);
  mkdirSync(root, { recursive: true });
  for (const [path, what] of Object.entries(files)) {
    const host = join(root, path);
    if (what === 'dir') {
      mkdirSync(host, { recursive: true });
      continue;
    }
    mkdirSync(join(host, '..'), { recursive: true });
    if (what === 'whiteout') execFileSync('mknod', [host, 'c', '0', '0']);
    else writeFileSync(host, what);
  }
  return root;
}

describe('RootfsView of overlay layers', () => {
  const lower = layer('lower', {
    'a/x': 'lower x',
    'a/y': 'lower y',
    'a/z': 'lower z',
    'b/old': 'lower b',
    'c/old': 'lower c',
    'd/old': 'lower d',
    'e/old': 'lower e',
    'f/old': 'lower f',
    'g/old': 'lower g',
  });
  const middle = layer('middle', {
    'a/.wh.x': '',
    'b/.wh..wh..opq': '',
    'b/new': 'middle b',
    'c/new': 'middle c',
    'd/new': 'middle d',
    f: 'a file over a directory',
  });
  const upper = layer('upper', { 'a/y': 'whiteout', g: 'whiteout', 'a/w': 'upper w' });

  it('hides whiteouts of both kinds, opaque directories of every kind, and directories under a file', async () => {
    await setXattr(join(middle, 'c'), 'trusted.overlay.opaque', 'y');
    await setXattr(join(middle, 'd'), 'user.overlay.opaque', 'y');
    const view = new RootfsView([upper, middle, lower], 'test layers', true);
    expect(await view.list('/')).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(await view.list('/a')).toEqual(['w', 'z']);
    expect(await view.list('/b')).toEqual(['new']);
    expect(await view.list('/c')).toEqual(['new']);
    expect(await view.list('/d')).toEqual(['new']);
    expect(await view.list('/e')).toEqual(['old']);
    for (const gone of ['/a/x', '/a/y', '/b/old', '/c/old', '/d/old', '/f/old', '/g', '/g/old']) {
      await expect(view.readFile(gone), gone).rejects.toThrow(/no such file/);
    }
    expect((await view.readFile('/a/z')).toString()).toBe('lower z');
    expect((await view.readFile('/f')).toString()).toBe('a file over a directory');
  });

  it('a directory written in place of a whiteout is opaque; one over nothing is not', async () => {
    const view = new RootfsView([upper, middle, lower], 'test layers', true);
    await view.writeFile('/g/fresh', Buffer.from('fresh'));
    expect((await getXattr(join(upper, 'g'), 'trusted.overlay.opaque'))?.toString()).toBe('y');
    expect(await view.list('/g')).toEqual(['fresh']);
    await view.writeFile('/e/more', Buffer.from('more'));
    expect(await getXattr(join(upper, 'e'), 'trusted.overlay.opaque')).toBeNull();
    expect(await view.list('/e')).toEqual(['more', 'old']);
  });

  it('a merged view (a running container) is taken as it is: no marks are interpreted', async () => {
    const view = new RootfsView([middle], 'running', false);
    expect(await view.list('/a')).toEqual(['.wh.x']);
  });
});
