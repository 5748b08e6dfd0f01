/**
 * The open-file limit a service container gets: the runtime spec's default,
 * capped by what this process may grant (read from /proc, so kept out of the
 * pure oci-spec.ts).
 */
import { readFile } from 'node:fs/promises';
import { NOFILE_LIMIT } from './oci-spec.js';

/**
 * RLIMIT_NOFILE for containers: NOFILE_LIMIT, or less when this process's hard
 * limit is lower (the shim inherits the same limits from containerd on a
 * normal host; without CAP_SYS_RESOURCE runc cannot go above them).
 */
export async function containerNofile(): Promise<number> {
  try {
    const limits = await readFile('/proc/self/limits', 'utf8');
    const hard = /^Max open files\s+\S+\s+(\S+)/m.exec(limits)?.[1];
    if (hard && /^[0-9]+$/.test(hard)) return Math.min(NOFILE_LIMIT, Number(hard));
  } catch {
    // no /proc: keep the default
  }
  return NOFILE_LIMIT;
}
