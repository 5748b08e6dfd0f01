/** A process identity that existed and is now gone: what a SIGKILLed runner leaves in its record. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { ProcessIdentity } from '../../lib/host/process-identity.js';

export async function deadIdentity(): Promise<ProcessIdentity> {
  const child = spawn('sleep', ['60']);
  const pid = child.pid!;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const pidStartTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
  const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  return { pid, pidStartTime, bootId };
}
