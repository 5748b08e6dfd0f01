/**
 * Builds pakostii's local test images with the public image builder
 * (lib/images, the same as `pakostii images build`), from this machine's
 * Debian packages and binaries (no registry, no internet), as OCI archives in
 * .cache/images/, and with --import loads them into containerd through the library.
 *
 *   npx tsx scripts/build-images.ts [--only etcd,redis,busybox] [--import] [--namespace pakostii] [--force]
 *
 * Every image starts with the same busybox and skeleton layers, so containerd
 * stores and unpacks them once; layers are cached by their inputs, so a run with
 * nothing changed re-reads nothing and imports nothing.
 */
import { readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { buildImage, type BuiltImage } from '../lib/images/build.js';
import { readRecipeFile, type ImageRecipe } from '../lib/images/recipe.js';

/**
 * Every image a test, example or benchmark runs must be a recipe here (or be
 * made by that test itself): CI=true runs the suite against an empty, private
 * containerd, and the suites' global setup imports every recipe first.
 * test/reliability/image-references.test.ts checks each image a test names
 * is the name of one of these recipes (inline or in a recipe file read below).
 */
const RECIPES: Record<string, () => ImageRecipe> = {
  busybox: () => ({ name: 'pakostii.local/busybox:latest', cmd: ['/bin/sh'] }),
  etcd: () => ({
    name: 'pakostii.local/etcd:3.4',
    binaries: ['/usr/bin/etcd', '/usr/bin/etcdctl'],
    files: [{ path: '/var/lib/etcd', dir: true, mode: '0700' }],
    env: { ETCDCTL_API: '3' },
    entrypoint: ['/usr/bin/etcd'],
  }),
  // From Debian's packages (the README's walk-through uses the same recipe file).
  // Sentinel rewrites its config file (and exits if it is not writable): withFile mounts are
  // read-only, so the image carries an empty, writable one; settings come as argv.
  redis: () => readRecipeFile(resolve('examples/images/redis.json')),
  // Debian's PostgreSQL 15: server binaries, extension libraries (no LLVM JIT), share/, UTC zone.
  // initdb refuses root, so the entrypoint prepares the data directory and drops to `postgres`.
  postgres: () => {
    const tree = (dir: string, skip: RegExp): string[] =>
      readdirSync(dir, { withFileTypes: true, recursive: true })
        .filter((d) => d.isFile() && !skip.test(join(d.parentPath, d.name)))
        .map((d) => join(d.parentPath, d.name));
    const pg = '/usr/lib/postgresql/15';
    const libs = tree(`${pg}/lib`, /bitcode|pgxs|llvmjit/).filter((f) => f.endsWith('.so'));
    const share = tree('/usr/share/postgresql/15', /\/man\//);
    return {
      name: 'pakostii.local/postgres:15',
      binaries: [...['postgres', 'initdb', 'pg_ctl', 'pg_isready'].map((b) => `${pg}/bin/${b}`), ...libs],
      users: [{ name: 'postgres', uid: 999, home: '/var/lib/postgresql', shell: '/bin/sh' }],
      files: [
        ...share.map((f) => ({ path: f, source: f })),
        { path: '/usr/share/zoneinfo/UTC', source: '/usr/share/zoneinfo/UTC' },
        { path: '/usr/share/zoneinfo/Etc/UTC', source: '/usr/share/zoneinfo/Etc/UTC' },
        { path: '/var/lib/postgresql', dir: true },
        {
          path: '/usr/local/bin/pakostii-postgres',
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
      ],
      env: { TZ: 'UTC', PGDATA: '/var/lib/postgresql/data' },
      entrypoint: ['/usr/local/bin/pakostii-postgres'],
    };
  },
};

/** Imports through the library, skipping images containerd already has at the same digest. */
async function importAll(built: BuiltImage[], namespace: string): Promise<void> {
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
    .description('Build pakostii test images from Debian packages and binaries (and import them into containerd)')
    .option('--only <names>', `comma-separated subset of: ${Object.keys(RECIPES).join(',')}`)
    .option('--import', 'import the archives into containerd', false)
    .option('--namespace <ns>', 'containerd namespace to import into', 'pakostii')
    .option('--out <dir>', 'where archives go', '.cache/images')
    .option('--force', 'rebuild every layer (drop the layer cache)', false)
    .parse();
  const opts = program.opts<{ only?: string; import: boolean; namespace: string; out: string; force: boolean }>();
  const wanted = opts.only ? opts.only.split(',').map((s) => s.trim()) : Object.keys(RECIPES);
  const unknown = wanted.filter((n) => !(n in RECIPES));
  if (unknown.length > 0) throw new Error(`unknown image(s): ${unknown.join(', ')} (known: ${Object.keys(RECIPES).join(', ')})`);
  const outDir = resolve(opts.out);
  if (opts.force) await rm(resolve(outDir, 'layers'), { recursive: true, force: true });

  const started = Date.now();
  const built: BuiltImage[] = [];
  for (const name of wanted) {
    const b = await buildImage(RECIPES[name]!(), { outDir });
    built.push(b);
    const fresh = b.layers.filter((l) => !l.cached).map((l) => l.name);
    console.log(`${fresh.length > 0 ? `built (${fresh.join(', ')})` : 'up to date'} ${b.name} → ${b.archive} (${(b.size / 1e6).toFixed(1)} MB compressed, ${b.manifestDigest.slice(0, 19)})`);
  }
  if (opts.import) await importAll(built, opts.namespace);
  console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
