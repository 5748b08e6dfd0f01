/**
 * Artifacts of a run: `<base>/<test>-<id>/logs/<node>/<service>/{stdout,stderr}`
 * (base defaults to `.pakostii` in the cwd). containerd appends container
 * output straight to these files, so they are complete even when the run fails
 * or the runner crashes.
 */
import { mkdir, open } from 'node:fs/promises';
import { join, relative, resolve, isAbsolute } from 'node:path';
import type { ClusterPlan } from '../spec/plan.js';

export const DEFAULT_ARTIFACTS_BASE = '.pakostii';

export class Artifacts {
  /** Absolute directory of this run's artifacts. */
  readonly dir: string;

  constructor(testName: string, runId: string, base: string = DEFAULT_ARTIFACTS_BASE) {
    this.dir = resolve(base, `${testName}-${runId}`);
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
    await mkdir(this.dir, { recursive: true });
    for (const node of plan.nodes) {
      for (const service of node.services) {
        await mkdir(this.logDir(node.name, service.name), { recursive: true });
        for (const file of [this.stdoutPath(node.name, service.name), this.stderrPath(node.name, service.name)]) {
          await (await open(file, 'a')).close();
        }
      }
    }
  }
}
