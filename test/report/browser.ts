/**
 * Debian's chromium, headless, driven by playwright-core — no browser download,
 * and no network: the context is offline and every request that is not a
 * file: URL is aborted (and counted), so a report that needs the network fails.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
/** Screenshots of the report tests (test artifacts; not committed). */
export const SCREENSHOT_DIR = join(import.meta.dirname, '..', '..', 'test-results', 'report');

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

export interface OpenedReport {
  page: Page;
  /** Console errors and uncaught page errors. */
  errors: string[];
  /** URLs the page tried to fetch that were not files. */
  blocked: string[];
  /** ms from navigation start to the report's first full paint. */
  paintMs: number;
  /**
   * CPU time of the page's main thread from before navigation to the first full paint
   * (Chromium's ThreadTime metric): what the paint costs regardless of how busy the machine is.
   */
  mainThreadCpuMs: number;
}

export async function openReport(browser: Browser, file: string, viewport = { width: 1400, height: 900 }): Promise<OpenedReport> {
  const context = await browser.newContext({ offline: true, viewport });
  const page = await context.newPage();
  const errors: string[] = [];
  const blocked: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    blocked.push(url);
    return route.abort();
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  const threadTime = async () => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'ThreadTime')?.value ?? Number.NaN;
  const cpuBefore = await threadTime();
  await page.goto(`file://${file}`);
  await page.waitForFunction(() => window.pakostiiReport?.ready === true || window.pakostiiReport?.error, null, { timeout: 300_000, polling: 50 });
  const cpuAfter = await threadTime();
  const paintMs = await page.evaluate(() => window.pakostiiReport!.paintMs ?? Number.NaN);
  return { page, errors, blocked, paintMs, mainThreadCpuMs: (cpuAfter - cpuBefore) * 1000 };
}

export async function screenshot(page: Page, name: string, path = join(SCREENSHOT_DIR, `${name}.png`)): Promise<string> {
  mkdirSync(join(path, '..'), { recursive: true });
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Pixels of a canvas (over white) that are not (near) white, optionally only those close to an RGB colour, within a rectangle (CSS px). */
export function countPixels(page: Page, selector: string, opts: { color?: [number, number, number]; tolerance?: number; rect?: { x: number; y: number; w: number; h: number } } = {}): Promise<number> {
  return page.evaluate(
    ({ selector, opts }) => {
      const canvas = document.querySelector(selector) as HTMLCanvasElement | null;
      if (!canvas) return -1;
      const scale = canvas.width / canvas.getBoundingClientRect().width;
      const r = opts.rect ?? { x: 0, y: 0, w: canvas.width / scale, h: canvas.height / scale };
      const x = Math.max(0, Math.floor(r.x * scale));
      const y = Math.max(0, Math.floor(r.y * scale));
      const w = Math.max(1, Math.min(canvas.width - x, Math.floor(r.w * scale)));
      const h = Math.max(1, Math.min(canvas.height - y, Math.floor(r.h * scale)));
      const data = canvas.getContext('2d')!.getImageData(x, y, w, h).data;
      const tol = opts.tolerance ?? 24;
      let n = 0;
      for (let i = 0; i < data.length; i += 4) {
        // Composited over the page's white (uPlot's canvases are transparent).
        const a = data[i + 3]! / 255;
        if (a === 0) continue;
        const [R, G, B] = [0, 1, 2].map((k) => data[i + k]! * a + 255 * (1 - a)) as [number, number, number];
        if (opts.color) {
          if (Math.abs(R - opts.color[0]) <= tol && Math.abs(G - opts.color[1]) <= tol && Math.abs(B - opts.color[2]) <= tol) n++;
        } else if (R < 235 || G < 235 || B < 235) n++;
      }
      return n;
    },
    { selector, opts },
  );
}

/** What the page exposes for tests (lib/report/client/main.js). */
interface ReportApi {
  ready: boolean;
  error: string | null;
  paintMs: number | null;
  marks: Record<string, number>;
  drawMs: Record<string, number>;
  view(): [number, number];
  moment(): number | null;
  highlighted(): number[];
  operations(): number;
  timeToPx(t: number): number;
  periods(): Array<{ name: string; kind: string; from: number; to: number | null; process: boolean }>;
  laneRowHeight(): number;
  setView(a: number, b: number): void;
  selectMoment(t: number): void;
}

declare global {
  interface Window {
    pakostiiReport?: ReportApi;
  }
}
