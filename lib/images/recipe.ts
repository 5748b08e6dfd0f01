/**
 * An image recipe: what to take from this machine (installed Debian packages,
 * host binaries — each with its shared libraries), plus files, environment,
 * user and entrypoint. The same object works as a JSON file for
 * `pakostii images build <recipe.json>` (relative `source` paths are relative
 * to the recipe file) and as the argument of `buildImage()`.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { SpecError } from '../errors.js';

export type RecipeFile =
  /** A file with inline content. */
  | { path: string; content: string; mode?: number | string }
  /** A file copied from the host (relative to the recipe file when read from JSON). */
  | { path: string; source: string; mode?: number | string }
  | { path: string; dir: true; mode?: number | string }
  | { path: string; symlink: string };

export interface ImageRecipe {
  /** Image name, e.g. "pakostii.local/redis:7". */
  name: string;
  /**
   * A busybox shell and its applets (from the host's busybox-static, /bin/busybox)
   * as the first layer; default true. Every image also gets /etc/passwd, /etc/group,
   * /etc/nsswitch.conf (root and nobody) and /tmp unless `files` replaces them.
   */
  busybox?: boolean;
  /** Installed Debian packages whose files go in (documentation left out), e.g. ["redis-server", "redis-tools"]. */
  packages?: string[];
  /** Host binaries, each with its shared libraries: "/usr/bin/etcd" or { path: in the image, source: on the host }. */
  binaries?: Array<string | { path: string; source: string }>;
  files?: RecipeFile[];
  env?: Record<string, string>;
  /** "name", "uid", "uid:gid" (a name needs an /etc/passwd entry: add one with `users`). */
  user?: string;
  /** Extra /etc/passwd and /etc/group entries. */
  users?: Array<{ name: string; uid: number; gid?: number; home?: string; shell?: string }>;
  entrypoint?: string[];
  cmd?: string[];
  workingDir?: string;
  labels?: Record<string, string>;
}

function fail(message: string, hint: string): never {
  throw new SpecError(`image recipe: ${message}`, { hint });
}

function strings(value: unknown, what: string): void {
  if (value !== undefined && (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))) fail(`${what} must be an array of strings`, `e.g. "${what}": ["…"]`);
}

/** Checks a recipe (from code or JSON) before anything is built. */
export function checkRecipe(recipe: ImageRecipe): ImageRecipe {
  if (typeof recipe !== 'object' || recipe === null) fail('a recipe is an object', 'see README, "Bring your own system"');
  if (typeof recipe.name !== 'string' || !/^[a-z0-9][a-z0-9._\-/:@]*$/.test(recipe.name)) {
    fail(`name ${JSON.stringify(recipe.name)} is not an image name`, 'e.g. "name": "pakostii.local/redis:7"');
  }
  strings(recipe.packages, 'packages');
  strings(recipe.entrypoint, 'entrypoint');
  strings(recipe.cmd, 'cmd');
  for (const b of recipe.binaries ?? []) {
    if (typeof b === 'string' ? !isAbsolute(b) : typeof b.path !== 'string' || typeof b.source !== 'string') {
      fail(`binary ${JSON.stringify(b)} must be an absolute host path or { path, source }`, 'e.g. "binaries": ["/usr/bin/etcd"]');
    }
  }
  for (const f of recipe.files ?? []) {
    if (typeof f.path !== 'string' || !f.path.startsWith('/')) fail(`file ${JSON.stringify(f)} needs an absolute "path"`, 'e.g. { "path": "/etc/app.conf", "content": "…" }');
    const kinds = ['content', 'source', 'dir', 'symlink'].filter((k) => k in f);
    if (kinds.length !== 1) fail(`file ${f.path} needs exactly one of content, source, dir, symlink`, 'e.g. { "path": "/data", "dir": true }');
  }
  for (const [k, v] of Object.entries(recipe.env ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) || typeof v !== 'string') fail(`env ${k} must be a NAME: "value" pair`, 'e.g. "env": { "LANG": "C.UTF-8" }');
  }
  return recipe;
}

/** Reads a JSON recipe; relative `source` paths become relative to its directory. */
export function readRecipeFile(path: string): ImageRecipe {
  let parsed: ImageRecipe;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as ImageRecipe;
  } catch (error) {
    throw new SpecError(`image recipe ${path}: ${(error as Error).message}`, { hint: 'a recipe is a JSON file; see README, "Bring your own system"' });
  }
  const base = dirname(resolve(path));
  return checkRecipe({
    ...parsed,
    files: parsed.files?.map((f) => ('source' in f && !isAbsolute(f.source) ? { ...f, source: resolve(base, f.source) } : f)),
  });
}

export function fileMode(mode: number | string | undefined): number | undefined {
  if (mode === undefined) return undefined;
  const n = typeof mode === 'number' ? mode : Number.parseInt(mode, 8);
  if (!Number.isInteger(n) || n < 0 || n > 0o7777) fail(`mode ${JSON.stringify(mode)} is not a file mode`, 'give an octal string like "0755" or a number');
  return n;
}
