/**
 * `pakostii images import <archive>` and `pakostii images pull <ref>`: put
 * images into the containerd namespace pakostii runs in (default "pakostii"),
 * through the library's own client — the same code a run uses.
 */
import { resolve } from 'node:path';
import { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { ContainerdClient, type ImageInfo, type PullProgress } from '../containerd/index.js';
import { buildImage } from '../images/build.js';
import { readRecipeFile } from '../images/recipe.js';
import { addContainerdOptions, type ContainerdOptions } from './options.js';

function describeImage(image: ImageInfo): string {
  return `${image.name}  ${image.digest.slice(0, 19)}  chain ${image.chainId.slice(0, 19)}`;
}

async function withClient<T>(options: ContainerdOptions, fn: (client: ContainerdClient) => Promise<T>): Promise<T> {
  const client = await ContainerdClient.connect({ socket: options.containerdSocket, namespace: options.namespace });
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

function megabytes(bytes: number): string {
  return (bytes / 1_048_576).toFixed(1);
}

/**
 * A progress bar on stderr when it is a terminal (or with --progress, e.g. in
 * CI logs, where it prints a line every few seconds); nothing otherwise.
 */
function pullBar(ref: string, force: boolean): { update(p: PullProgress): void; stop(): void } {
  const tty = process.stderr.isTTY === true;
  if (!tty && !force) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar(
    {
      format: `${ref} [{bar}] {percentage}% | {doneMiB}/{totalMiB} MiB`,
      stream: process.stderr,
      hideCursor: tty,
      noTTYOutput: !tty,
    },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(p) {
      const total = Math.max(p.bytesTotal, p.bytesDone, 1);
      // Not {total}/{value}: cli-progress fills those built-in tokens itself (in bytes here).
      const payload = { doneMiB: megabytes(p.bytesDone), totalMiB: megabytes(total) };
      if (!started) {
        bar.start(total, p.bytesDone, payload);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(p.bytesDone, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

export function imagesCommand(): Command {
  const images = new Command('images').description('import or pull images into the containerd namespace pakostii uses');

  addContainerdOptions(
    images
      .command('import')
      .description('import an OCI image layout or docker-archive tarball (e.g. from `docker save` or `skopeo copy`)')
      .argument('<archive>', 'path of the .tar archive')
      .option('--name <ref>', 'image name when the archive carries none or only a tag (e.g. pakostii.local/nats:2.10)'),
  ).action(async (archive: string, options: ContainerdOptions & { name?: string }) => {
    const imported = await withClient(options, (client) =>
      client.importArchive(resolve(archive), options.name ? { baseName: options.name } : {}),
    );
    for (const image of imported) process.stdout.write(`imported ${describeImage(image)}\n`);
    if (imported.length === 0) process.stdout.write(`no image found in ${archive}\n`);
  });

  addContainerdOptions(
    images
      .command('pull')
      .description('pull an image from its registry and unpack it (overlayfs)')
      .argument('<ref>', 'image reference, e.g. quay.io/coreos/etcd:v3.6.11')
      .option('--progress', 'show the progress bar even when stderr is not a terminal'),
  ).action(async (ref: string, options: ContainerdOptions & { progress?: boolean }) => {
    const bar = pullBar(ref, options.progress ?? false);
    const image = await withClient(options, (client) =>
      client.pullImage(ref, { onProgress: (p) => bar.update(p) }).finally(() => bar.stop()),
    );
    process.stdout.write(`pulled ${describeImage(image)}\n`);
  });

  addContainerdOptions(
    images
      .command('build')
      .description("build an image from this machine's Debian packages and binaries (with their shared libraries), files, env, user, entrypoint")
      .argument('<recipe>', 'JSON recipe (see README, "Bring your own system")')
      .option('--out <dir>', 'where the OCI archive goes', '.cache/images')
      .option('--import', 'import the image into containerd', false),
  ).action(async (recipe: string, options: ContainerdOptions & { out: string; import: boolean }) => {
    const started = Date.now();
    const built = await buildImage(readRecipeFile(recipe), { outDir: options.out });
    const layers = built.layers.map((l) => `${l.name}${l.cached ? ' (cached)' : ''}`).join(', ');
    process.stdout.write(`built ${built.name} → ${built.archive} (${megabytes(built.size)} MB, ${built.manifestDigest.slice(0, 19)}; layers: ${layers}) in ${Date.now() - started} ms\n`);
    if (options.import) {
      const imported = await withClient(options, (client) => client.importArchive(built.archive));
      for (const image of imported) process.stdout.write(`imported ${describeImage(image)}\n`);
    }
  });

  return images;
}
