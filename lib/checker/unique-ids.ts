/** Jepsen's unique-ids checker: every acknowledged `generate` returned an id no other one did. */
import type { CheckResult, Checker, History } from '../history/types.js';
import { keyOf, operationsOf, sample } from './jepsen-common.js';

export interface UniqueIdsResult extends CheckResult {
  attempted: number;
  acknowledged: number;
  /** Ids returned more than once, with how often. */
  duplicated: Array<{ id: unknown; count: number }>;
  ops?: number[];
}

export function checkUniqueIds(history: History, options: { f?: string } = {}): UniqueIdsResult {
  const ops = operationsOf(history, [options.f ?? 'generate']);
  const seen = new Map<string, { id: unknown; ops: number[] }>();
  let acknowledged = 0;
  for (const op of ops) {
    if (op.outcome !== 'ok') continue;
    acknowledged += 1;
    const entry = seen.get(keyOf(op.output)) ?? { id: op.output, ops: [] };
    entry.ops.push(op.invoke);
    seen.set(keyOf(op.output), entry);
  }
  const dups = [...seen.values()].filter((e) => e.ops.length > 1);
  const duplicated = dups.map((e) => ({ id: e.id, count: e.ops.length }));
  const valid = duplicated.length === 0;
  return {
    valid,
    summary: valid
      ? `unique ids ok: ${acknowledged} of ${ops.length} generated ids acknowledged, all distinct`
      : `unique ids violated: ${duplicated.length} ids returned more than once: ${sample(duplicated.map((d) => d.id))}`,
    attempted: ops.length,
    acknowledged,
    duplicated,
    ...(valid ? {} : { ops: dups.flatMap((e) => e.ops).slice(0, 50) }),
  };
}

export function uniqueIdsChecker(options: { f?: string } = {}): Checker {
  return { name: 'unique-ids', check: (history) => checkUniqueIds(history, options) };
}
