/** `pakostii check --model list-append`: the transactional checker's verdict on one history file. */
import { checkListAppend, describeAnomaly, MODELS, type ListAppendResult } from '../checker/elle/index.js';
import type { History } from '../history/types.js';

export const LIST_APPEND_MODEL = 'list-append';

export function parseConsistencyModels(text: string): string[] {
  const models = text.split(',').map((m) => m.trim()).filter((m) => m !== '');
  const unknown = models.filter((m) => !MODELS.includes(m));
  if (unknown.length > 0 || models.length === 0) throw new Error(`--consistency-models ${text}: expected a comma-separated list of ${MODELS.join(', ')}`);
  return models;
}

export function checkListAppendFile(history: History, options: { consistencyModels?: string[]; timeoutMs?: number }): { result: ListAppendResult; ms: number } {
  const started = performance.now();
  const result = checkListAppend(
    history,
    options.consistencyModels === undefined ? {} : { consistencyModels: options.consistencyModels },
    options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs },
  );
  return { result, ms: Math.round(performance.now() - started) };
}

export function listAppendText(file: string, result: ListAppendResult, ms: number): string {
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

export function listAppendJson(file: string, result: ListAppendResult, ms: number): Record<string, unknown> {
  return {
    file,
    valid: result.valid,
    ms,
    summary: result.summary,
    model: LIST_APPEND_MODEL,
    anomalyTypes: result.anomalyTypes,
    counts: result.counts,
    not: result.not,
    anomalies: result.anomalies,
    ops: result.ops,
    stats: result.stats,
  };
}
