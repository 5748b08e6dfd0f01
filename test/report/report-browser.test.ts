/**
 * report.html in a real browser (Debian chromium, headless, offline): built
 * from a realistic run directory, it must draw every chart and the lanes, shade
 * the faults, show the replay command, highlight a violation's operations when
 * clicked, and show the logs of a moment — with no console error and no
 * request leaving the file.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from '../../lib/report/index.js';
import { countPixels, launchBrowser, openReport, screenshot } from './browser.js';
import { writeSyntheticRun, type SyntheticRun } from './fixtures/synthetic-run.js';

const VIOLET_BAND: [number, number, number] = [237, 231, 253]; // rgba(124, 58, 237, 0.13) over white
const HIGHLIGHT: [number, number, number] = [219, 39, 119]; // #db2777

let browser: Browser;
let scratch: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'pakostii-report-'));
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('report.html of a run with a violation', () => {
  let run: SyntheticRun;
  let file: string;

  beforeAll(async () => {
    run = await writeSyntheticRun({ dir: join(scratch, 'etcd_register-violation'), operations: 5_000, violation: true });
    file = (await writeReport(run.dir)).path;
  });

  it('is one self-contained file: no external script, style or request', async () => {
    const html = readFileSync(file, 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+stylesheet/i);
    // The only URL is uPlot's licence comment.
    expect(html.match(/https?:\/\/[^\s"'<>)]+/g) ?? []).toEqual(['https://github.com/leeoniya/uPlot']);
    const { page, errors, blocked } = await openReport(browser, file);
    expect(errors).toEqual([]);
    expect(blocked).toEqual([]);
    await page.context().close();
  });

  it('draws every chart and the lanes, shades the faults, shows the replay command', async () => {
    const { page, errors } = await openReport(browser, file);
    expect(await page.evaluate(() => window.pakostiiReport!.error)).toBeNull();
    expect(await page.evaluate(() => window.pakostiiReport!.operations())).toBe(5_002); // 5,000 + 2 nemesis ops
    for (const chart of ['#latency-chart', '#quantile-chart', '#throughput-chart']) {
      expect(await countPixels(page, `${chart} canvas`), chart).toBeGreaterThan(2_000);
    }
    expect(await countPixels(page, '#lanes')).toBeGreaterThan(5_000);
    expect(await countPixels(page, '#fault-strip')).toBeGreaterThan(500);

    // Fault shading: inside the partition period the latency chart has band-coloured pixels; at 1 s, before any fault, none.
    const x = (t: number) => page.evaluate((t) => window.pakostiiReport!.timeToPx(t), t);
    const inside = await x((run.partition.from + run.partition.to) / 2);
    const before = await x(1);
    const column = (px: number) => countPixels(page, '#latency-chart canvas', { color: VIOLET_BAND, tolerance: 6, rect: { x: px - 2, y: 0, w: 4, h: 240 } });
    expect(await column(inside)).toBeGreaterThan(50);
    expect(await column(before)).toBe(0);
    expect(await countPixels(page, '#lanes', { color: VIOLET_BAND, tolerance: 6, rect: { x: inside - 2, y: 0, w: 4, h: 400 } })).toBeGreaterThan(20);
    expect(await page.evaluate(() => window.pakostiiReport!.periods().map((p) => `${p.name} ${p.kind}`))).toEqual(['n1 isolated isolateNode', 'n2/etcd kill']);

    expect(await page.textContent('#replay-command')).toBe(run.replay);
    expect(await page.textContent('#overall-verdict')).toContain('INVALID');
    expect(await page.textContent('.verdict[data-checker="timeline"]')).toContain('VALID');
    await screenshot(page, 'violation-overview');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('clicking the violation highlights its operations in the lanes and zooms there', async () => {
    const { page, errors } = await openReport(browser, file);
    const highlightPixels = () => countPixels(page, '#lanes', { color: HIGHLIGHT, tolerance: 10 });
    expect(await highlightPixels()).toBe(0);
    await page.click('button.show-violation');
    await page.waitForFunction(() => window.pakostiiReport!.highlighted().length > 0);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
    expect(await page.evaluate(() => window.pakostiiReport!.highlighted())).toEqual(run.violationOps);
    expect(await highlightPixels()).toBeGreaterThan(20);
    const [a, b] = await page.evaluate(() => window.pakostiiReport!.view());
    expect(b - a).toBeLessThan(run.duration / 2); // zoomed in …
    const times = run.violationOps.map((op) => opTime(run.dir, op));
    for (const t of times) {
      // … on the operations
      expect(t).toBeGreaterThanOrEqual(a);
      expect(t).toBeLessThanOrEqual(b);
    }
    // Every chart follows the shared zoom.
    const chartRanges = await page.evaluate(() =>
      [...document.querySelectorAll('.chart .u-wrap')].map(() => window.pakostiiReport!.view()),
    );
    expect(chartRanges.length).toBe(3);
    expect(await page.textContent('.violation .summary')).toContain('stale read');
    expect(await page.textContent('table.linearization')).toContain('value = 3');
    await screenshot(page, 'violation-highlighted');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('shows the log lines of every node within ±1 s of a clicked moment', async () => {
    const { page, errors } = await openReport(browser, file);
    const t = run.partition.from + 0.5;
    await page.evaluate((t) => window.pakostiiReport!.selectMoment(t), t);
    const text = await page.textContent('#log-window');
    expect(text).toContain('n1/etcd stderr');
    expect(text).toContain('rafthttp: health check');
    expect(text).toContain('n2/etcd stderr');
    const offsets = await page.$$eval('#log-window table.log-lines tr td:first-child', (cells) => cells.map((c) => Number.parseInt(c.textContent!, 10)));
    expect(offsets.length).toBeGreaterThan(5);
    for (const ms of offsets) expect(Math.abs(ms)).toBeLessThanOrEqual(1000);
    // A click on the lanes selects a moment too.
    const box = (await page.locator('#lanes').boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + 5);
    expect(await page.evaluate(() => window.pakostiiReport!.moment())).not.toBeNull();
    expect(errors).toEqual([]);
    await page.context().close();
  });
});

describe('report.html of a run without a history', () => {
  it('is the smaller page: fault timeline, fault table and logs', async () => {
    const run = await writeSyntheticRun({ dir: join(scratch, 'faults_only-abcde'), operations: 0, withoutHistory: true });
    const written = await writeReport(run.dir);
    expect(written.hasHistory).toBe(false);
    const { page, errors } = await openReport(browser, written.path);
    expect(await page.locator('#latency-chart').count()).toBe(0);
    expect(await page.locator('#lanes').count()).toBe(0);
    expect(await countPixels(page, '#fault-strip')).toBeGreaterThan(500);
    expect(await page.locator('table.faults tbody tr').count()).toBe(4);
    await page.click('table.faults a.time-link >> nth=0');
    expect(await page.textContent('#log-window')).toContain('rafthttp: health check');
    await screenshot(page, 'no-history');
    expect(errors).toEqual([]);
    await page.context().close();
  });
});

function opTime(dir: string, index: number): number {
  for (const line of readFileSync(join(dir, 'history.jsonl'), 'utf8').split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line) as { index: number; time: number };
    if (e.index === index) return e.time / 1e9;
  }
  throw new Error(`no op ${index}`);
}
