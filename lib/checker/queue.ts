/**
 * Jepsen's total-queue checker: every acknowledged `enqueue` is dequeued
 * exactly once (drain the queue at the end), nothing is dequeued that was
 * never enqueued. Order is not checked (use the linearizable queue model for that).
 */
import type { CheckResult, Checker, History } from '../history/types.js';
import { keyOf, operationsOf, sample } from './jepsen-common.js';

export interface QueueResult extends CheckResult {
  attempted: number;
  acknowledged: number;
  dequeued: number;
  lost: unknown[];
  duplicated: unknown[];
  unexpected: unknown[];
  recovered: unknown[];
}

export function checkQueue(history: History): QueueResult {
  const ops = operationsOf(history, ['enqueue', 'dequeue', 'drain']);
  const enqueued = new Map<string, { value: unknown; ok: boolean }>();
  for (const op of ops) if (op.f === 'enqueue' && op.outcome !== 'fail') enqueued.set(keyOf(op.value), { value: op.value, ok: op.outcome === 'ok' });
  const counts = new Map<string, { value: unknown; count: number }>();
  let dequeued = 0;
  for (const op of ops) {
    if (op.outcome !== 'ok') continue;
    const values = op.f === 'dequeue' ? (op.output === null ? [] : [op.output]) : op.f === 'drain' && Array.isArray(op.output) ? op.output : [];
    for (const value of values) {
      dequeued += 1;
      const entry = counts.get(keyOf(value)) ?? { value, count: 0 };
      entry.count += 1;
      counts.set(keyOf(value), entry);
    }
  }
  const lost = [...enqueued].filter(([k, e]) => e.ok && !counts.has(k)).map(([, e]) => e.value);
  const duplicated = [...counts.values()].filter((c) => c.count > 1).map((c) => c.value);
  const unexpected = [...counts].filter(([k]) => !enqueued.has(k)).map(([, c]) => c.value);
  const recovered = [...enqueued].filter(([k, e]) => !e.ok && counts.has(k)).map(([, e]) => e.value);
  const acknowledged = [...enqueued.values()].filter((e) => e.ok).length;
  const valid = lost.length === 0 && duplicated.length === 0 && unexpected.length === 0;
  const parts = [
    `${acknowledged} of ${enqueued.size} enqueues acknowledged, ${dequeued} dequeued`,
    lost.length > 0 ? `${lost.length} lost: ${sample(lost)}` : '',
    duplicated.length > 0 ? `${duplicated.length} duplicated: ${sample(duplicated)}` : '',
    unexpected.length > 0 ? `${unexpected.length} unexpected: ${sample(unexpected)}` : '',
    recovered.length > 0 ? `${recovered.length} recovered` : '',
  ].filter((p) => p !== '');
  return {
    valid,
    summary: `${valid ? 'queue ok' : 'queue violated'}: ${parts.join('; ')}`,
    attempted: enqueued.size,
    acknowledged,
    dequeued,
    lost,
    duplicated,
    unexpected,
    recovered,
  };
}

export function queueChecker(): Checker {
  return { name: 'queue', check: (history) => checkQueue(history) };
}
