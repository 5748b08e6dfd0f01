/**
 * The page's inlined assets: uPlot (from npm) and the report's own script and
 * styles (lib/report/client/, copied to dist/report-client/ by the build).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ReportAssets {
  uplotJs: string;
  uplotCss: string;
  clientJs: string;
  clientCss: string;
}

/** The client's files, in the order they are concatenated (main.js starts everything). */
const CLIENT_SCRIPTS = ['data.js', 'draw.js', 'charts.js', 'lanes.js', 'strip.js', 'panels.js', 'main.js'];

let cached: ReportAssets | undefined;

export function reportAssets(): ReportAssets {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const here = dirname(fileURLToPath(import.meta.url));
  // lib/report/client in a checkout; dist/report-client next to the bundle.
  const clientDir = [join(here, 'client'), join(here, 'report-client')].find((d) => existsSync(join(d, 'main.js')));
  if (!clientDir) throw new Error(`the report's client script is missing (looked in ${here}/client and ${here}/report-client): reinstall pakostii`);
  cached = {
    uplotJs: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    uplotCss: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
    // One scope for all the client's files; each is plain browser JavaScript.
    clientJs: `(function () {\n'use strict';\n${CLIENT_SCRIPTS.map((f) => readFileSync(join(clientDir, f), 'utf8')).join('\n')}\n})();`,
    clientCss: readFileSync(join(clientDir, 'report.css'), 'utf8'),
  };
  return cached;
}
