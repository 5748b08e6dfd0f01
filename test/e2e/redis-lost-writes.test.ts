/**
 * The redis-sentinel example run once in the suite: isolating az1 (old master
 * r1) while writers keep going through both sides must end with acknowledged
 * writes lost — the run fails with "lost N acknowledged writes", N > 0 — and
 * leave nothing behind.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TestFailedError } from '../../lib/index.js';
import { parseTimeline } from '../../lib/faults/timeline.js';
import { lostWritesScenario, redisLostWritesTest } from '../../examples/redis-lost-writes.js';
import { captureLogger } from './support.js';
import { expectNoLeaks } from '../helpers/leak-audit.js';

describe('redis sentinel lost writes (examples/redis-lost-writes.ts)', () => {
  it('loses acknowledged writes across a split brain', async () => {
    const { logger, lines } = captureLogger();
    const error = await redisLostWritesTest({ logger }).run(lostWritesScenario).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TestFailedError);
    const failure = error as TestFailedError;
    const lost = /lost (\d+) acknowledged writes/.exec(failure.message);
    expect(lost, failure.message).not.toBeNull();
    expect(Number(lost![1])).toBeGreaterThan(0);
    const compared = lines.find((l) => l.msg === 'writes compared');
    expect(compared).toMatchObject({ lost: Number(lost![1]) });
    expect(lines.find((l) => l.msg === 'split brain: two masters accept writes')?.new_master).toMatch(/^r[345]$/);

    // The split is in the timeline: applied, then healed by the scenario itself.
    const timeline = parseTimeline(readFileSync(join(failure.artifactsDir, 'faults.jsonl'), 'utf8'));
    expect(timeline.map((e) => `${e.event} ${e.kind} ${e.name}`)).toEqual(['apply isolateAZ az1 split', 'heal isolateAZ az1 split']);
    await expectNoLeaks(failure.id);
  }, 300_000);
});
