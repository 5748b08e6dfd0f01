/**
 * Grace period for orphans (objects named with a run id that has no record).
 * A run registers before creating anything, so an orphan normally means a
 * crash long ago. But a tool or test that creates pakostii-named objects
 * without registering (e.g. a native test) would lose them to a janitor
 * running at the same time; so the automatic cleanup removes an orphan only
 * once it has been seen, unregistered, for a while. First sightings are kept
 * in <state dir>/orphans/<id> (epoch ms).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateDir } from '../host/paths.js';

function orphansDir(): string {
  return join(stateDir(), 'orphans');
}

/**
 * Of the orphan ids seen now, those first seen at least `graceMs` ago. Records
 * first sightings (unless dryRun) and forgets ids that are no longer orphans.
 */
export function ripeOrphans(ids: readonly string[], graceMs: number, dryRun: boolean, now = Date.now()): Set<string> {
  if (graceMs <= 0) return new Set(ids);
  const ripe = new Set<string>();
  const current = new Set(ids);
  for (const id of ids) {
    let firstSeen: number | undefined;
    try {
      firstSeen = Number(readFileSync(join(orphansDir(), id), 'utf8'));
    } catch {
      firstSeen = undefined;
    }
    if (firstSeen !== undefined && Number.isFinite(firstSeen)) {
      if (now - firstSeen >= graceMs) ripe.add(id);
    } else if (!dryRun) {
      mkdirSync(orphansDir(), { recursive: true, mode: 0o755 });
      writeFileSync(join(orphansDir(), id), String(now));
    }
  }
  if (!dryRun) {
    let known: string[] = [];
    try {
      known = readdirSync(orphansDir());
    } catch {
      known = [];
    }
    for (const id of known) if (!current.has(id)) rmSync(join(orphansDir(), id), { force: true });
  }
  return ripe;
}

/** Forget a sighting once the orphan is gone. */
export function forgetOrphan(id: string): void {
  rmSync(join(orphansDir(), id), { force: true });
}
