/**
 * Where the toggle time goes: the same isolate-one-AZ fault timed layer by
 * layer, on a FaultEngine loaded for 3 nodes (+ runner) and not attached
 * (commit() writes the mmapped maps whether or not packets flow):
 *   - clock:        two back-to-back process.hrtime.bigint() reads (the measuring floor),
 *   - commit:       engine.commit(matrix) alone (the map write + index flip),
 *   - registry:     FaultRegistry.apply()/heal() without observer (bookkeeping + commit),
 *   - timeline:     the same with the run's FaultTimeline observer (one faults.jsonl
 *                   line appended synchronously per event, as Test.run() wires it),
 *   - timeline_await: that plus `await` of the resolved promise, as a test calls it.
 * The API figure (toggle.nodes3) should be close to the last one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { isolateGroup } from '../lib/faults/isolate-az.js';
import { FaultRegistry } from '../lib/faults/registry.js';
import { FaultTimeline } from '../lib/faults/timeline.js';
import { FaultEngine, PolicyMatrix } from '../lib/native/index.js';
import { round, summarize, usBetween } from './stats.js';

export interface LayerTiming {
  p50_us: number;
  p99_us: number;
}

export interface ToggleBreakdown {
  clock: LayerTiming;
  commit: LayerTiming;
  registry: LayerTiming;
  timeline: LayerTiming;
  timeline_await: LayerTiming;
  samples: number;
}

function layer(samples: number[]): LayerTiming {
  const s = summarize(samples);
  return { p50_us: round(s.p50), p99_us: round(s.p99) };
}

/** Time `op` `samples` times after `warmup` calls; apply and heal samples are pooled. */
async function time(samples: number, warmup: number, op: (i: number) => void | Promise<void>): Promise<LayerTiming> {
  const out: number[] = [];
  for (let i = 0; i < warmup + samples; i++) {
    const t0 = process.hrtime.bigint();
    await op(i);
    const t1 = process.hrtime.bigint();
    if (i >= warmup) out.push(usBetween(t0, t1));
  }
  return layer(out);
}

/** Same as time() for synchronous ops, without the await in the timed section. */
function timeSync(samples: number, warmup: number, op: (i: number) => void): LayerTiming {
  const out: number[] = [];
  for (let i = 0; i < warmup + samples; i++) {
    const t0 = process.hrtime.bigint();
    op(i);
    const t1 = process.hrtime.bigint();
    if (i >= warmup) out.push(usBetween(t0, t1));
  }
  return layer(out);
}

export async function runToggleBreakdown(samples: number, warmup: number): Promise<ToggleBreakdown> {
  const nodes = 4; // runner + 3 nodes, one per AZ; az1 = node 1
  const engine = await FaultEngine.load({ maxNodes: nodes });
  const dir = mkdtempSync(join(tmpdir(), 'pakostii-bench-breakdown-'));
  const silent = pino({ level: 'silent' });
  try {
    const fill = isolateGroup([1], nodes);
    const cut = new PolicyMatrix(nodes);
    fill(cut);
    const open = new PolicyMatrix(nodes);

    const clock = timeSync(samples, warmup, () => undefined);
    const commit = timeSync(samples, warmup, (i) => engine.commit(i % 2 === 0 ? cut : open));

    const bare = new FaultRegistry(engine, () => new PolicyMatrix(nodes), silent);
    const f1 = bare.define('bench', 'isolateAZ', { az: 'az1' }, fill);
    const registry = timeSync(samples, warmup, (i) => (i % 2 === 0 ? bare.apply(f1) : bare.heal(f1)));
    bare.close();

    const timelineFile = new FaultTimeline(dir, silent);
    timelineFile.create();
    const observed = new FaultRegistry(engine, () => new PolicyMatrix(nodes), silent, timelineFile.onNetworkEvent);
    const f2 = observed.define('bench', 'isolateAZ', { az: 'az1' }, fill);
    const timeline = timeSync(samples, warmup, (i) => (i % 2 === 0 ? observed.apply(f2) : observed.heal(f2)));
    const apiLike = (i: number): Promise<void> => {
      try {
        if (i % 2 === 0) observed.apply(f2);
        else observed.heal(f2);
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(error);
      }
    };
    const timelineAwait = await time(samples, warmup, apiLike);
    observed.close();
    return { clock, commit, registry, timeline, timeline_await: timelineAwait, samples };
  } finally {
    engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
