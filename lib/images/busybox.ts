/**
 * The busybox layer: the host's static busybox (Debian's busybox-static) with a
 * symlink in /bin for each of its applets. The applet names are read from the
 * binary's own sorted name table ("[", "[[", "acpid", …), not by running it.
 */
import { readFile } from 'node:fs/promises';
import { SpecError } from '../errors.js';
import type { LayerEntry } from '../containerd/images/layer-builder.js';
import { readElfDependencies } from './elf.js';

export const HOST_BUSYBOX = '/bin/busybox';

export function busyboxApplets(binary: Buffer): string[] {
  const start = binary.indexOf(Buffer.from('[\0[[\0', 'latin1'));
  if (start < 0) return [];
  const names: string[] = [];
  for (let at = start; ; ) {
    const end = binary.indexOf(0, at);
    const name = binary.toString('latin1', at, end);
    if (!/^(?:\[|\[\[|[a-z0-9][a-z0-9_.-]*)$/.test(name)) break;
    names.push(name);
    at = end + 1;
  }
  return names;
}

export async function busyboxEntries(source = HOST_BUSYBOX): Promise<LayerEntry[]> {
  const deps = await readElfDependencies(source).catch(() => undefined);
  if (!deps) throw new SpecError(`image build: no busybox at ${source}`, { hint: 'apt-get install busybox-static, or set "busybox": false in the recipe' });
  if (deps.needed.length > 0) {
    throw new SpecError(`image build: ${source} is not a static busybox`, { hint: 'apt-get install busybox-static (the dynamic busybox needs libraries the image would lack)' });
  }
  const applets = busyboxApplets(await readFile(source));
  const entries: LayerEntry[] = [{ kind: 'file', path: 'bin/busybox', source, mode: 0o755 }];
  for (const applet of applets) if (applet !== 'busybox') entries.push({ kind: 'symlink', path: `bin/${applet}`, target: 'busybox' });
  return entries;
}

/** What every image gets: /etc basics for root and nobody, /tmp, the usual directories. */
export function skeletonEntries(users: ReadonlyArray<{ name: string; uid: number; gid?: number; home?: string; shell?: string }> = []): LayerEntry[] {
  const passwd = ['root:x:0:0:root:/root:/bin/sh', 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false'];
  const group = ['root:x:0:', 'nobody:x:65534:', 'nogroup:x:65534:'];
  for (const u of users) {
    passwd.push(`${u.name}:x:${u.uid}:${u.gid ?? u.uid}:${u.name}:${u.home ?? '/nonexistent'}:${u.shell ?? '/bin/false'}`);
    if (!group.some((g) => g.split(':')[2] === String(u.gid ?? u.uid))) group.push(`${u.name}:x:${u.gid ?? u.uid}:`);
  }
  const entries: LayerEntry[] = [];
  for (const dir of ['dev', 'proc', 'sys', 'run', 'etc', 'var/lib', 'usr/local/bin']) entries.push({ kind: 'dir', path: dir });
  entries.push(
    { kind: 'dir', path: 'tmp', mode: 0o1777 },
    { kind: 'dir', path: 'var/tmp', mode: 0o1777 },
    { kind: 'dir', path: 'root', mode: 0o700 },
    { kind: 'file', path: 'etc/passwd', content: `${passwd.join('\n')}\n` },
    { kind: 'file', path: 'etc/group', content: `${group.join('\n')}\n` },
    { kind: 'file', path: 'etc/nsswitch.conf', content: 'passwd: files\ngroup: files\nhosts: files dns\n' },
  );
  return entries;
}
