/**
 * A real run (real kernel, containerd, faults) ends with report.html written by
 * the runtime; without a workload it is the smaller page — fault timeline, fault
 * table, logs — and it renders in chromium with the faults drawn.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spec, Test } from '../../lib/index.js';
import { captureLogger, webService } from '../e2e/support.js';
import { expectNoLeaks } from '../helpers/leak-audit.js';
import { countPixels, launchBrowser, openReport, screenshot } from './browser.js';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe('the report at the end of a real run', () => {
  it('is written by the runtime and shows the run’s faults and logs', async () => {
    const { logger, lines } = captureLogger();
    const cluster = spec.newCluster();
    for (const [node, az] of [['w1', 'az1'], ['w2', 'az2'], ['w3', 'az2']] as const) cluster.addNode(spec.newNode(node).withAZ(az).runs(webService(node)));
    const result = await new Test('report_faults', cluster, { logger }).run(async (t) => {
      const split = t.network.partition.isolateAZ('az1 split', 'az1').withNetworkAccess();
      await split.apply();
      await new Promise((r) => setTimeout(r, 1_500));
      await split.heal();
      await t.containers.pause('w2', 'web');
      await new Promise((r) => setTimeout(r, 500));
      await t.containers.resume('w2', 'web');
      await t.containers.kill('w3', 'web');
      await new Promise((r) => setTimeout(r, 300));
    });
    const file = join(result.artifactsDir, 'report.html');
    expect(lines.find((l) => l.msg === 'report written')).toMatchObject({ report: file });
    expect(readFileSync(file, 'utf8')).toContain('report_faults');

    const { page, errors, blocked } = await openReport(browser, file);
    expect(errors).toEqual([]);
    expect(blocked).toEqual([]);
    const periods = await page.evaluate(() => window.pakostiiReport!.periods().map((p) => `${p.name} ${p.kind} ${p.to === null ? 'open' : 'closed'}`));
    expect(periods).toEqual(['az1 split isolateAZ closed', 'w2/web pause closed', 'w3/web kill open']);
    expect(await countPixels(page, '#fault-strip')).toBeGreaterThan(500);
    // The split's bar is drawn where the split was.
    const p = await page.evaluate(() => window.pakostiiReport!.periods()[0]!);
    const x = await page.evaluate((t) => window.pakostiiReport!.timeToPx(t), (p.from + p.to!) / 2);
    expect(await countPixels(page, '#fault-strip', { color: [124, 58, 237], tolerance: 40, rect: { x: x - 2, y: 0, w: 4, h: 20 } })).toBeGreaterThan(10);
    const faultRows = await page.$$eval('table.faults tbody tr td:nth-child(4)', (cells) => cells.map((c) => c.textContent));
    expect(faultRows).toEqual(['apply', 'heal', 'process', 'process', 'process']);
    for (const node of ['w1', 'w2', 'w3']) expect(await page.locator(`a[href="logs/${node}/web/stderr"]`).count()).toBe(1);
    await screenshot(page, 'real-run-no-history');
    await page.context().close();
    await expectNoLeaks(result.id);
  }, 180_000);
});
