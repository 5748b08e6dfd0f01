/**
 * Every container image a test, example or benchmark names must exist on a
 * fresh machine (CI=true runs against an empty, private containerd): it is
 * built by scripts/build-images.ts (a recipe named `name: '<image>'`), or the
 * file that names it creates it itself and says so in a comment
 * `creates image: <image>` next to the code that imports, tags or pushes it,
 * or it is listed in NEVER_PULLED below with the reason it need not exist.
 *
 * Adding an image? Add a recipe to scripts/build-images.ts (the suite's global
 * setup imports every recipe). Adding a parse-only or deliberately missing
 * reference? Add it to NEVER_PULLED with a reason.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCANNED = ['test', 'examples', 'bench'];
const SOURCE = /\.(?:[cm]?[jt]s|json|ya?ml|sh)$/;

/**
 * Image-like strings: "<registry host with a dot or a port>/<path>[:tag][@digest]"
 * in quotes or backticks. Hosts with a `${…}` placeholder (a test registry on a
 * random port) are the test's own, made in that file.
 */
const REFERENCE = /['"`]((?:(?:[a-z0-9-]+\.)+[a-z][a-z0-9-]*(?::\d+)?|localhost:\d+|\d+(?:\.\d+){3}:\d+)\/[a-z0-9._-]*[a-z][a-z0-9._/-]*(?::[A-Za-z0-9._-]+)?(?:@sha256:[0-9a-f]{64})?)['"`]/g;

/** "creates image: <ref>" in a file: that file makes the image itself before using it. */
const CREATED_HERE = /creates image:\s*([^\s*]+)/g;

/** Reference → why it never has to exist (parsed only, or asserted missing). */
const NEVER_PULLED: Record<string, string> = {
  'docker.io/library/redis:latest': 'reference parsing only',
  'docker.io/library/redis:7': 'reference parsing only',
  'docker.io/bitnami/redis:7.2': 'reference parsing only',
  'docker.io/library/busybox:latest': 'reference parsing only',
  'index.docker.io/library/busybox': 'reference parsing only',
  'quay.io/coreos/etcd:v3.6.11': 'reference parsing only (the README example; no internet here)',
  'quay.io/coreos/etcd': 'reference parsing only',
  'quay.io//etcd': 'an invalid reference the parser must reject',
  'registry.lan:5000/x': 'reference parsing only',
  'localhost:5000/team/app:v1.0': 'spec validation only (never provisioned)',
  'localhost:5000/x:y': 'reference parsing only',
  'localhost:5000/x': 'reference parsing only',
  '127.0.0.1:5000/a/b/c:dev': 'reference parsing only',
  '127.0.0.1:5000/x': 'reference parsing only',
  'pakostii.local/repro:1': 'written into an OCI archive to test reproducibility; never imported',
  'pakostii.local/builder-test:1': 'built into an archive by test/images/build.test.ts itself; never run',
  'pakostii.local/x:1': 'a recipe whose build must fail (test/images/build.test.ts)',
  'docker.io/library/redis:7.2-alpine': 'spec validation only (never provisioned)',
  'containerd.io/gc.ref.content.l.': 'a containerd label prefix, not an image',
  'pakostii.local/not-there:1': 'asserted missing',
  'pakostii.local/absent:1': 'asserted missing',
  'pakostii.local/does-not-exist:never': 'asserted missing',
  'pakostii.local/no-such-image:1': 'asserted missing',
  'pakostii.local/no-such-image:does-not-exist': 'asserted missing',
};

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'results' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else if (SOURCE.test(name)) out.push(path);
  }
  return out;
}

/**
 * The images scripts/build-images.ts builds: each recipe's `name: '<image>'`,
 * written inline or in a recipe file it reads (`readRecipeFile(resolve('<file>'))`).
 */
export function builtImages(): Set<string> {
  const script = readFileSync(join(ROOT, 'scripts', 'build-images.ts'), 'utf8');
  const refs = [...script.matchAll(/\bname:\s*['"`]([^'"`]+)['"`]/g)].map((m) => m[1]!);
  for (const file of script.matchAll(/readRecipeFile\(\s*resolve\(\s*['"`]([^'"`]+)['"`]/g)) {
    refs.push((JSON.parse(readFileSync(join(ROOT, file[1]!), 'utf8')) as { name: string }).name);
  }
  return new Set(refs.filter((ref) => ref.includes('/')));
}

describe('image references', () => {
  it('the image script builds the images the suites rely on', () => {
    expect([...builtImages()]).toEqual(expect.arrayContaining(['pakostii.local/busybox:latest', 'pakostii.local/etcd:3.4', 'pakostii.local/redis:7', 'pakostii.local/postgres:15']));
  });

  it('every image named in test/, examples/, bench/ is built by scripts/build-images.ts or created by the file that names it', () => {
    const built = builtImages();
    const unexplained: string[] = [];
    const self = fileURLToPath(import.meta.url);
    for (const file of SCANNED.flatMap((dir) => filesUnder(join(ROOT, dir))).filter((f) => f !== self)) {
      const text = readFileSync(file, 'utf8');
      const createdHere = new Set([...text.matchAll(CREATED_HERE)].map((m) => m[1]!));
      for (const match of text.matchAll(REFERENCE)) {
        const ref = match[1]!;
        if (built.has(ref) || ref in NEVER_PULLED || createdHere.has(ref)) continue;
        unexplained.push(`${relative(ROOT, file)}: ${ref}`);
      }
    }
    expect(unexplained, 'add a recipe to scripts/build-images.ts, create the image in the test, or list it in NEVER_PULLED').toEqual([]);
  });

  it('catches an image nothing makes (the check is not vacuous)', () => {
    const text = "const IMAGE = 'pakostii.local/standin-busybox:latest';";
    const refs = [...text.matchAll(REFERENCE)].map((m) => m[1]);
    expect(refs).toEqual(['pakostii.local/standin-busybox:latest']);
    expect(builtImages().has(refs[0]!)).toBe(false);
  });
});
