/**
 * The shared libraries a set of ELF files needs, found the way the dynamic
 * loader would find them on this host (DT_RUNPATH/RPATH with $ORIGIN, the
 * directories of /etc/ld.so.conf, then the default ones), recursively. Files
 * already in the image (e.g. a package's private libraries) are used first.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { SpecError } from '../errors.js';
import { readElfDependencies } from './elf.js';

/** Searched by the loader without any configuration (glibc on Debian/Ubuntu, x86-64 and others). */
export const DEFAULT_LIBRARY_DIRS = [
  '/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu',
  '/lib64', '/usr/lib64', '/lib', '/usr/lib',
];

/** Directories of /etc/ld.so.conf and its includes (globs of one `*` are enough for Debian's `include /etc/ld.so.conf.d/*.conf`). */
export function ldSoConfDirs(file = '/etc/ld.so.conf', seen = new Set<string>()): string[] {
  if (seen.has(file) || !existsSync(file)) return [];
  seen.add(file);
  const dirs: string[] = [];
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const include = /^include\s+(.+)$/.exec(line);
    if (!include) {
      dirs.push(line);
      continue;
    }
    const pattern = include[1]!.trim();
    const dir = dirname(pattern);
    const [prefix, suffix] = posix.basename(pattern).split('*') as [string, string | undefined];
    const names = existsSync(dir) ? readdirSync(dir).filter((n) => (suffix === undefined ? n === prefix : n.startsWith(prefix) && n.endsWith(suffix))) : [];
    for (const name of names.sort()) dirs.push(...ldSoConfDirs(join(dir, name), seen));
  }
  return dirs;
}

export interface ResolvedLibrary {
  /** Path in the image (where the loader looks), e.g. /lib/x86_64-linux-gnu/libc.so.6. */
  path: string;
  /** File on the host (symlinks resolved). */
  source: string;
}

export interface LibraryClosure {
  libraries: ResolvedLibrary[];
  /** Directories outside the loader's defaults that libraries came from (for LD_LIBRARY_PATH). */
  extraDirs: string[];
}

/**
 * Libraries (and loaders) needed by `files` (host paths of ELF files; others are
 * skipped) that `present` (image paths) does not already hold. Throws a
 * SpecError naming the file and the missing soname when one cannot be found.
 */
export async function libraryClosure(files: readonly { path: string; source: string }[], present: ReadonlySet<string> = new Set()): Promise<LibraryClosure> {
  const confDirs = ldSoConfDirs();
  const found = new Map<string, ResolvedLibrary>();
  const extraDirs = new Set<string>();
  const queue = [...files];
  const visited = new Set<string>();
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (visited.has(file.source)) continue;
    visited.add(file.source);
    const deps = await readElfDependencies(file.source).catch(() => undefined);
    if (!deps) continue;
    const add = async (imagePath: string, hostPath: string) => {
      if (present.has(imagePath) || found.has(imagePath)) return;
      const lib = { path: imagePath, source: await realpath(hostPath) };
      found.set(imagePath, lib);
      queue.push(lib);
    };
    if (deps.interpreter) {
      if (!existsSync(deps.interpreter)) throw missing(file.path, deps.interpreter);
      await add(deps.interpreter, deps.interpreter);
    }
    const origin = posix.dirname(file.path);
    const runpath = deps.runpath.map((d) => d.replace(/\$(?:ORIGIN|\{ORIGIN\})/g, origin));
    for (const soname of deps.needed) {
      const inImage = [...runpath, ...confDirs, ...DEFAULT_LIBRARY_DIRS].map((d) => posix.join(d, soname)).find((p) => present.has(p) || found.has(p));
      if (inImage) continue;
      const dir = [...runpath, ...confDirs, ...DEFAULT_LIBRARY_DIRS].find((d) => existsSync(join(d, soname)));
      if (!dir) throw missing(file.path, soname);
      if (!DEFAULT_LIBRARY_DIRS.includes(dir) && !runpath.includes(dir)) extraDirs.add(dir);
      await add(posix.join(dir, soname), join(dir, soname));
    }
  }
  return { libraries: [...found.values()], extraDirs: [...extraDirs] };
}

function missing(file: string, what: string): SpecError {
  return new SpecError(`image build: ${file} needs ${what}, which is neither in the image nor on this host`, {
    hint: `install the package that ships ${what} on this machine (apt-get install …) or add it to the recipe's packages/binaries`,
  });
}
