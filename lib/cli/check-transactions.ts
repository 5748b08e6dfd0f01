/** `pakostii check --model list-append|rw-register`: the transactional checkers' verdict on one history file. */
import { checkListAppend, checkRwRegister, describeAnomaly, MODELS, type TxnCheckResult } from '../checker/elle/index.js';
import type { History } from '../history/types.js';

export const TXN_MODELS = ['list-append', 'rw-register'] as const;
export type TxnModel = (typeof TXN_MODELS)[number];

export function isTxnModel(model: string): model is TxnModel {
  return (TXN_MODELS as readonly string[]).includes(model);
}

export interface TxnFileOptions {
  consistencyModels?: string[];
  timeoutMs?: number;
  /** rw-register: each process observes a key's versions in order. */
  sequentialKeys?: boolean;
  /** rw-register: a key's versions follow real time. */
  linearizableKeys?: boolean;
}

export function parseConsistencyModels(text: string): string[] {
  const models = text.split(',').map((m) => m.trim()).filter((m) => m !== '');
  const unknown = models.filter((m) => !MODELS.includes(m));
  if (unknown.length > 0 || models.length === 0) throw new Error(`--consistency-models ${text}: expected a comma-separated list of ${MODELS.join(', ')}`);
  return models;
}

export function checkTxnFile(model: TxnModel, history: History, options: TxnFileOptions): { result: TxnCheckResult & { ambiguousKeys?: string[] }; ms: number } {
  const started = performance.now();
  const common = options.consistencyModels === undefined ? {} : { consistencyModels: options.consistencyModels };
  const context = options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
  const result =
    model === 'list-append'
      ? checkListAppend(history, common, context)
      : checkRwRegister(history, { ...common, sequentialKeys: options.sequentialKeys === true, linearizableKeys: options.linearizableKeys === true }, context);
  return { result, ms: Math.round(performance.now() - started) };
}

export function txnText(file: string, result: TxnCheckResult, ms: number): string {
  const verdict = result.valid === true ? 'valid' : result.valid === false ? 'INVALID' : 'unknown';
  const lines = [`${file}: ${verdict} (${result.stats.ok} committed of ${result.stats.transactions} transactions, ${ms} ms)`, `  ${result.summary}`];
  for (const type of result.anomalyTypes) {
    lines.push(`  ${type} ×${result.counts[type]}: ${describeAnomaly(type)}`);
    const example = result.anomalies[type]?.[0];
    if (example?.steps) for (const step of example.steps) lines.push(`    ${step}`);
    else if (example) lines.push(`    ${example.explanation}`);
  }
  return `${lines.join('\n')}\n`;
}

export function txnJson(model: TxnModel, file: string, result: TxnCheckResult & { ambiguousKeys?: string[] }, ms: number): Record<string, unknown> {
  return {
    file,
    valid: result.valid,
    ms,
    summary: result.summary,
    model,
    anomalyTypes: result.anomalyTypes,
    counts: result.counts,
    not: result.not,
    anomalies: result.anomalies,
    ops: result.ops,
    stats: result.stats,
    ...(result.ambiguousKeys ? { ambiguousKeys: result.ambiguousKeys } : {}),
  };
}
