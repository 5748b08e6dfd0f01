/**
 * Files of Debian packages installed on this machine, from dpkg's own
 * database (/var/lib/dpkg/info/<package>[:<arch>].list): what `dpkg -L` lists,
 * read directly. Documentation (/usr/share/{doc,man,info,lintian}) is left out.
 */
import { existsSync, readFileSync } from 'node:fs';
import { lstat, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SpecError } from '../errors.js';
import type { LayerEntry } from '../containerd/images/layer-builder.js';

export const DPKG_INFO_DIR = '/var/lib/dpkg/info';
const SKIPPED = /^\/usr\/share\/(?:doc|man|info|lintian)(?:\/|$)/;

function listFile(pkg: string, infoDir: string): string {
  if (!/^[a-z0-9][a-z0-9+.-]*(?::[a-z0-9-]+)?$/.test(pkg)) {
    throw new SpecError(`image build: "${pkg}" is not a Debian package name`, { hint: 'use names as apt knows them, e.g. redis-server or libssl3:amd64' });
  }
  const candidates = [join(infoDir, `${pkg}.list`), ...(pkg.includes(':') ? [] : ['amd64', 'arm64', 'i386'].map((a) => join(infoDir, `${pkg}:${a}.list`)))];
  const found = candidates.find((c) => existsSync(c));
  if (!found) {
    throw new SpecError(`image build: Debian package ${pkg} is not installed on this machine`, {
      hint: `install it first (apt-get install --no-install-recommends ${pkg}); the builder copies installed files and their shared libraries`,
    });
  }
  return found;
}

/** Layer entries (files with their host source, symlinks, directories) of the installed `packages`. */
export async function packageEntries(packages: readonly string[], infoDir = DPKG_INFO_DIR): Promise<LayerEntry[]> {
  const byPath = new Map<string, LayerEntry>();
  for (const pkg of packages) {
    for (const path of readFileSync(listFile(pkg, infoDir), 'utf8').split('\n')) {
      if (!path.startsWith('/') || path === '/.' || SKIPPED.test(path) || byPath.has(path)) continue;
      const info = await lstat(path).catch(() => undefined);
      if (!info) continue; // listed but removed by the admin (e.g. a deleted conffile)
      // A symlink to a directory is kept as a directory (merged /usr: /lib -> usr/lib on the host,
      // while the package's files are listed under /lib/…, which must stay a real path in the image).
      if (info.isSymbolicLink() && (await stat(path).catch(() => undefined))?.isDirectory()) byPath.set(path, { kind: 'dir', path });
      else if (info.isSymbolicLink()) byPath.set(path, { kind: 'symlink', path, target: await readlink(path) });
      else if (info.isDirectory()) byPath.set(path, { kind: 'dir', path, mode: info.mode & 0o7777 });
      else if (info.isFile()) byPath.set(path, { kind: 'file', path, source: path, mode: info.mode & 0o7777 });
    }
  }
  return [...byPath.values()];
}
