/**
 * Small files of an image read on the host before its container exists (its
 * /etc/passwd and /etc/group, to resolve USER), straight from the snapshot's
 * layer directories, merged as overlayfs merges them (overlay-view.ts:
 * whiteouts and opaque directories hide what is below). The image is
 * untrusted: a symlink resolves inside the image's root as the container would
 * see it (an absolute target starts again at the root, ".." stops there),
 * never to the host's files; only regular files count (never a device like
 * /dev/zero); the size is capped.
 */
import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { posix } from 'node:path';
import { ContainerdError } from '../errors.js';
import { OverlayView, type ReadXattr } from './overlay-view.js';

/**
 * The image's regular file at `path`, or undefined when it is missing or not a
 * regular file. Larger than `maxBytes` is an error naming the file.
 */
export async function readImageFile(layers: readonly string[], path: string, maxBytes: number, what: string, readXattr: ReadXattr): Promise<Buffer | undefined> {
  const view = new OverlayView(layers, what, readXattr, true);
  const clean = await view.resolve(path);
  const entry = await view.entry(clean);
  if (!entry?.stats.isFile()) return undefined;
  // A lower layer's entry is reached through that layer's own directories: none of them may be a symlink.
  if ((await realpath(entry.host)) !== posix.join(await realpath(layers[entry.layer]!), clean)) return undefined;
  const file = await open(entry.host, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const stats = await file.stat();
    if (!stats.isFile()) return undefined;
    if (stats.size > maxBytes) {
      throw new ContainerdError(`${what}: ${path} is ${stats.size} bytes, more than the ${maxBytes} bytes read from it`, {
        hint: 'the image carries an unusually large file there; check the image',
      });
    }
    return await file.readFile();
  } finally {
    await file.close();
  }
}
