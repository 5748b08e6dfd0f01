/**
 * A real run (real kernel, containerd, faults) ends with report.html written by
 * the runtime; without a workload it is the smaller page — fault timeline, fault
 * table, logs — and it renders in chromium with the faults drawn.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gen, nemesis, spec, Test, type Client } from '../../lib/index.js';
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

  it('of a workload run draws its history: charts, lanes, fault shading and the replay command', async () => {
    const { logger, lines } = captureLogger();
    const cluster = spec.newCluster();
    for (const node of ['w1', 'w2', 'w3']) cluster.addNode(spec.newNode(node).runs(webService(node)));
    const result = await new Test('report_workload', cluster, { logger }).run(async (t) => {
      const client: Client<string> = {
        open: (node) => node,
        invoke: async (node, _op, { signal }) => {
          const res = await t.http.get(`http://${node}:8080/index.html`, { signal, timeoutMs: 1000 });
          return res.status === 200 ? { type: 'ok', value: res.body.trim() } : { type: 'fail', error: `HTTP ${res.status}` };
        },
      };
      await t.workload({
        concurrency: 4,
        client,
        generator: gen.timeLimit(5000, gen.stagger(50, gen.repeat({ f: 'read' }))),
        nemesis: nemesis.compose(nemesis.partitions({ everyMs: 1500, jitterMs: 200, durationMs: 800 }), nemesis.kills({ everyMs: 2000, jitterMs: 200, durationMs: 600 })),
        recoveryMs: 200,
        opTimeoutMs: 1500,
        seed: 77,
      });
    });
    const file = join(result.artifactsDir, 'report.html');
    const summary = lines.find((l) => l.msg.startsWith('run summary'));
    expect(summary?.msg).toMatch(/report_workload \w+: \d+ operations, \d+ fault events in [\d.]+ s, seed 77/);
    expect(summary?.msg).toMatch(/read +ok \d+/);
    expect(summary).toMatchObject({ report: file });

    const { page, errors, blocked } = await openReport(browser, file);
    expect(errors).toEqual([]);
    expect(blocked).toEqual([]);
    const run = JSON.parse(readFileSync(join(result.artifactsDir, 'run.json'), 'utf8')) as { replay: string };
    expect(await page.textContent('#replay-command')).toBe(run.replay);
    expect(await page.textContent('#seed')).toBe('77');
    expect(await page.evaluate(() => window.pakostiiReport!.operations())).toBeGreaterThan(50);
    for (const chart of ['#latency-chart', '#quantile-chart', '#throughput-chart']) {
      expect(await countPixels(page, `${chart} canvas`), chart).toBeGreaterThan(1_000);
    }
    expect(await countPixels(page, '#lanes')).toBeGreaterThan(2_000);
    // The first partition is shaded in the latency chart and the lanes.
    const periods = await page.evaluate(() => window.pakostiiReport!.periods());
    const partition = periods.find((p) => !p.process)!;
    expect(partition, JSON.stringify(periods)).toBeDefined();
    const x = await page.evaluate((t) => window.pakostiiReport!.timeToPx(t), (partition.from + partition.to!) / 2);
    const band = { color: [237, 231, 253] as [number, number, number], tolerance: 6 };
    expect(await countPixels(page, '#latency-chart canvas', { ...band, rect: { x: x - 1, y: 0, w: 2, h: 240 } })).toBeGreaterThan(20);
    expect(await countPixels(page, '#lanes', { ...band, rect: { x: x - 1, y: 0, w: 2, h: 400 } })).toBeGreaterThan(5);
    // Planned times come from the nemesis's history.
    const planned = await page.$$eval('table.faults tbody tr td:nth-child(2)', (cells) => cells.filter((c) => c.textContent !== '').length);
    expect(planned).toBeGreaterThan(0);
    await screenshot(page, 'real-run-workload');
    await page.context().close();
    await expectNoLeaks(result.id);
  }, 180_000);
});
