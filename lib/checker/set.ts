/**
 * Jepsen's set checker: clients `add` elements and `read` the whole set. Every
 * acknowledged add must be in the final read; nothing may be read that was
 * never added.
 *   lost        acknowledged (or once read) elements missing from the final read
 *   unexpected  elements read that no add attempted
 *   recovered   adds with unknown outcome that a read shows did happen
 *   stale       elements missing from some read that began after they were known to be present
 * (stale reads make the result invalid only with `linearizable: true`).
 */
import type { CheckResult, Checker, History } from '../history/types.js';
import { keyOf, operationsOf, sample } from './jepsen-common.js';

export interface SetCheckerOptions {
  /** Also fail on stale reads (default false: Jepsen's eventually-consistent set). */
  linearizable?: boolean;
}

export interface SetResult extends CheckResult {
  attempted: number;
  acknowledged: number;
  lost: unknown[];
  unexpected: unknown[];
  recovered: unknown[];
  stale: unknown[];
  ops?: number[];
}

export function checkSet(history: History, options: SetCheckerOptions = {}): SetResult {
  const ops = operationsOf(history, ['add', 'read']);
  const adds = new Map<string, { value: unknown; outcome: string; known: number; invoke: number }>();
  for (const op of ops) {
    if (op.f !== 'add' || op.outcome === 'fail') continue;
    adds.set(keyOf(op.value), { value: op.value, outcome: op.outcome, known: op.outcome === 'ok' ? op.complete! : Infinity, invoke: op.invoke });
  }
  const reads = ops.filter((op) => op.f === 'read' && op.outcome === 'ok' && Array.isArray(op.output));
  const base = { attempted: adds.size, acknowledged: [...adds.values()].filter((a) => a.outcome === 'ok').length };
  if (reads.length === 0) {
    return { valid: 'unknown', summary: 'unknown: no successful read of the set to check the adds against', ...base, lost: [], unexpected: [], recovered: [], stale: [] };
  }
  const unexpected = new Map<string, unknown>();
  const recovered = new Map<string, unknown>();
  for (const read of reads) {
    for (const element of read.output as unknown[]) {
      const key = keyOf(element);
      const add = adds.get(key);
      if (add === undefined) unexpected.set(key, element);
      else {
        if (add.outcome !== 'ok') recovered.set(key, element);
        add.known = Math.min(add.known, read.complete!);
      }
    }
  }
  const final = reads[reads.length - 1]!;
  const finalSet = new Set((final.output as unknown[]).map(keyOf));
  const lost: unknown[] = [];
  const stale: unknown[] = [];
  const involved = new Set<number>([final.invoke]);
  for (const [key, add] of adds) {
    if (!Number.isFinite(add.known)) continue;
    if (!finalSet.has(key)) {
      lost.push(add.value);
      involved.add(add.invoke);
      continue;
    }
    const missedBy = reads.find((r) => r.invoke > add.known && !(r.output as unknown[]).some((e) => keyOf(e) === key));
    if (missedBy !== undefined) stale.push(add.value);
  }
  const valid = lost.length === 0 && unexpected.size === 0 && (!options.linearizable || stale.length === 0);
  const parts = [
    `${base.acknowledged} of ${base.attempted} adds acknowledged`,
    lost.length > 0 ? `${lost.length} lost: ${sample(lost)}` : '',
    unexpected.size > 0 ? `${unexpected.size} unexpected: ${sample([...unexpected.values()])}` : '',
    recovered.size > 0 ? `${recovered.size} recovered` : '',
    stale.length > 0 ? `${stale.length} stale${options.linearizable ? '' : ' (allowed)'}: ${sample(stale)}` : '',
  ].filter((p) => p !== '');
  return {
    valid,
    summary: `${valid ? 'set ok' : 'set violated'}: ${parts.join('; ')}`,
    ...base,
    lost,
    unexpected: [...unexpected.values()],
    recovered: [...recovered.values()],
    stale,
    ...(valid ? {} : { ops: [...involved].sort((a, b) => a - b) }),
  };
}

export function setChecker(options: SetCheckerOptions = {}): Checker {
  return { name: 'set', check: (history) => checkSet(history, options) };
}
