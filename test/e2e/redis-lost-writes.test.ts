/**
 * The redis-sentinel example run once in the suite, on the workload runner:
 * isolating az1 (old master r1) while clients keep adding through both sides
 * must end with acknowledged writes lost — the set checker says false, the run
 * fails with "set: lost N acknowledged writes", N > 0 — and leave nothing behind.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TestFailedError, type HistoryEvent } from '../../lib/index.js';
import { parseTimeline } from '../../lib/faults/timeline.js';
import { lostWritesScenario, redisLostWritesTest } from '../../examples/redis-lost-writes.js';
import { captureLogger } from './support.js';
import { expectNoLeaks } from '../helpers/leak-audit.js';
import { countPixels, launchBrowser, openReport, screenshot } from '../report/browser.js';

describe('redis sentinel lost writes (examples/redis-lost-writes.ts)', () => {
  it('loses acknowledged writes across a split brain', async () => {
    const { logger } = captureLogger();
    const error = await redisLostWritesTest({ logger }).run(lostWritesScenario).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TestFailedError);
    const failure = error as TestFailedError;
    const lost = /set: lost (\d+) acknowledged writes/.exec(failure.message);
    expect(lost, failure.message).not.toBeNull();
    expect(Number(lost![1])).toBeGreaterThan(0);

    const results = JSON.parse(readFileSync(join(failure.artifactsDir, 'results.json'), 'utf8')) as { valid: unknown; checkers: Record<string, { valid: unknown; summary: string }> };
    expect(results.valid).toBe(false);
    expect(results.checkers.set!.summary).toMatch(/^lost \d+ acknowledged writes/);
    // Writers on both sides had adds acknowledged.
    const history = readFileSync(join(failure.artifactsDir, 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as HistoryEvent);
    const okNodes = new Set(history.filter((e) => e.f === 'add' && e.type === 'ok').map((e) => e.node));
    expect(okNodes).toEqual(new Set(['r1', 'r3']));

    // The split is in the timeline: applied, then healed by the nemesis.
    const timeline = parseTimeline(readFileSync(join(failure.artifactsDir, 'faults.jsonl'), 'utf8'));
    expect(timeline.map((e) => `${e.event} ${e.kind} ${e.name}`)).toEqual(['apply isolateAZ az1 split', 'heal isolateAZ az1 split']);

    // Its report in chromium: the lost writes in words, the split drawn, no error.
    const browser = await launchBrowser();
    try {
      const { page, errors, blocked } = await openReport(browser, join(failure.artifactsDir, 'report.html'));
      expect(errors).toEqual([]);
      expect(blocked).toEqual([]);
      expect(await page.textContent('#overall-verdict')).toContain('INVALID');
      expect(await page.textContent('.violation[data-checker="set"] .summary')).toBe(results.checkers.set!.summary);
      expect(await page.evaluate(() => window.pakostiiReport!.periods().map((p) => `${p.name} ${p.to === null ? 'open' : 'healed'}`))).toEqual(['az1 split healed']);
      for (const view of ['#latency-chart canvas', '#throughput-chart canvas', '#lanes', '#fault-strip']) expect(await countPixels(page, view), view).toBeGreaterThan(500);
      await screenshot(page, 'redis-lost-writes');
      // The README's picture (docs/report.png): PAKOSTII_README_SCREENSHOT=1 npx vitest run test/e2e/redis-lost-writes.test.ts
      if (process.env.PAKOSTII_README_SCREENSHOT === '1') await screenshot(page, 'readme', join(import.meta.dirname, '..', '..', 'docs', 'report.png'));
      await page.context().close();
    } finally {
      await browser.close();
    }
    await expectNoLeaks(failure.id);
  }, 300_000);
});
