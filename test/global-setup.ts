/**
 * vitest globalSetup: before any suite, make sure containerd answers and the
 * local test images (pakostii.local/*) are imported — so `npx vitest run`
 * works without running scripts/setup.sh first. Both steps are idempotent and
 * take ~0.1 s when already done. Uses scripts (not lib/) and observes with ctr.
 * PAKOSTII_SKIP_GLOBAL_SETUP=1 skips it (e.g. pure unit runs as non-root).
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const NAMESPACE = 'pakostii';
const IMAGES = ['pakostii.local/busybox:latest', 'pakostii.local/etcd:3.4', 'pakostii.local/redis:7'];

function missingImages(): string[] {
  const listed = execFileSync('ctr', ['-n', NAMESPACE, 'images', 'ls', '-q'], { encoding: 'utf8' }).split('\n');
  return IMAGES.filter((image) => !listed.some((name) => name === image || name.endsWith(`/${image}`)));
}

export default function setup(): void {
  if (process.env.PAKOSTII_SKIP_GLOBAL_SETUP === '1' || process.getuid?.() !== 0) return;
  // Never fatal: a suite that needs containerd or an image fails with its own,
  // more precise error; unit suites must run regardless.
  try {
    execFileSync('bash', [join(ROOT, 'scripts', 'start-containerd.sh')], { stdio: 'inherit' });
    // Always through the image script (~1 s when current): it rebuilds an image
    // whose recipe changed and re-imports one whose digest differs, so a stale
    // image from an older checkout never survives into a test run.
    const missing = missingImages();
    if (missing.length > 0) process.stderr.write(`[global-setup] importing missing test images: ${missing.join(', ')}\n`);
    execFileSync(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'scripts', 'build-images.ts'), '--import'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
  } catch (error) {
    process.stderr.write(`[global-setup] warning: ${(error as Error).message.split('\n')[0]}; suites needing containerd images may fail\n`);
  }
}
