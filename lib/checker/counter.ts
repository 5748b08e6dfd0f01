/**
 * Jepsen's counter checker: a counter from 0 with `add n` and `read`. Each
 * read must lie within the bounds the adds allow: every add acknowledged
 * before the read began counts; adds in flight during the read (or with an
 * unknown outcome) may or may not.
 */
import type { CheckResult, Checker, History } from '../history/types.js';
import { operationsOf } from './jepsen-common.js';

export interface CounterError {
  /** History index of the read's invoke. */
  op: number;
  value: number;
  lower: number;
  upper: number;
}

export interface CounterResult extends CheckResult {
  reads: number;
  errors: CounterError[];
  ops?: number[];
}

export function checkCounter(history: History): CounterResult {
  const ops = operationsOf(history, ['add', 'read']);
  const adds = ops.filter((op) => op.f === 'add' && op.outcome !== 'fail' && typeof op.value === 'number');
  const reads = ops.filter((op) => op.f === 'read' && op.outcome === 'ok');
  const errors: CounterError[] = [];
  for (const read of reads) {
    let lower = 0;
    let upper = 0;
    for (const add of adds) {
      const n = add.value as number;
      const certain = add.outcome === 'ok' && add.complete! < read.invoke;
      const possible = add.invoke < read.complete!;
      if (certain) {
        lower += n;
        upper += n;
      } else if (possible) {
        if (n < 0) lower += n;
        else upper += n;
      }
    }
    const value = read.output;
    if (typeof value !== 'number' || value < lower || value > upper) {
      errors.push({ op: read.invoke, value: typeof value === 'number' ? value : NaN, lower, upper });
    }
  }
  const valid = errors.length === 0;
  const first = errors[0];
  const summary = valid
    ? `counter ok: ${reads.length} reads within bounds`
    : `counter violated: ${errors.length} of ${reads.length} reads out of bounds, e.g. read → ${first!.value} at event ${first!.op}, allowed ${first!.lower}…${first!.upper}`;
  return { valid, summary, reads: reads.length, errors, ...(valid ? {} : { ops: errors.slice(0, 20).map((e) => e.op) }) };
}

export function counterChecker(): Checker {
  return { name: 'counter', check: (history) => checkCounter(history) };
}
