/**
 * Builds pakostii's local test images from this machine's Debian binaries
 * (no registry, no internet) as OCI image-layout tarballs in .cache/images/,
 * and with --import loads them into containerd through the library itself.
 *
 *   npx tsx scripts/build-images.ts [--only etcd,redis,busybox] [--import] [--namespace pakostii] [--force]
 *
 * Images share one base layer (busybox-static + /etc basics), so containerd
 * stores and unpacks it once. Builds are reproducible (fixed mtimes, sorted
 * entries): a rebuild gives the same digests, and an archive whose inputs
 * (binaries, libraries, recipe) did not change is not rebuilt at all.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, realpath, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { buildLayer, type LayerEntry } from '../lib/containerd/images/layer-builder.js';
import { DEFAULT_PATH_ENV, writeOciArchive, type ImageConfigInput } from '../lib/containerd/images/oci-archive-writer.js';

/** Bump when the recipe code changes in a way the inputs hash cannot see. */
const RECIPE_VERSION = 1;
const BUSYBOX = '/bin/busybox';

interface Recipe {
  name: string;
  ref: string;
  /** Files on top of the shared base layer (none for busybox itself). */
  appLayer: () => Promise<LayerEntry[]>;
  config: ImageConfigInput;
}

/** Shared libraries of `binary` (from `ldd`, allowed in scripts) as layer entries at the paths the loader looks for. */
async function sharedLibraries(binary: string): Promise<LayerEntry[]> {
  let out: string;
  try {
    out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  } catch {
    return []; // "not a dynamic executable": static binaries need nothing
  }
  const entries: LayerEntry[] = [];
  for (const line of out.split('\n')) {
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" or "/lib64/ld-linux-x86-64.so.2 (0x…)"
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x[0-9a-f]+\)/.exec(line);
    if (!m?.[1]) continue;
    entries.push({ kind: 'file', path: m[1], source: await realpath(m[1]), mode: 0o755 });
  }
  return entries;
}

/** Binaries plus their libraries, deduplicated by image path. */
async function binariesWithLibraries(files: Array<{ path: string; source?: string }>): Promise<LayerEntry[]> {
  const byPath = new Map<string, LayerEntry>();
  for (const f of files) {
    const source = await realpath(f.source ?? f.path);
    byPath.set(f.path, { kind: 'file', path: f.path, source });
    for (const lib of await sharedLibraries(source)) byPath.set(lib.path, lib);
  }
  return [...byPath.values()];
}

function baseLayerEntries(): LayerEntry[] {
  const applets = execFileSync(BUSYBOX, ['--list-full'], { encoding: 'utf8' }).split('\n').filter((a) => a !== '');
  const entries: LayerEntry[] = [{ kind: 'file', path: 'bin/busybox', source: BUSYBOX, mode: 0o755 }];
  for (const applet of applets) {
    if (applet !== 'bin/busybox') entries.push({ kind: 'symlink', path: applet, target: '/bin/busybox' });
  }
  for (const dir of ['dev', 'proc', 'sys', 'run', 'etc', 'var/lib', 'usr/local/bin']) entries.push({ kind: 'dir', path: dir });
  entries.push(
    { kind: 'dir', path: 'tmp', mode: 0o1777 },
    { kind: 'dir', path: 'var/tmp', mode: 0o1777 },
    { kind: 'dir', path: 'root', mode: 0o700 },
    { kind: 'file', path: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' },
    { kind: 'file', path: 'etc/group', content: 'root:x:0:\nnobody:x:65534:\nnogroup:x:65534:\n' },
    { kind: 'file', path: 'etc/nsswitch.conf', content: 'passwd: files\ngroup: files\nhosts: files dns\n' },
  );
  return entries;
}

/**
 * Every image a test, example or benchmark runs must be a recipe here (or be
 * made by the test itself): CI=true runs against an empty, private containerd,
 * and the suite's global setup imports every recipe before any test.
 * test/reliability/image-references.test.ts checks that each `ref` a test
 * names is listed here. Add yours with its `ref:` on one line.
 */
const RECIPES: Recipe[] = [
  {
    name: 'busybox',
    ref: 'pakostii.local/busybox:latest',
    appLayer: async () => [],
    config: { cmd: ['/bin/sh'], env: [DEFAULT_PATH_ENV] },
  },
  {
    name: 'etcd',
    ref: 'pakostii.local/etcd:3.4',
    appLayer: async () => [
      ...(await binariesWithLibraries([{ path: 'usr/bin/etcd', source: '/usr/bin/etcd' }, { path: 'usr/bin/etcdctl', source: '/usr/bin/etcdctl' }])),
      { kind: 'dir', path: 'var/lib/etcd', mode: 0o700 },
    ],
    config: { entrypoint: ['/usr/bin/etcd'], env: [DEFAULT_PATH_ENV, 'ETCDCTL_API=3'] },
  },
  {
    name: 'redis',
    ref: 'pakostii.local/redis:7',
    // Debian ships one binary that acts as server or sentinel by argv[0]; keep the symlinks.
    appLayer: async () => [
      ...(await binariesWithLibraries([
        { path: 'usr/bin/redis-check-rdb', source: '/usr/bin/redis-server' },
        { path: 'usr/bin/redis-cli', source: '/usr/bin/redis-cli' },
      ])),
      { kind: 'symlink', path: 'usr/bin/redis-server', target: 'redis-check-rdb' },
      { kind: 'symlink', path: 'usr/bin/redis-sentinel', target: 'redis-check-rdb' },
      { kind: 'dir', path: 'data', mode: 0o755 },
      // Sentinel rewrites its config file (and exits if it is not writable): withFile mounts are
      // read-only, so the image carries an empty, writable one; settings come as argv.
      { kind: 'dir', path: 'etc/redis', mode: 0o755 },
      { kind: 'file', path: 'etc/redis/sentinel.conf', content: '' },
    ],
    config: { entrypoint: ['/usr/bin/redis-server'], env: [DEFAULT_PATH_ENV], workingDir: '/data' },
  },
  {
    name: 'postgres',
    ref: 'pakostii.local/postgres:15',
    // Debian's PostgreSQL 15: server binaries, extension libraries (no LLVM JIT), share/, UTC zone.
    // initdb refuses root, so the entrypoint prepares the data directory and drops to `postgres`.
    appLayer: async () => {
      const { readdir } = await import('node:fs/promises');
      const tree = async (dir: string, skip: RegExp): Promise<string[]> =>
        (await readdir(dir, { withFileTypes: true, recursive: true }))
          .filter((d) => d.isFile() && !skip.test(join(d.parentPath, d.name)))
          .map((d) => join(d.parentPath, d.name));
      const pg = '/usr/lib/postgresql/15';
      const libs = (await tree(`${pg}/lib`, /bitcode|pgxs|llvmjit/)).filter((f) => f.endsWith('.so'));
      const share = await tree('/usr/share/postgresql/15', /\/man\//);
      return [
        ...(await binariesWithLibraries([...['postgres', 'initdb', 'pg_ctl', 'pg_isready'].map((b) => `${pg}/bin/${b}`), ...libs].map((f) => ({ path: f.slice(1), source: f })))),
        ...share.map((f): LayerEntry => ({ kind: 'file', path: f.slice(1), source: f })),
        { kind: 'file', path: 'usr/share/zoneinfo/UTC', source: '/usr/share/zoneinfo/UTC' },
        { kind: 'file', path: 'usr/share/zoneinfo/Etc/UTC', source: '/usr/share/zoneinfo/Etc/UTC' },
        { kind: 'file', path: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\npostgres:x:999:999:postgres:/var/lib/postgresql:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' },
        { kind: 'file', path: 'etc/group', content: 'root:x:0:\npostgres:x:999:\nnobody:x:65534:\nnogroup:x:65534:\n' },
        { kind: 'dir', path: 'var/lib/postgresql', mode: 0o755 },
        {
          kind: 'file',
          path: 'usr/local/bin/pakostii-postgres',
          mode: 0o755,
          content: [
            '#!/bin/sh',
            '# Initialises the cluster on first start (trust auth, reachable from the cluster network), then runs postgres with any extra "-c name=value" arguments.',
            'set -e',
            'PGDATA=${PGDATA:-/var/lib/postgresql/data}',
            'mkdir -p "$PGDATA" && chown postgres "$PGDATA" && chmod 700 "$PGDATA"',
            'if [ ! -s "$PGDATA/PG_VERSION" ]; then',
            `  su postgres -s /bin/sh -c "${pg}/bin/initdb -D $PGDATA -U postgres --auth=trust --encoding=UTF8 --locale=C --no-sync" >&2`,
            '  echo "host all all 0.0.0.0/0 trust" >> "$PGDATA/pg_hba.conf"',
            'fi',
            `exec su postgres -s /bin/sh -c "exec ${pg}/bin/postgres -D $PGDATA -c 'listen_addresses=*' -c unix_socket_directories=/tmp -c jit=off $*"`,
            '',
          ].join('\n'),
        },
      ];
    },
    config: { entrypoint: ['/usr/local/bin/pakostii-postgres'], env: [DEFAULT_PATH_ENV, 'TZ=UTC', 'PGDATA=/var/lib/postgresql/data'] },
  },
];

/** Hash of everything that determines the archive: recipe, entries, and each source file's identity (not its bytes: fast). */
async function inputsHash(recipe: Recipe, layers: LayerEntry[][]): Promise<string> {
  const hash = createHash('sha256').update(JSON.stringify({ RECIPE_VERSION, ref: recipe.ref, config: recipe.config, arch: process.arch }));
  for (const entries of layers) {
    for (const e of entries) {
      hash.update(JSON.stringify({ ...e, content: 'content' in e ? String(e.content) : undefined }));
      if (e.kind === 'file' && 'source' in e) {
        const s = await stat(e.source);
        hash.update(`${s.size}:${s.mtimeMs}:${s.ino}`);
      }
    }
  }
  return hash.digest('hex');
}

interface Built {
  recipe: Recipe;
  archive: string;
  name: string;
  manifestDigest: string;
  size: number;
  rebuilt: boolean;
}

async function buildOne(recipe: Recipe, outDir: string, base: LayerEntry[], force: boolean): Promise<Built> {
  const archive = join(outDir, `${recipe.name}.oci.tar`);
  const sidecar = `${archive}.inputs.json`;
  const app = await recipe.appLayer();
  const layers = app.length > 0 ? [base, app] : [base];
  const inputs = await inputsHash(recipe, layers);
  if (!force && existsSync(archive) && existsSync(sidecar)) {
    const previous = JSON.parse(await readFile(sidecar, 'utf8')) as { inputs: string; name: string; manifestDigest: string; size: number };
    if (previous.inputs === inputs) return { recipe, archive, ...previous, rebuilt: false };
  }
  const built = await Promise.all(layers.map((entries) => buildLayer(entries)));
  const written = await writeOciArchive(archive, { ref: recipe.ref, layers: built, config: recipe.config });
  const record = { inputs, name: written.name, manifestDigest: written.manifestDigest, size: written.size };
  await writeFile(sidecar, `${JSON.stringify(record, null, 2)}\n`);
  return { recipe, archive, ...record, rebuilt: true };
}

/** Imports through the library (lib/containerd/images), skipping images containerd already has at the same digest. */
async function importAll(built: Built[], namespace: string): Promise<void> {
  const { ContainerdGrpc } = await import('../lib/containerd/grpc.js');
  const images = await import('../lib/containerd/images/index.js');
  const grpc = ContainerdGrpc.open({ namespace });
  try {
    for (const b of built) {
      const present = await images.getImage(grpc, b.name);
      if (present?.digest === b.manifestDigest) {
        console.log(`  ${b.name}: already in containerd namespace ${namespace}`);
        continue;
      }
      const started = Date.now();
      const imported = await images.importArchive(grpc, b.archive);
      console.log(`  ${b.name}: imported ${imported.map((i) => `${i.name} (${i.digest.slice(0, 19)})`).join(', ')} in ${Date.now() - started} ms`);
    }
  } finally {
    grpc.close();
  }
}

async function main(): Promise<void> {
  const program = new Command()
    .name('build-images')
    .description('Build pakostii test images from Debian binaries (and import them into containerd)')
    .option('--only <names>', `comma-separated subset of: ${RECIPES.map((r) => r.name).join(',')}`)
    .option('--import', 'import the archives into containerd', false)
    .option('--namespace <ns>', 'containerd namespace to import into', 'pakostii')
    .option('--out <dir>', 'where archives go', '.cache/images')
    .option('--force', 'rebuild even when inputs are unchanged', false)
    .parse();
  const opts = program.opts<{ only?: string; import: boolean; namespace: string; out: string; force: boolean }>();
  const wanted = opts.only ? new Set(opts.only.split(',').map((s) => s.trim())) : undefined;
  const unknown = [...(wanted ?? [])].filter((n) => !RECIPES.some((r) => r.name === n));
  if (unknown.length > 0) throw new Error(`unknown image(s): ${unknown.join(', ')} (known: ${RECIPES.map((r) => r.name).join(', ')})`);
  const outDir = resolve(opts.out);
  await mkdir(outDir, { recursive: true });

  const started = Date.now();
  const base = baseLayerEntries();
  const built: Built[] = [];
  for (const recipe of RECIPES.filter((r) => !wanted || wanted.has(r.name))) {
    const b = await buildOne(recipe, outDir, base, opts.force);
    built.push(b);
    console.log(`${b.rebuilt ? 'built' : 'up to date'} ${b.name} → ${b.archive} (${(b.size / 1e6).toFixed(1)} MB compressed, ${b.manifestDigest.slice(0, 19)})`);
  }
  if (opts.import) await importAll(built, opts.namespace);
  console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
