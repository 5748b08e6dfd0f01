/** Operations, times and states in words, for counterexamples. */
import type { Operation } from '../history/operations.js';
import { defaultDescribeOperation, formatValue, type Model } from './model.js';
import { inputOf } from './prepare.js';

export function describeState<State>(model: Model<State>, state: State): string {
  return model.describe ? model.describe(state) : formatValue(state);
}

export function describeOp<State>(model: Model<State>, op: Operation): string {
  const output = op.outcome === 'ok' ? op.output : undefined;
  const text = (model.describeOperation ?? defaultDescribeOperation)(inputOf(op), output);
  return `${text} by process ${op.process}`;
}

function seconds(ns: number): string {
  return `${(ns / 1e9).toFixed(3)} s`;
}

/** When the operation was invoked: a time when the history has times, its event index otherwise. */
export function invokedAt(op: Operation): string {
  return op.invokeTime > 0 ? `invoked at ${seconds(op.invokeTime)}` : `invoked at event ${op.invoke}`;
}

export function completedAt(op: Operation): string {
  if (op.complete === undefined) return 'never completed';
  if (op.outcome !== 'ok') return `outcome unknown (${op.outcome} at event ${op.complete})`;
  return op.completeTime !== undefined && op.completeTime > 0
    ? `completed at ${seconds(op.completeTime)}`
    : `completed at event ${op.complete}`;
}

export function span(op: Operation): string {
  return `${invokedAt(op)}, ${completedAt(op)}`;
}

/** An instant given as an event position: the op whose call or return it is. */
export function instant(ops: readonly Operation[], position: number): string {
  for (const op of ops) {
    if (op.invoke === position) return op.invokeTime > 0 ? seconds(op.invokeTime) : `event ${position}`;
    if (op.complete === position) return op.completeTime ? seconds(op.completeTime) : `event ${position}`;
  }
  return `event ${position}`;
}
