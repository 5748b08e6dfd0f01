/**
 * The `pakostii` command (bundled to dist/cli.js; in a checkout: npx tsx lib/cli/main.ts).
 *
 *   pakostii doctor [--json]              can this machine run pakostii tests?
 *   pakostii cleanup [--dry-run]          remove leftovers of dead runs
 *   pakostii images import <archive>      import an image tarball into containerd
 *   pakostii images pull <ref>            pull an image into containerd
 *   pakostii history export FILE          convert a history (to Jepsen EDN by default)
 *   pakostii check --model M FILE...      check histories for linearizability
 *   pakostii report <artifacts-dir>       (re)build a run's report.html
 */
import { createRequire } from 'node:module';
import { Command } from 'commander';
import { checkCommand } from './check.js';
import { cleanupCommand } from './cleanup.js';
import { doctorCommand } from './doctor/command.js';
import { historyCommand } from './history.js';
import { imagesCommand } from './images.js';
import { reportCommand } from './report.js';
import { describeError } from './options.js';

function packageVersion(): string {
  // lib/cli/main.ts in a checkout, dist/cli.js when installed: package.json is found walking up either way.
  const require = createRequire(import.meta.url);
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      const pkg = require(candidate) as { name?: string; version?: string };
      if (pkg.name === 'pakostii' && pkg.version) return pkg.version;
    } catch {
      // try the next level
    }
  }
  return 'unknown';
}

const program = new Command('pakostii')
  .description('fault-injection tests of distributed systems on one Linux host')
  .version(packageVersion())
  .showHelpAfterError()
  .addCommand(doctorCommand())
  .addCommand(cleanupCommand())
  .addCommand(imagesCommand())
  .addCommand(historyCommand())
  .addCommand(checkCommand())
  .addCommand(reportCommand());

program.parseAsync(process.argv).then(
  () => {
    // Let pending handles (gRPC channels are closed by the commands) drain; exit status already set.
  },
  (error: unknown) => {
    process.stderr.write(`pakostii ${process.argv[2] ?? ''}: ${describeError(error)}\n`);
    process.exitCode = 1;
  },
);
