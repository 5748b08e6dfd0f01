/**
 * `run.json` in the run's artifacts: who ran (test, run id), when (the
 * monotonic zero of every history `time`, on the clock of faults.jsonl, and the
 * wall clock), with which seed and how to replay it. Written at run start and
 * rewritten (atomically: a temporary file, then rename) when the seed is chosen
 * and when the run ends.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIFACT_FILE_MODE, ARTIFACT_FILES } from '../history/types.js';

export interface RunInfoFields {
  test: string;
  runId: string;
  seed?: number | string;
  /** process.hrtime.bigint() at run start, ns, decimal string. */
  startedMono: string;
  startedWall: string;
  endedMono?: string;
  /** The shell command that replays the run with the same seed. */
  replay?: string;
}

export class RunInfo {
  readonly path: string;
  readonly startedMono: bigint;
  #fields: RunInfoFields;

  constructor(artifactsDir: string, test: string, runId: string, startedMono: bigint, startedWall: Date) {
    this.path = join(artifactsDir, ARTIFACT_FILES.run);
    this.startedMono = startedMono;
    this.#fields = { test, runId, startedMono: startedMono.toString(), startedWall: startedWall.toISOString() };
  }

  get fields(): Readonly<RunInfoFields> {
    return this.#fields;
  }

  update(patch: Partial<RunInfoFields>): void {
    this.#fields = { ...this.#fields, ...patch };
    this.write();
  }

  write(): void {
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.#fields, null, 2)}\n`, { mode: ARTIFACT_FILE_MODE });
    renameSync(tmp, this.path);
  }
}
