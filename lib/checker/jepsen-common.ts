/** Small helpers shared by the Jepsen-style checkers (set, queue, counter, unique ids). */
import { pairOperations, type Operation } from '../history/operations.js';
import type { History } from '../history/types.js';
import { canonicalJson } from './model.js';

/** Pairs and validates the history, keeping only the given functions (other clients' ops are ignored). */
export function operationsOf(history: History, functions: readonly string[]): Operation[] {
  const wanted = new Set(functions);
  return pairOperations(history).filter((op) => wanted.has(op.f));
}

/** A stable key for an element (values may be numbers, strings or JSON). */
export const keyOf = (value: unknown): string => canonicalJson(value);

/** Up to `limit` elements, in a readable list. */
export function sample(values: readonly unknown[], limit = 10): string {
  const shown = values.slice(0, limit).map((v) => (typeof v === 'string' ? JSON.stringify(v) : canonicalJson(v)));
  return values.length > limit ? `${shown.join(', ')}, … (${values.length} in all)` : shown.join(', ');
}
