/**
 * The directory of pakostii's own package.json, found by walking up from this
 * module: lib/host in a checkout, dist/ once bundled by tsup,
 * node_modules/pakostii/dist when installed. The addon (prebuilds/, build/) and
 * the vendored protos (proto/) are found from there.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_NAME = 'pakostii';

function readPackageName(manifest: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name;
  } catch {
    return undefined; // unreadable package.json: keep walking up
  }
}

/** The package root, or undefined when this module is not inside a package named "pakostii". */
export function findPackageRoot(): string | undefined {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && readPackageName(manifest) === PACKAGE_NAME) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}
