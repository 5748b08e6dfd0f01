/**
 * Extended attributes, never through a symlink (native/xattr.cc): Node's fs has
 * no xattr calls, and overlayfs keeps its "opaque directory" mark in one.
 */
import { addon } from './addon.js';
import { callNative } from './errors.js';

/** The value of attribute `name` of `path` itself (a symlink is not followed), or null when it has none. */
export async function getXattr(path: string, name: string): Promise<Buffer | null> {
  return callNative(() => addon().getXattr(path, name));
}

/** Set attribute `name` of `path` itself (a symlink is not followed). */
export async function setXattr(path: string, name: string, value: string | Uint8Array): Promise<void> {
  await callNative(() => addon().setXattr(path, name, Buffer.from(value)));
}
