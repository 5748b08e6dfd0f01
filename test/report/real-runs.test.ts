/**
 * Reports of real runs in chromium: the etcd register example
 * (examples/etcd-register.ts) checked for linearizability — with serializable
 * reads (stale reads from a cut-off member: a violation whose operations the
 * page highlights on click) and with linearizable reads (valid).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linearizable, TestFailedError, type TestResult } from '../../lib/index.js';
import { etcdRegisterTest, registerScenario } from '../../examples/etcd-register.js';
import { captureLogger } from '../e2e/support.js';
import { expectNoLeaks } from '../helpers/leak-audit.js';
import { countPixels, launchBrowser, openReport, screenshot } from './browser.js';

const HIGHLIGHT: [number, number, number] = [219, 39, 119];

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

interface Results {
  valid: unknown;
  checkers: Record<string, { valid: unknown; ops?: number[]; summary: string }>;
}

/** Runs the example with a linearizability checker; a violation fails the run (TestFailedError), its artifacts stay. */
async function registerRun(reads: 'linearizable' | 'serializable', seed: number): Promise<{ dir: string; id: string; results: Results; replay: string }> {
  const { logger } = captureLogger();
  const scenario = registerScenario({ reads, durationMs: 20_000, seed, checker: linearizable({ model: 'register', timeoutMs: 60_000 }) });
  const outcome: TestResult | TestFailedError = await etcdRegisterTest({ logger }, reads)
    .run(scenario)
    .catch((e: unknown) => {
      if (e instanceof TestFailedError) return e;
      throw e;
    });
  const dir = outcome.artifactsDir;
  const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Results;
  const { replay } = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { replay: string };
  return { dir, id: outcome.id, results, replay };
}

describe('reports of the etcd register example', () => {
  it('serializable reads: the violation is shown, and clicking it highlights its operations', async () => {
    const run = await registerRun('serializable', 5);
    const checker = run.results.checkers.linearizable!;
    expect(checker.valid, checker.summary).toBe(false);
    expect(checker.ops!.length).toBeGreaterThan(0);

    const { page, errors, blocked } = await openReport(browser, join(run.dir, 'report.html'));
    expect(errors).toEqual([]);
    expect(blocked).toEqual([]);
    expect(await page.textContent('#overall-verdict')).toContain('INVALID');
    expect(await page.textContent('.violation .summary')).toBe(checker.summary);
    expect(await page.textContent('#replay-command')).toBe(run.replay);
    for (const chart of ['#latency-chart', '#quantile-chart', '#throughput-chart']) expect(await countPixels(page, `${chart} canvas`), chart).toBeGreaterThan(1_000);
    expect(await countPixels(page, '#lanes')).toBeGreaterThan(2_000);
    const periods = await page.evaluate(() => window.pakostiiReport!.periods());
    expect(periods.length).toBeGreaterThan(0);
    const p = periods[0]!;
    const x = await page.evaluate((t) => window.pakostiiReport!.timeToPx(t), (p.from + (p.to ?? p.from + 0.5)) / 2);
    const band = p.process ? [228, 244, 242] : [237, 231, 253];
    expect(await countPixels(page, '#latency-chart canvas', { color: band as [number, number, number], tolerance: 8, rect: { x: x - 1, y: 0, w: 2, h: 240 } })).toBeGreaterThan(20);
    await screenshot(page, 'etcd-register-serializable');

    await page.click('button.show-violation');
    await page.waitForFunction(() => window.pakostiiReport!.highlighted().length > 0);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
    expect(await page.evaluate(() => window.pakostiiReport!.highlighted())).toEqual(checker.ops);
    expect(await countPixels(page, '#lanes', { color: HIGHLIGHT, tolerance: 10 })).toBeGreaterThan(10);
    const [a, b] = await page.evaluate(() => window.pakostiiReport!.view());
    const duration = Number((await page.textContent('#duration'))!.split(' ')[0]);
    expect(b - a).toBeLessThan(duration);
    await screenshot(page, 'etcd-register-violation-highlighted');
    await page.context().close();
    await expectNoLeaks(run.id);
  }, 400_000);

  // Linearizable reads should be valid; on this host the checker has also found stale reads with
  // them, so the page is held to results.json's verdict, whichever it is.
  it('linearizable reads: the verdict of results.json, every chart drawn', async () => {
    const run = await registerRun('linearizable', 6);
    const { page, errors, blocked } = await openReport(browser, join(run.dir, 'report.html'));
    expect(errors).toEqual([]);
    expect(blocked).toEqual([]);
    const valid = run.results.valid;
    expect(await page.textContent('#overall-verdict')).toContain(valid === true ? 'VALID' : valid === false ? 'INVALID' : 'UNKNOWN');
    expect(await page.locator('#violations').count()).toBe(valid === false ? 1 : 0);
    for (const chart of ['#latency-chart', '#quantile-chart', '#throughput-chart']) expect(await countPixels(page, `${chart} canvas`), chart).toBeGreaterThan(1_000);
    expect(await countPixels(page, '#lanes')).toBeGreaterThan(2_000);
    await screenshot(page, 'etcd-register-linearizable');
    await page.context().close();
    await expectNoLeaks(run.id);
  }, 400_000);
});
