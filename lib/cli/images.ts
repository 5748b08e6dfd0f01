/**
 * `pakostii images import <archive>` and `pakostii images pull <ref>`: put
 * images into the containerd namespace pakostii runs in (default "pakostii"),
 * through the library's own client — the same code a run uses.
 */
import { resolve } from 'node:path';
import { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { ContainerdClient, type ImageInfo, type PullProgress } from '../containerd/index.js';
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

/** A progress bar on a terminal; nothing when stderr is not one (CI logs get the final line only). */
function pullBar(ref: string): { update(p: PullProgress): void; stop(): void } {
  if (!process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar(
    { format: `${ref} [{bar}] {percentage}% | {done}/{total} MiB`, stream: process.stderr, hideCursor: true },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(p) {
      const total = Math.max(p.bytesTotal, p.bytesDone, 1);
      const payload = { done: megabytes(p.bytesDone), total: megabytes(total) };
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
      .argument('<archive>', 'path of the .tar archive'),
  ).action(async (archive: string, options: ContainerdOptions) => {
    const imported = await withClient(options, (client) => client.importArchive(resolve(archive)));
    for (const image of imported) process.stdout.write(`imported ${describeImage(image)}\n`);
    if (imported.length === 0) process.stdout.write(`no image found in ${archive}\n`);
  });

  addContainerdOptions(
    images
      .command('pull')
      .description('pull an image from its registry and unpack it (overlayfs)')
      .argument('<ref>', 'image reference, e.g. quay.io/coreos/etcd:v3.6.11'),
  ).action(async (ref: string, options: ContainerdOptions) => {
    const bar = pullBar(ref);
    const image = await withClient(options, (client) =>
      client.pullImage(ref, { onProgress: (p) => bar.update(p) }).finally(() => bar.stop()),
    );
    process.stdout.write(`pulled ${describeImage(image)}\n`);
  });

  return images;
}
