/** Mutations that make a linearizable history non-linearizable, for the property tests. */
import type { HistoryEvent } from '../../lib/history/types.js';

const READS = new Set(['read', 'get', 'dequeue']);
const WRITES = new Set(['write', 'put', 'append', 'add', 'enqueue']);

function reindex(events: HistoryEvent[]): HistoryEvent[] {
  return events.map((e, index) => ({ ...e, index }));
}

/** A value nothing ever produced, in the shape the model's read returns. */
function impossible(f: string, value: unknown): unknown {
  if (f === 'get') return 'never-written;';
  if (Array.isArray(value)) return [...(value as unknown[]), 999_999];
  if (f === 'read' && typeof value === 'number' && value >= 0 && !Number.isInteger(value / 1e9)) return -1;
  return 999_999;
}

/** One `ok` read (with a value) made to return something impossible; undefined when there is none. */
export function corruptRead(history: HistoryEvent[], pick: () => number, counter = false): HistoryEvent[] | undefined {
  const reads = history.filter((e) => e.type === 'ok' && READS.has(e.f) && (e.f !== 'dequeue' || e.value !== null));
  if (reads.length === 0) return undefined;
  const target = reads[Math.floor(pick() * reads.length)]!;
  const value = counter ? -1 : impossible(target.f, target.value);
  return history.map((e) => (e === target ? { ...e, value } : e));
}

function observed(write: HistoryEvent, reads: HistoryEvent[]): boolean {
  const v = write.value;
  return reads.some((r) => {
    if (r.f === 'get') return typeof r.value === 'string' && typeof v === 'string' && r.value.includes(v);
    if (Array.isArray(r.value)) return r.value.includes(v);
    return r.value === v;
  });
}

/**
 * Drops one completed write (invoke and ok) whose effect a read observed; with
 * `any`, any completed write (counters: a final read sums them all).
 */
export function dropWrite(history: HistoryEvent[], pick: () => number, any = false): HistoryEvent[] | undefined {
  const reads = history.filter((e) => e.type === 'ok' && READS.has(e.f));
  const candidates = history.filter((e) => e.type === 'ok' && WRITES.has(e.f) && (any || observed(e, reads)));
  if (candidates.length === 0) return undefined;
  const completion = candidates[Math.floor(pick() * candidates.length)]!;
  let invoke = -1;
  for (let i = completion.index - 1; i >= 0; i -= 1) {
    if (history[i]!.process === completion.process) {
      invoke = i;
      break;
    }
  }
  return reindex(history.filter((e) => e.index !== invoke && e !== completion));
}
