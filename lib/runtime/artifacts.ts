/**
 * Artifacts of a run: `<base>/<test>-<id>/logs/<node>/<service>/{stdout,stderr}`
 * (base defaults to `.pakostii` in the cwd). containerd appends container
 * output straight to these files, so they are complete even when the run fails
 * or the runner crashes.
 */
import { chmod, chown, mkdir, open } from 'node:fs/promises';
import { join, relative, resolve, isAbsolute } from 'node:path';
import { SpecError } from '../errors.js';
import { ensurePrivateDir } from '../host/private-dir.js';
import { ARTIFACT_DIR_MODE, ARTIFACT_FILE_MODE } from '../history/types.js';
import type { ClusterPlan } from '../spec/plan.js';

export const DEFAULT_ARTIFACTS_BASE = '.pakostii';

export class Artifacts {
  /** Absolute directory of this run's artifacts. */
  readonly dir: string;

  constructor(testName: string, runId: string, base: string = DEFAULT_ARTIFACTS_BASE) {
    this.dir = resolve(base, `${testName}-${runId}`);
  }

  /** A usable artifactsDir option (a string), checked when the Test is made. */
  static checkBaseOption(base: unknown): void {
    if (base !== undefined && (typeof base !== 'string' || base === '' || base.includes('\0'))) {
      throw new SpecError(`new Test(): artifactsDir must be a directory path, got ${typeof base === 'string' ? JSON.stringify(base) : String(base)}`, {
        hint: 'give a directory (relative to the cwd or absolute), or leave it out (default: ".pakostii")',
      });
    }
  }

  /**
   * Makes the base (mode 0755) and refuses one another user could redirect:
   * a symlink, not root's, writable by others, or under a directory an
   * untrusted user may write (they could swap it for a symlink and have root
   * append container logs wherever they like). Before anything of the run exists.
   */
  static ensureBase(base: string = DEFAULT_ARTIFACTS_BASE): void {
    ensurePrivateDir(resolve(base), { mode: 0o755, what: 'artifacts base (artifactsDir)' });
  }

  /** The directory as people should see it in logs: relative to the cwd when inside it. */
  get displayDir(): string {
    const rel = relative(process.cwd(), this.dir);
    return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : this.dir;
  }

  logDir(node: string, service: string): string {
    return join(this.dir, 'logs', node, service);
  }

  stdoutPath(node: string, service: string): string {
    return join(this.logDir(node, service), 'stdout');
  }

  stderrPath(node: string, service: string): string {
    return join(this.logDir(node, service), 'stderr');
  }

  /** Create every service's log directory and empty log files (so they exist even if a service never starts). */
  async prepare(plan: ClusterPlan): Promise<void> {
    // The run's own directory too: a cluster without services still writes run.json and faults.jsonl.
    // Not recursive: the base was checked; a fresh directory only root may write, so nobody can
    // plant a symlink where root (and the shim's log writer) will write.
    await mkdir(this.dir, { mode: ARTIFACT_DIR_MODE });
    await chown(this.dir, process.geteuid?.() ?? 0, readerGid());
    await chmod(this.dir, ARTIFACT_DIR_MODE); // after chown, which clears setgid; and past the umask
    await mkdir(join(this.dir, 'logs'), { mode: ARTIFACT_DIR_MODE });
    for (const node of plan.nodes) {
      await mkdir(join(this.dir, 'logs', node.name), { mode: ARTIFACT_DIR_MODE });
      for (const service of node.services) {
        await mkdir(this.logDir(node.name, service.name), { mode: ARTIFACT_DIR_MODE });
        for (const file of [this.stdoutPath(node.name, service.name), this.stderrPath(node.name, service.name)]) {
          await (await open(file, 'wx', ARTIFACT_FILE_MODE)).close();
        }
      }
    }
  }
}

/** Who may read a run's artifacts besides root: the invoking user's group under sudo, else our own group. */
function readerGid(): number {
  const sudo = Number(process.env.SUDO_GID);
  return Number.isInteger(sudo) && sudo >= 0 && process.env.SUDO_GID !== '' ? sudo : (process.getegid?.() ?? 0);
}
