/**
 * The transactional checkers' anomalies in report.html, in a real browser:
 * each anomaly's cycle drawn as a small graph (one node per transaction, one
 * labelled arrow per dependency), and its transactions highlighted in the
 * lanes from the button or from a node of the graph.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkListAppend } from '../../lib/checker/elle/index.js';
import { toJsonl } from '../../lib/history/jsonl.js';
import { writeReport } from '../../lib/report/index.js';
import { TxnHistory } from '../helpers/txn-history.js';
import { countPixels, launchBrowser, openReport, screenshot } from './browser.js';

const HIGHLIGHT: [number, number, number] = [219, 39, 119]; // #db2777

let browser: Browser;
let scratch: string;
let file: string;
let skewOps: number[];
let singleOps: number[];

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'pakostii-report-anomalies-'));
  browser = await launchBrowser();
  const h = new TxnHistory();
  for (let i = 0; i < 20; i++) h.txn(5 + (i % 3), [['append', 'z', i + 1]]);
  // Write skew (G2-item), then read skew (G-single), between more ordinary transactions.
  h.concurrent([0, [['r', 'x', []], ['r', 'y', []], ['append', 'x', 1]]], [1, [['r', 'x', []], ['r', 'y', []], ['append', 'y', 1]]]).txn(2, [['r', 'x', [1]], ['r', 'y', [1]]]);
  for (let i = 20; i < 40; i++) h.txn(5 + (i % 3), [['append', 'z', i + 1]]);
  h.concurrent([3, [['r', 'a', []], ['r', 'b', [1]]]], [4, [['append', 'a', 1], ['append', 'b', 1]]]).txn(2, [['r', 'a', [1]]]);
  const result = checkListAppend(h.events);
  expect(result.anomalyTypes).toEqual(['G-single', 'G2-item']);
  skewOps = result.anomalies['G2-item']![0]!.ops;
  singleOps = result.anomalies['G-single']![0]!.ops;
  const dir = join(scratch, 'postgres_list_append-anoms');
  mkdirSync(dir);
  const end = (h.events.length + 1) * 1_000_000;
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ test: 'postgres_list_append', runId: 'anoms', seed: 7, startedMono: '1000000000', startedWall: '2026-12-01T10:00:00.000Z', endedMono: String(1_000_000_000 + end) }));
  writeFileSync(join(dir, 'history.jsonl'), toJsonl(h.events));
  writeFileSync(join(dir, 'results.json'), JSON.stringify({ valid: false, checkers: { 'list-append': result } }));
  file = (await writeReport(dir)).path;
});

afterAll(async () => {
  await browser?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('report.html of a list-append run with anomalies', () => {
  it('draws each anomaly cycle as a graph: a node per transaction, a labelled arrow per dependency', async () => {
    // Still one self-contained file: the graphs add no URL (the only one is uPlot's licence comment).
    expect(readFileSync(file, 'utf8').match(/https?:\/\/[^\s"'<>)]+/g) ?? []).toEqual(['https://github.com/leeoniya/uPlot']);
    const { page, errors } = await openReport(browser, file);
    const skew = page.locator('.anomaly[data-type="G2-item"]');
    expect(await skew.locator('svg g.txn text').allTextContents()).toEqual(skewOps.map((op) => `T${op}`));
    expect(await skew.locator('svg path.dep.rw').count()).toBe(2);
    expect(await skew.locator('svg text.dep-label').allTextContents()).toEqual(['rw', 'rw']);
    const single = page.locator('.anomaly[data-type="G-single"]');
    expect(await single.locator('svg g.txn').count()).toBe(singleOps.length);
    expect((await single.locator('svg text.dep-label').allTextContents()).sort()).toEqual(['rw', 'wr']);
    expect(await single.locator('.explanation').textContent()).toMatch(/read skew/);
    // Drawn, not just present: the graph's box has coloured pixels of the rw arrows.
    const box = (await skew.locator('svg').boundingBox())!;
    expect(box.width).toBeGreaterThan(100);
    expect(await skew.locator('svg path.dep.rw').first().getAttribute('stroke')).toBe('#dc2626');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('highlights an anomaly\'s transactions in the lanes from its button, and one from its node', async () => {
    const { page, errors } = await openReport(browser, file);
    const highlightPixels = () => countPixels(page, '#lanes', { color: HIGHLIGHT, tolerance: 10 });
    expect(await highlightPixels()).toBe(0);
    await page.click('.anomaly[data-type="G2-item"] button.show-ops');
    await page.waitForFunction(() => window.pakostiiReport!.highlighted().length > 0);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
    expect((await page.evaluate(() => window.pakostiiReport!.highlighted())).sort((a, b) => a - b)).toEqual([...skewOps].sort((a, b) => a - b));
    expect(await highlightPixels()).toBeGreaterThan(20);
    await screenshot(page, 'anomaly-highlighted');
    await page.click(`.anomaly[data-type="G-single"] g.txn[data-op="${singleOps[0]}"]`);
    await page.waitForFunction((op) => JSON.stringify(window.pakostiiReport!.highlighted()) === JSON.stringify([op]), singleOps[0]);
    await page.locator('#violations').scrollIntoViewIfNeeded();
    await screenshot(page, 'anomaly-graphs');
    expect(errors).toEqual([]);
    await page.context().close();
  });
});

describe('report.html of a list-append run whose anomalies the claimed model allows', () => {
  it('shows them with their graphs, outside the violations', async () => {
    const h = new TxnHistory().concurrent([0, [['r', 'x', []], ['r', 'y', []], ['append', 'x', 1]]], [1, [['r', 'x', []], ['r', 'y', []], ['append', 'y', 1]]]).txn(2, [['r', 'x', [1]], ['r', 'y', [1]]]);
    const result = checkListAppend(h.events, { consistencyModels: ['snapshot-isolation'] });
    expect(result.valid).toBe(true);
    const dir = join(scratch, 'postgres_list_append-allowed');
    mkdirSync(dir);
    writeFileSync(join(dir, 'run.json'), JSON.stringify({ test: 'postgres_list_append', runId: 'allowed', startedMono: '0', endedMono: '20000000' }));
    writeFileSync(join(dir, 'history.jsonl'), toJsonl(h.events));
    writeFileSync(join(dir, 'results.json'), JSON.stringify({ valid: true, checkers: { 'list-append': result } }));
    const { page, errors } = await openReport(browser, (await writeReport(dir)).path);
    expect(await page.locator('#violations').count()).toBe(0);
    expect(await page.locator('#allowed-anomalies .anomaly[data-type="G2-item"] svg path.dep.rw').count()).toBe(2);
    await page.click('#allowed-anomalies button.show-ops');
    await page.waitForFunction(() => window.pakostiiReport!.highlighted().length === 2);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
