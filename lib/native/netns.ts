/**
 * Named network namespaces under /run/netns, created and deleted by the addon
 * (native/netns.cc) on threads of its own: the calling process never changes namespace.
 */
import { readdir } from 'node:fs/promises';
import { NETNS_DIR } from '../host/paths.js';
import { addon } from './addon.js';
import { callNative } from './errors.js';

/** Create a named network namespace bound under /run/netns/<name> (visible to `ip netns list`). */
export async function createNetns(name: string): Promise<void> {
  await callNative(() => addon().netnsCreate(name));
}

/** Delete a named network namespace (unmount + unlink). Deleting a missing one throws ENOENT NativeError. */
export async function deleteNetns(name: string): Promise<void> {
  await callNative(() => addon().netnsDelete(name));
}

/** Names under /run/netns. */
export async function listNetns(): Promise<string[]> {
  try {
    return (await readdir(NETNS_DIR)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
