/**
 * scripts/prebuild.sh (run by `npm pack` through prepack → build → prebuild):
 * an addon that `npm run build:native` already built, newer than every input
 * (native/, bpf/, binding.gyp, vendor/), becomes the prebuild as it is, so
 * packing does not compile it a second time; a changed input, or
 * PAKOSTII_PREBUILD_REBUILD=1, makes prebuildify build it. prebuildify is a stub
 * here (it only says it ran): the real one is exercised by pack.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../cli/support.js';

const platform = `${process.platform}-${process.arch}`;
let dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

/** A checkout with the addon's inputs, a built addon one minute newer than all of them, and a stub prebuildify. */
function checkout(): string {
  const root = mkdtempSync(join(tmpdir(), 'pakostii-prebuild-'));
  dirs.push(root);
  for (const path of ['scripts/prebuild.sh', 'native', 'bpf', 'binding.gyp']) cpSync(join(REPO_ROOT, path), join(root, path), { recursive: true });
  mkdirSync(join(root, 'vendor'));
  writeFileSync(join(root, 'vendor', 'libbpf.a'), 'static library');
  mkdirSync(join(root, 'build', 'Release'), { recursive: true });
  writeFileSync(join(root, 'build', 'Release', 'pakostii.node'), 'the addon build:native made');
  mkdirSync(join(root, 'node_modules', '.bin'), { recursive: true });
  const stub = join(root, 'node_modules', '.bin', 'prebuildify');
  // It also says how private its cache directory (the last argument: node-gyp's devdir) is.
  writeFileSync(
    stub,
    `#!/bin/sh\necho "prebuildify $*"\nfor a; do cache="$a"; done\necho "cache mode $(stat -c %a "$cache") owner $(stat -c %U "$cache")"\nmkdir -p prebuilds/${platform}\necho fresh > prebuilds/${platform}/pakostii.node\n`,
  );
  chmodSync(stub, 0o755);
  const old = new Date(Date.now() - 120_000);
  for (const input of ['native', 'bpf', 'binding.gyp', 'vendor']) execFileSync('find', [join(root, input), '-exec', 'touch', '-h', '-d', old.toISOString(), '{}', '+']);
  return root;
}

function prebuild(root: string, env: NodeJS.ProcessEnv = {}): string {
  return execFileSync('bash', ['scripts/prebuild.sh'], { cwd: root, encoding: 'utf8', env: { ...process.env, PAKOSTII_PREBUILD_REBUILD: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

const prebuilt = (root: string) => readFileSync(join(root, 'prebuilds', platform, 'pakostii.node'), 'utf8');

describe('prebuild', () => {
  it('reuses an addon built after every input: no second compile', () => {
    const root = checkout();
    const out = prebuild(root);
    expect(out).toContain('[prebuild] reusing build/Release/pakostii.node');
    expect(out).not.toContain('prebuildify');
    expect(prebuilt(root)).toBe('the addon build:native made');
  });

  it('builds afresh when an input changed after the addon, or when asked to', () => {
    const root = checkout();
    const source = join(root, 'native', 'xattr.cc');
    const later = new Date(Date.now() + 60_000);
    utimesSync(source, later, later);
    const out = prebuild(root);
    expect(out).toContain('prebuildify --napi --strip');
    expect(prebuilt(root)).toBe('fresh\n');
    // Not the shared /tmp/prebuildify another user could have made first: a private directory, removed after.
    const cache = /--cache (\S+)/.exec(out)?.[1];
    expect(cache, out).toMatch(/pakostii-prebuild\.\w+$/);
    expect(out).toContain('cache mode 700 owner root');
    expect(existsSync(cache!)).toBe(false);

    const again = checkout();
    expect(prebuild(again, { PAKOSTII_PREBUILD_REBUILD: '1' })).toContain('prebuildify --napi --strip');
    expect(existsSync(join(again, 'prebuilds', platform, 'pakostii.node'))).toBe(true);
  });
});
