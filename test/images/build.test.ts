/**
 * The public image builder against this machine: ELF dependencies read from
 * the files match what the loader (ldd) resolves, busybox's applets match its
 * own list, a recipe from Debian packages makes a runnable image (proved by the
 * e2e suites, which run on these images), layers are cached by their inputs,
 * and a missing package or library is a clear SpecError before anything is written.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildImage, readRecipeFile, SpecError } from '../../lib/index.js';
import { busyboxApplets } from '../../lib/images/busybox.js';
import { packageEntries } from '../../lib/images/dpkg.js';
import { libraryClosure } from '../../lib/images/shared-libraries.js';

const dir = mkdtempSync(join(tmpdir(), 'pakostii-images-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What ldd says `binary` loads (tests may run tools to observe). */
function lddPaths(binary: string): string[] {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  return [...out.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x[0-9a-f]+\)/g)].map((m) => m[1]!);
}

describe('image builder', () => {
  it("finds the same shared libraries as the loader, from the files alone", async () => {
    for (const binary of ['/usr/bin/redis-check-rdb', '/usr/bin/redis-cli', '/usr/bin/etcd']) {
      const closure = await libraryClosure([{ path: binary, source: binary }]);
      const ours = closure.libraries.map((l) => l.path.split('/').pop()).sort();
      const loader = lddPaths(binary).map((p) => p.split('/').pop()).sort();
      expect(ours, binary).toEqual(loader);
    }
  });

  it("reads busybox's applets from the binary", () => {
    const listed = execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
    expect(busyboxApplets(readFileSync('/bin/busybox')).sort()).toEqual(listed);
  });

  it("takes an installed package's files from dpkg's database, without its documentation", async () => {
    const entries = await packageEntries(['redis-tools']);
    const paths = entries.map((e) => e.path);
    expect(paths).toContain('/usr/bin/redis-check-rdb');
    expect(paths.some((p) => p.startsWith('/usr/share/doc/'))).toBe(false);
    await expect(packageEntries(['no-such-package-pakostii'])).rejects.toThrow(/not installed on this machine/);
  });

  it('caches layers by their inputs: a rebuild reuses every layer and gives the same digest', async () => {
    const config = join(dir, 'app.conf');
    writeFileSync(config, 'port 1\n');
    const recipePath = join(dir, 'recipe.json');
    writeFileSync(
      recipePath,
      JSON.stringify({
        name: 'pakostii.local/builder-test:1',
        binaries: ['/usr/bin/redis-cli'],
        files: [{ path: '/etc/app.conf', source: 'app.conf' }, { path: '/data', dir: true, mode: '0700' }],
        env: { APP: 'yes' },
        user: 'nobody',
        entrypoint: ['/usr/bin/redis-cli'],
      }),
    );
    const out = join(dir, 'out');
    const first = await buildImage(readRecipeFile(recipePath), { outDir: out });
    expect(first.layers.map((l) => [l.name, l.cached])).toEqual([['busybox', false], ['skeleton', false], ['binaries', false], ['files', false]]);
    const again = await buildImage(readRecipeFile(recipePath), { outDir: out });
    expect(again.layers.every((l) => l.cached)).toBe(true);
    expect(again.manifestDigest).toBe(first.manifestDigest);
    // A changed file invalidates its layer only.
    writeFileSync(config, 'port 2\n');
    const changed = await buildImage(readRecipeFile(recipePath), { outDir: out });
    expect(changed.layers.map((l) => l.cached)).toEqual([true, true, true, false]);
    expect(changed.manifestDigest).not.toBe(first.manifestDigest);
    const listing = execFileSync('tar', ['-tf', changed.archive], { encoding: 'utf8' });
    expect(listing).toContain('index.json');
  });

  it('a recipe error names the problem before anything is built', async () => {
    await expect(buildImage({ name: 'Bad Name' })).rejects.toThrow(SpecError);
    await expect(buildImage({ name: 'pakostii.local/x:1', packages: ['no-such-package-pakostii'] }, { outDir: join(dir, 'never') })).rejects.toThrow(/apt-get install/);
  });
});
