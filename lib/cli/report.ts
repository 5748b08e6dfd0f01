/** `pakostii report <artifacts-dir>`: (re)build a run's report.html from its files alone. */
import { lstatSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { PakostiiError } from '../errors.js';
import { writeReport } from '../report/index.js';

export function reportCommand(): Command {
  return new Command('report')
    .description("build report.html in a run's artifacts directory (e.g. .pakostii/<test>-<id>) from the files there")
    .argument('<artifacts-dir>', 'the run directory holding faults.jsonl, logs/ and, with a workload, history.jsonl')
    .action(async (dirArg: string) => {
      const dir = resolve(dirArg);
      let isDir = false;
      try {
        isDir = lstatSync(dir).isDirectory();
      } catch {
        // reported below
      }
      if (!isDir) {
        throw new PakostiiError(`${dirArg} is not a directory`, { hint: "pass a run's artifacts directory, e.g. .pakostii/<test>-<id>" });
      }
      const written = await writeReport(dir);
      process.stdout.write(`${written.summary.join('\n')}\n`);
    });
}
