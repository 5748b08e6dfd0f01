/**
 * The published bundle (npm run build → dist/):
 *   dist/index.js + index.d.ts     ESM library   (import { spec, Test } from 'pakostii')
 *   dist/index.cjs + index.d.cts   CJS library   (require('pakostii'))
 *   dist/cli.js                    the `pakostii` command, with its shebang
 *   dist/report-client/            the run report's browser script and styles (inlined into report.html)
 *
 * Dependencies stay external (npm installs them next to us). The native addon is
 * never bundled: lib/native locates it at runtime with node-gyp-build from the
 * package root (prebuilds/ first, then build/Release), which is one level above
 * dist/ exactly as it is one level above lib/ in the repo.
 */
import { cpSync } from 'node:fs';
import { defineConfig } from 'tsup';

const shared = {
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  // import.meta.url in the CJS build and __dirname/require in the ESM build:
  // the addon and proto loaders use them to find the package root.
  shims: true,
  splitting: false,
  treeshake: true,
  // The run report's browser script and styles are read at run time (lib/report/assets.ts).
  onSuccess: async () => cpSync('lib/report/client', 'dist/report-client', { recursive: true }),
} as const;

export default defineConfig([
  {
    ...shared,
    entry: { index: 'lib/index.ts' },
    format: ['esm', 'cjs'],
    // Emits index.d.ts for the ESM build and index.d.cts for the CJS build.
    dts: true,
    // The two builds run concurrently: each cleans only its own files.
    clean: ['index.*'],
  },
  {
    // Worker thread of the linearizability checker, loaded by URL next to index.js / cli.js.
    ...shared,
    entry: { 'partition-worker': 'lib/checker/partition-worker.ts' },
    format: ['esm'],
    dts: false,
    clean: ['partition-worker.*'],
  },
  {
    ...shared,
    entry: { cli: 'lib/cli/main.ts' },
    format: ['esm'],
    dts: false,
    clean: ['cli.*'],
    banner: { js: '#!/usr/bin/env node' },
  },
]);
