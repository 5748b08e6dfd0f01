/**
 * The image's /etc/passwd and /etc/group, read on the host to resolve the
 * image's USER: the image is untrusted, so its symlinks resolve inside its own
 * root (an absolute link to /etc/shadow must not leak the host's file into the
 * container uid), only regular files count (a link to /dev/zero must not cost
 * 500 MB), and the size is capped. The layers merge as overlayfs merges them:
 * what an upper layer deletes or replaces is gone from the user database.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_USER_DATABASE_BYTES, readUserDatabase } from '../../lib/containerd/container.js';
import { ContainerdError } from '../../lib/errors.js';
import { getXattr, setXattr } from '../../lib/native/index.js';

let dir: string;
let upper: string;
let lower: string;
const overlay = () => [{ type: 'overlay', source: 'overlay', target: '', options: [`upperdir=${upper}`, `lowerdir=${lower}`] }];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pk-userdb-'));
  upper = join(dir, 'upper');
  lower = join(dir, 'lower');
  mkdirSync(join(upper, 'etc'), { recursive: true });
  mkdirSync(join(lower, 'etc'), { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('reading an image’s user database', () => {
  it('an absolute symlink resolves inside the image, never to the host’s file', async () => {
    symlinkSync('/etc/shadow', join(upper, 'etc', 'passwd'));
    symlinkSync('/etc/hostname', join(upper, 'etc', 'group'));
    expect(await readUserDatabase(overlay(), 'evil', getXattr)).toEqual({});

    // The same link, with the target inside the image: followed there.
    writeFileSync(join(lower, 'etc', 'shadow'), 'app:x:1000:1000::/:/bin/sh\n');
    expect((await readUserDatabase(overlay(), 'evil', getXattr)).passwd).toBe('app:x:1000:1000::/:/bin/sh\n');
  });

  it('a relative symlink climbing out stops at the image’s root', async () => {
    symlinkSync('../../../../../../../../etc/passwd', join(upper, 'etc', 'passwd'));
    // Resolves to the image's own /etc/passwd: itself, a loop, so nothing.
    await expect(readUserDatabase(overlay(), 'evil', getXattr)).rejects.toThrow(/too many symlinks/);
  });

  it('a device (a link to /dev/zero) is not a user database: never read', async () => {
    symlinkSync('/dev/zero', join(upper, 'etc', 'passwd'));
    const started = performance.now();
    expect(await readUserDatabase(overlay(), 'evil', getXattr)).toEqual({});
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('a lower layer’s /etc that is a symlink to the host is not walked through', async () => {
    rmSync(join(lower, 'etc'), { recursive: true });
    symlinkSync('/etc', join(lower, 'etc'));
    // The upper layer's /etc directory hides the lower link (overlay semantics); the host path through it leads to the host's /etc.
    expect(await readUserDatabase(overlay(), 'evil', getXattr)).toEqual({});
  });

  it('a user database larger than the cap is refused with a clear error', async () => {
    writeFileSync(join(upper, 'etc', 'passwd'), Buffer.alloc(MAX_USER_DATABASE_BYTES + 1, 'a'));
    const error = await readUserDatabase(overlay(), 'big', getXattr).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ContainerdError);
    expect((error as Error).message).toMatch(/image big: \/etc\/passwd is \d+ bytes, more than/);
  });

  it('an ordinary passwd and group are read', async () => {
    writeFileSync(join(lower, 'etc', 'passwd'), 'root:x:0:0::/root:/bin/sh\n');
    writeFileSync(join(upper, 'etc', 'group'), 'root:x:0:\n');
    expect(await readUserDatabase(overlay(), 'ok', getXattr)).toEqual({ passwd: 'root:x:0:0::/root:/bin/sh\n', group: 'root:x:0:\n' });
  });

  describe('an upper layer that deletes or replaces /etc/passwd', () => {
    const ROOT = 'root:x:0:0::/root:/bin/sh\n';
    const APP = 'app:x:1000:1000::/:/bin/sh\n';
    beforeEach(() => {
      writeFileSync(join(lower, 'etc', 'passwd'), ROOT);
      writeFileSync(join(lower, 'etc', 'group'), 'root:x:0:\n');
    });

    it('a whiteout device (what containerd unpacks a deletion to) deletes it', async () => {
      execFileSync('mknod', [join(upper, 'etc', 'passwd'), 'c', '0', '0']);
      expect(await readUserDatabase(overlay(), 'deleted', getXattr)).toEqual({ group: 'root:x:0:\n' });
    });

    it('an AUFS-style .wh.passwd file deletes it', async () => {
      writeFileSync(join(upper, 'etc', '.wh.passwd'), '');
      expect(await readUserDatabase(overlay(), 'deleted', getXattr)).toEqual({ group: 'root:x:0:\n' });
    });

    it('a whiteout of /etc itself deletes both files', async () => {
      rmSync(join(upper, 'etc'), { recursive: true });
      execFileSync('mknod', [join(upper, 'etc'), 'c', '0', '0']);
      expect(await readUserDatabase(overlay(), 'deleted', getXattr)).toEqual({});
    });

    it('/etc replaced by an opaque directory (the xattr containerd sets): the lower group no longer shows', async () => {
      writeFileSync(join(upper, 'etc', 'passwd'), APP);
      await setXattr(join(upper, 'etc'), 'trusted.overlay.opaque', 'y');
      expect(await readUserDatabase(overlay(), 'replaced', getXattr)).toEqual({ passwd: APP });
    });

    it('/etc replaced by an opaque directory (a .wh..wh..opq marker) without a passwd: none', async () => {
      writeFileSync(join(upper, 'etc', '.wh..wh..opq'), '');
      writeFileSync(join(upper, 'etc', 'group'), 'app:x:1000:\n');
      expect(await readUserDatabase(overlay(), 'replaced', getXattr)).toEqual({ group: 'app:x:1000:\n' });
    });

    it('a file in the upper layer replaces the lower one', async () => {
      writeFileSync(join(upper, 'etc', 'passwd'), APP);
      expect((await readUserDatabase(overlay(), 'replaced', getXattr)).passwd).toBe(APP);
    });
  });
});
