/**
 * `pakostii check --model M --format F [--json] [--timeout-ms N] FILE...`:
 * checks history files for linearizability (or, with `--model list-append`
 * or `--model rw-register`, transactional isolation). Exit status: 0 when every file is
 * linearizable, 1 when any is not, otherwise 2 when any is unknown or could
 * not be read (a definite violation outranks an undecided file).
 */
import { Command, Option } from 'commander';
import { checkLinearizable, type LinearizabilityResult } from '../checker/linearizable.js';
import { BUILTIN_MODELS, type BuiltinModelName } from '../checker/models.js';
import { HistoryFormatError } from '../history/errors.js';
import { HISTORY_FORMATS, readHistoryFile, type HistoryFormat } from '../history/read.js';
import { checkTxnFile, isTxnModel, parseConsistencyModels, TXN_MODELS, type TxnModel, txnJson, txnText } from './check-transactions.js';
import { describeError } from './options.js';

interface CheckOptions {
  model: BuiltinModelName | TxnModel;
  consistencyModels?: string[];
  sequentialKeys?: boolean;
  linearizableKeys?: boolean;
  format: HistoryFormat;
  json?: boolean;
  timeoutMs?: number;
}

/** What `--json` prints for one file. */
export interface CheckFileJson {
  file: string;
  valid: true | false | 'unknown';
  ops?: number;
  ms?: number;
  summary: string;
  model?: string;
  error?: string;
  partition?: string;
  counterexample?: { ops?: number[]; linearization?: LinearizabilityResult['linearization'] };
  partitions?: LinearizabilityResult['partitions'];
}

function parseTimeout(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--timeout-ms ${text}: expected a positive integer (milliseconds)`);
  return value;
}

function toJson(file: string, result: LinearizabilityResult): CheckFileJson {
  const json: CheckFileJson = { file, valid: result.valid, ops: result.operationCount, ms: result.ms, summary: result.summary, model: result.model };
  if (result.partition !== undefined) json.partition = result.partition;
  if (result.valid === false) {
    json.counterexample = {};
    if (result.ops !== undefined) json.counterexample.ops = result.ops;
    if (result.linearization !== undefined) json.counterexample.linearization = result.linearization;
  }
  json.partitions = result.partitions;
  return json;
}

function toText(file: string, result: LinearizabilityResult): string {
  const verdict = result.valid === true ? 'linearizable' : result.valid === false ? 'NOT linearizable' : 'unknown';
  const lines = [`${file}: ${verdict} (${result.operationCount} operations, ${result.ms} ms)`];
  if (result.valid !== true) lines.push(`  ${result.summary}`);
  if (result.valid === false && result.linearization !== undefined && result.linearization.length > 0) {
    const tail = result.linearization.slice(-5);
    lines.push(`  the longest linearizable prefix ends with${result.linearization.length > 5 ? ` (last 5 of ${result.linearization.length})` : ''}:`);
    for (const step of tail) lines.push(`    ${step.description}  ⇒ ${step.state}`);
  }
  return `${lines.join('\n')}\n`;
}

export function checkCommand(): Command {
  return new Command('check')
    .description('check operation histories for linearizability, or list-append / rw-register transactions for isolation anomalies')
    .argument('<files...>', 'history files')
    .addOption(new Option('--model <model>', 'the object the history is of').choices([...Object.keys(BUILTIN_MODELS), ...TXN_MODELS]).makeOptionMandatory())
    .option('--consistency-models <models>', 'list-append, rw-register: the models the system claims, comma-separated (default strict-serializable)', parseConsistencyModels)
    .option('--sequential-keys', 'rw-register: assume each process observes a key\'s versions in order')
    .option('--linearizable-keys', 'rw-register: assume a key\'s versions follow real time')
    .addOption(new Option('--format <format>', 'history format').choices([...HISTORY_FORMATS]).default('jsonl'))
    .option('--json', 'one JSON object per file on stdout')
    .option('--timeout-ms <ms>', 'time budget per file; past it the answer is unknown', parseTimeout)
    .action(async (files: string[], options: CheckOptions) => {
      let anyInvalid = false;
      let anyUndecided = false;
      for (const file of files) {
        try {
          const parsed = await readHistoryFile(file, options.format);
          if (isTxnModel(options.model)) {
            const { result, ms } = checkTxnFile(options.model, parsed.history, options);
            if (result.valid === false) anyInvalid = true;
            if (result.valid === 'unknown') anyUndecided = true;
            process.stdout.write(options.json ? `${JSON.stringify(txnJson(options.model, file, result, ms))}\n` : txnText(file, result, ms));
            continue;
          }
          const result = await checkLinearizable(parsed.history, {
            model: options.model,
            source: file,
            lineOf: (i) => parsed.lines[i] ?? i + 1,
            ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
          });
          if (result.valid === false) anyInvalid = true;
          if (result.valid === 'unknown') anyUndecided = true;
          process.stdout.write(options.json ? `${JSON.stringify(toJson(file, result))}\n` : toText(file, result));
        } catch (error) {
          if (!(error instanceof HistoryFormatError)) throw error;
          anyUndecided = true;
          const message = describeError(error);
          process.stderr.write(`pakostii check: ${message}\n`);
          if (options.json) {
            const json: CheckFileJson = { file, valid: 'unknown', summary: `unreadable: ${error.message}`, error: message };
            process.stdout.write(`${JSON.stringify(json)}\n`);
          }
        }
      }
      process.exitCode = anyInvalid ? 1 : anyUndecided ? 2 : 0;
    });
}
