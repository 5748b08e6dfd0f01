/**
 * buildImage(recipe): an OCI image archive from what this machine has, and
 * optionally imported into containerd. Layers, in order: busybox (optional),
 * the skeleton (/etc basics), packages + their libraries, binaries + their
 * libraries, the recipe's files. Builds are reproducible (sorted entries, fixed
 * mtimes), and each layer is cached under `cacheDir` by a hash of its inputs
 * (paths, modes, contents or the source files' size/mtime/inode): a rebuild
 * with unchanged inputs re-reads nothing and writes the same digests.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, realpath, rename, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { buildLayer, type BuiltLayer, type LayerEntry } from '../containerd/images/layer-builder.js';
import { DEFAULT_PATH_ENV, writeOciArchive } from '../containerd/images/oci-archive-writer.js';
import { busyboxEntries, skeletonEntries } from './busybox.js';
import { packageEntries } from './dpkg.js';
import { checkRecipe, fileMode, type ImageRecipe } from './recipe.js';
import { libraryClosure } from './shared-libraries.js';

/** Bump when layer contents change in a way the inputs hash cannot see. */
const LAYER_FORMAT = 1;

export interface BuildOptions {
  /** Where the archive goes (default .cache/images in the cwd); the file is <safe name>.oci.tar. */
  outDir?: string;
  /** Layer cache (default <outDir>/layers). */
  cacheDir?: string;
}

export interface BuiltImage {
  name: string;
  archive: string;
  manifestDigest: string;
  size: number;
  layers: Array<{ name: string; digest: string; cached: boolean }>;
}

interface PlannedLayer {
  name: string;
  entries: LayerEntry[];
}

function stripRoot(path: string): string {
  return path.replace(/^\/+/, '');
}

/** Later layers may repeat a path of an earlier one (they win, as in any image); within one layer, first wins. */
function dedupe(entries: LayerEntry[]): LayerEntry[] {
  const byPath = new Map<string, LayerEntry>();
  for (const e of entries) {
    const path = stripRoot(e.path);
    const existing = byPath.get(path);
    if (!existing || (existing.kind === 'dir' && e.kind !== 'dir')) byPath.set(path, { ...e, path });
  }
  return [...byPath.values()];
}

async function withLibraries(name: string, files: LayerEntry[], present: Set<string>, extraDirs: Set<string>): Promise<PlannedLayer> {
  const elfCandidates = files.filter((f): f is Extract<LayerEntry, { source: string }> => f.kind === 'file' && 'source' in f).map((f) => ({ path: `/${stripRoot(f.path)}`, source: f.source }));
  const inLayer = new Set([...present, ...files.map((f) => `/${stripRoot(f.path)}`)]);
  const closure = await libraryClosure(elfCandidates, inLayer);
  for (const dir of closure.extraDirs) extraDirs.add(dir);
  const entries = dedupe([...files, ...closure.libraries.map((l): LayerEntry => ({ kind: 'file', path: l.path, source: l.source }))]);
  for (const e of entries) present.add(`/${stripRoot(e.path)}`);
  return { name, entries };
}

async function planLayers(recipe: ImageRecipe): Promise<{ layers: PlannedLayer[]; extraDirs: string[] }> {
  const layers: PlannedLayer[] = [];
  const present = new Set<string>();
  const extraDirs = new Set<string>();
  if (recipe.busybox !== false) layers.push({ name: 'busybox', entries: await busyboxEntries() });
  layers.push({ name: 'skeleton', entries: skeletonEntries(recipe.users) });
  for (const layer of layers) for (const e of layer.entries) present.add(`/${stripRoot(e.path)}`);
  if (recipe.packages?.length) layers.push(await withLibraries('packages', await packageEntries(recipe.packages), present, extraDirs));
  if (recipe.binaries?.length) {
    const files: LayerEntry[] = [];
    for (const b of recipe.binaries) {
      const { path, source } = typeof b === 'string' ? { path: b, source: b } : b;
      files.push({ kind: 'file', path, source: await realpath(source) });
    }
    layers.push(await withLibraries('binaries', files, present, extraDirs));
  }
  if (recipe.files?.length) {
    const entries = recipe.files.map((f): LayerEntry => {
      const mode = 'mode' in f ? fileMode(f.mode) : undefined;
      if ('content' in f) return { kind: 'file', path: f.path, content: f.content, ...(mode === undefined ? {} : { mode }) };
      if ('source' in f) return { kind: 'file', path: f.path, source: f.source, ...(mode === undefined ? {} : { mode }) };
      if ('dir' in f) return { kind: 'dir', path: f.path, ...(mode === undefined ? {} : { mode }) };
      return { kind: 'symlink', path: f.path, target: f.symlink };
    });
    layers.push({ name: 'files', entries: dedupe(entries) });
  }
  return { layers, extraDirs: [...extraDirs] };
}

async function layerKey(layer: PlannedLayer): Promise<string> {
  const hash = createHash('sha256').update(JSON.stringify({ LAYER_FORMAT, name: layer.name }));
  for (const e of [...layer.entries].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    hash.update(JSON.stringify({ ...e, content: 'content' in e ? createHash('sha256').update(e.content).digest('hex') : undefined }));
    if (e.kind === 'file' && 'source' in e) {
      const s = await stat(e.source);
      hash.update(`${s.size}:${s.mtimeMs}:${s.ino}:${s.mode}`);
    }
  }
  return hash.digest('hex');
}

async function cachedLayer(layer: PlannedLayer, cacheDir: string): Promise<{ built: BuiltLayer; cached: boolean }> {
  const key = await layerKey(layer);
  const blobPath = join(cacheDir, `${key}.tar.gz`);
  const metaPath = join(cacheDir, `${key}.json`);
  if (existsSync(blobPath) && existsSync(metaPath)) {
    const meta = JSON.parse(await readFile(metaPath, 'utf8')) as { digest: string; diffId: string };
    return { built: { blob: await readFile(blobPath), ...meta }, cached: true };
  }
  const built = await buildLayer(layer.entries);
  const temp = `${blobPath}.${process.pid}.tmp`;
  await writeFile(temp, built.blob, { mode: 0o644 });
  await rename(temp, blobPath);
  await writeFile(metaPath, JSON.stringify({ digest: built.digest, diffId: built.diffId }));
  return { built, cached: false };
}

/** Build `recipe` into an OCI archive (see the file comment); import it with ContainerdClient.importArchive or `pakostii images build --import`. */
export async function buildImage(recipe: ImageRecipe, options: BuildOptions = {}): Promise<BuiltImage> {
  checkRecipe(recipe);
  const outDir = resolve(options.outDir ?? '.cache/images');
  const cacheDir = resolve(options.cacheDir ?? join(outDir, 'layers'));
  await mkdir(cacheDir, { recursive: true, mode: 0o755 });
  const { layers, extraDirs } = await planLayers(recipe);
  const built: Array<{ name: string; built: BuiltLayer; cached: boolean }> = [];
  for (const layer of layers) built.push({ name: layer.name, ...(await cachedLayer(layer, cacheDir)) });
  const env = Object.entries(recipe.env ?? {}).map(([k, v]) => `${k}=${v}`);
  if (!env.some((e) => e.startsWith('PATH='))) env.unshift(DEFAULT_PATH_ENV);
  // The image has no ld.so.cache: libraries from ld.so.conf directories are found through LD_LIBRARY_PATH.
  if (extraDirs.length > 0 && !env.some((e) => e.startsWith('LD_LIBRARY_PATH='))) env.push(`LD_LIBRARY_PATH=${extraDirs.join(':')}`);
  const archive = join(outDir, `${recipe.name.replace(/[^A-Za-z0-9._-]+/g, '_')}.oci.tar`);
  const written = await writeOciArchive(archive, {
    ref: recipe.name,
    layers: built.map((b) => b.built),
    config: {
      env,
      ...(recipe.entrypoint ? { entrypoint: recipe.entrypoint } : {}),
      ...(recipe.cmd ? { cmd: recipe.cmd } : {}),
      ...(recipe.workingDir ? { workingDir: recipe.workingDir } : {}),
      ...(recipe.user ? { user: recipe.user } : {}),
      ...(recipe.labels ? { labels: recipe.labels } : {}),
    },
  });
  return {
    name: written.name,
    archive,
    manifestDigest: written.manifestDigest,
    size: written.size,
    layers: built.map((b) => ({ name: b.name, digest: b.built.digest, cached: b.cached })),
  };
}
