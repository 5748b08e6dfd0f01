/**
 * The glue between a run and the workload layer: the run's history recorder
 * (history.jsonl, created on first use; closed at teardown, when the same
 * history is also written as Jepsen EDN to history.edn), and
 * t.workload() with the cluster's nodes, fault handles and run.json.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toEdn } from '../history/edn.js';
import { HistoryRecorder } from '../history/recorder.js';
import { ARTIFACT_FILE_MODE, ARTIFACT_FILES } from '../history/types.js';
import type { NemesisEnv } from '../workload/nemesis.js';
import type { WorkloadOptions } from '../workload/options.js';
import { runWorkload, type WorkloadResult } from '../workload/workload.js';
import type { ContainersHandle } from '../faults/process-faults.js';
import type { RunContext } from './run-context.js';
import type { Partition } from '../faults/partition.js';

export class RunHistory {
  readonly #ctx: RunContext;
  #recorder: HistoryRecorder | undefined;

  constructor(ctx: RunContext) {
    this.#ctx = ctx;
  }

  /** The run's recorder, writing `<artifacts>/history.jsonl`. */
  get recorder(): HistoryRecorder {
    if (this.#recorder === undefined) {
      const ctx = this.#ctx;
      let warned = false;
      const recorder = new HistoryRecorder({
        path: join(ctx.artifactsDir, ARTIFACT_FILES.history),
        startedMono: ctx.runInfo?.startedMono ?? process.hrtime.bigint(),
        onWriteError: (error) => {
          if (!warned) ctx.logger.warn({ err: error }, 'cannot write history.jsonl; the history stays in memory');
          warned = true;
        },
      });
      ctx.trackCloseable({
        close: async () => {
          recorder.close();
          writeFileSync(join(ctx.artifactsDir, ARTIFACT_FILES.historyEdn), toEdn(recorder.history), { mode: ARTIFACT_FILE_MODE });
        },
      });
      this.#recorder = recorder;
    }
    return this.#recorder;
  }

  workload<C>(options: WorkloadOptions<C>, handles: { partition: Partition; containers: ContainersHandle }): Promise<WorkloadResult> {
    const ctx = this.#ctx;
    const nodes = ctx.plan.nodes.map((n) => n.name);
    const nemesisEnv: NemesisEnv = {
      nodes,
      services: (node) => ctx.plan.node(node, 'nemesis').services.map((s) => s.name),
      partition: handles.partition,
      containers: handles.containers,
      logger: ctx.logger,
    };
    return runWorkload(options, {
      testName: ctx.name,
      runId: ctx.id,
      recorder: this.recorder,
      logger: ctx.logger,
      signal: ctx.signal,
      nodes,
      nemesisEnv,
      artifactsDir: ctx.artifactsDir,
      onSeed: (seed, replay) => ctx.runInfo?.update({ seed, replay }),
    });
  }
}
