/**
 * `pakostii history export --format edn|jsonl [--from jsonl|edn|jepsen-log] FILE`:
 * converts a history file (ours by default) and prints it on stdout. A malformed
 * history exits 2 with the line named.
 */
import { Command, Option } from 'commander';
import { toEdn } from '../history/edn.js';
import { HistoryFormatError } from '../history/errors.js';
import { toJsonl } from '../history/jsonl.js';
import { HISTORY_FORMATS, readHistoryFile, type HistoryFormat } from '../history/read.js';
import { describeError } from './options.js';

const EXPORT_FORMATS = ['edn', 'jsonl'] as const;

export function historyCommand(): Command {
  const history = new Command('history').description('read, validate and convert operation histories');
  history
    .command('export')
    .description("print a history in another format (edn: Jepsen's history.edn)")
    .argument('<file>', 'the history file')
    .addOption(new Option('--format <format>', 'output format').choices([...EXPORT_FORMATS]).default('edn'))
    .addOption(new Option('--from <format>', 'input format').choices([...HISTORY_FORMATS]).default('jsonl'))
    .action(async (file: string, options: { format: (typeof EXPORT_FORMATS)[number]; from: HistoryFormat }) => {
      try {
        const parsed = await readHistoryFile(file, options.from);
        process.stdout.write(options.format === 'edn' ? toEdn(parsed.history) : toJsonl(parsed.history));
        process.exitCode = 0;
      } catch (error) {
        if (!(error instanceof HistoryFormatError)) throw error;
        process.stderr.write(`pakostii history export: ${describeError(error)}\n`);
        process.exitCode = 2;
      }
    });
  return history;
}
