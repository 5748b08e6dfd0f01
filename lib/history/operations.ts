/**
 * Pairs a history's events into operations (an invoke and its completion) and
 * checks the history's shape on the way: a completion without its invoke, two
 * operations in flight on one process, a completion of a different function or
 * an unknown function are errors naming the line.
 */
import { HistoryFormatError } from './errors.js';
import type { History, HistoryEvent } from './types.js';

/** How an operation ended: `pending` when the history ended first (as good as `info`). */
export type Outcome = 'ok' | 'fail' | 'info' | 'pending';

/** One client operation: an invoke event and its completion. */
export interface Operation {
  /** Index of the invoke event (the operation's identity in reports). */
  invoke: number;
  /** Index of the completion event, absent when pending. */
  complete?: number;
  process: number;
  f: string;
  /** The invoke's value (the input: what is written, the cas pair, …). */
  value: unknown;
  /** The completion's value (what a read returned); `undefined` when the outcome is not `ok`. */
  output: unknown;
  outcome: Outcome;
  key?: string;
  /** ns since run start of the invoke and the completion (0 when the history has no times). */
  invokeTime: number;
  completeTime?: number;
  node?: string;
  error?: string;
}

export interface PairOptions {
  /** Named in errors, e.g. the file name. */
  source?: string;
  /** The 1-based line of event `index` in the source; defaults to index + 1. */
  lineOf?: (index: number) => number;
  /** When given, a client event whose `f` is not in this set is an error. */
  functions?: ReadonlySet<string> | readonly string[];
}

function describeEvent(event: HistoryEvent): string {
  return `${event.type} ${event.f} on process ${String(event.process)}`;
}

/** The client operations of a history in invoke order (nemesis events are skipped). Throws {@link HistoryFormatError}. */
export function pairOperations(history: History, options: PairOptions = {}): Operation[] {
  const source = options.source ?? 'history';
  const lineOf = options.lineOf ?? ((index: number) => index + 1);
  const functions = options.functions === undefined ? undefined : new Set(options.functions);
  const inFlight = new Map<number, { op: Operation; event: HistoryEvent }>();
  const operations: Operation[] = [];
  for (let position = 0; position < history.length; position += 1) {
    const event = history[position]!;
    const line = lineOf(position);
    if (event.index !== position) {
      throw new HistoryFormatError(source, line, `event index ${event.index} out of order; expected ${position}`);
    }
    if (event.process === 'nemesis') continue;
    if (functions !== undefined && !functions.has(event.f)) {
      throw new HistoryFormatError(
        source,
        line,
        `unknown function "${event.f}" in ${describeEvent(event)}; expected one of ${[...functions].join(', ')}`,
        { hint: 'choose the model whose functions the history uses (--model)' },
      );
    }
    const open = inFlight.get(event.process);
    if (event.type === 'invoke') {
      if (open !== undefined) {
        throw new HistoryFormatError(
          source,
          line,
          `two operations in flight on process ${event.process}: invoke ${event.f} while ${open.event.f} invoked at line ${lineOf(open.event.index)} has not completed`,
          { hint: 'a process runs one operation at a time; after an info completion use a fresh process number' },
        );
      }
      const op: Operation = {
        invoke: event.index,
        process: event.process,
        f: event.f,
        value: event.value,
        output: undefined,
        outcome: 'pending',
        invokeTime: event.time,
      };
      if (event.key !== undefined) op.key = event.key;
      if (event.node !== undefined) op.node = event.node;
      inFlight.set(event.process, { op, event });
      operations.push(op);
      continue;
    }
    if (open === undefined) {
      throw new HistoryFormatError(
        source,
        line,
        `${describeEvent(event)} has no invoke before it; expected an invoke of ${event.f} on process ${event.process} first`,
      );
    }
    if (open.event.f !== event.f) {
      throw new HistoryFormatError(
        source,
        line,
        `${describeEvent(event)} completes ${open.event.f} invoked at line ${lineOf(open.event.index)}; expected the same function`,
      );
    }
    const op = open.op;
    op.outcome = event.type;
    op.complete = event.index;
    op.completeTime = event.time;
    if (event.type === 'ok') op.output = event.value;
    if (event.error !== undefined) op.error = event.error;
    if (op.key === undefined && event.key !== undefined) op.key = event.key;
    inFlight.delete(event.process);
  }
  return operations;
}

/** Checks a history's shape (see {@link pairOperations}); throws {@link HistoryFormatError} naming the line. */
export function validateHistory(history: History, options: PairOptions = {}): void {
  pairOperations(history, options);
}
