/**
 * Who owns a run record or a subnet claim: pid, process start time (field 22
 * of /proc/<pid>/stat) and boot id. A pid alone is not enough: pids are reused.
 */
import { readFileSync } from 'node:fs';

export interface ProcessIdentity {
  readonly pid: number;
  /** /proc/<pid>/stat field 22 (starttime, clock ticks since boot) as a decimal string. */
  readonly pidStartTime: string;
  /** /proc/sys/kernel/random/boot_id: a record of an earlier boot is dead whatever its pid. */
  readonly bootId: string;
}

/** Fields of /proc/<pid>/stat from field 3 on (the command name may contain spaces and ')'). */
function statFields(pid: number): string[] | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const end = stat.lastIndexOf(')');
  return end < 0 ? undefined : stat.slice(end + 2).trim().split(' ');
}
const START_TIME_INDEX = 22 - 3;

let cachedBootId: string | undefined;
function currentBootId(): string {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      cachedBootId = '';
    }
  }
  return cachedBootId;
}

let self: ProcessIdentity | undefined;
/** This process's identity (computed once: a process's start time never changes). */
export function selfIdentity(): ProcessIdentity {
  self ??= Object.freeze({
    pid: process.pid,
    pidStartTime: statFields(process.pid)?.[START_TIME_INDEX] ?? '',
    bootId: currentBootId(),
  });
  return self;
}

/** True while the process that wrote `owner` still runs. Zombies count as gone: they will never clean up. */
export function isProcessAlive(owner: ProcessIdentity): boolean {
  if (owner.bootId && currentBootId() && owner.bootId !== currentBootId()) return false;
  const fields = statFields(owner.pid);
  if (!fields || fields[0] === 'Z' || fields[0] === 'X') return false;
  return fields[START_TIME_INDEX] === owner.pidStartTime;
}
