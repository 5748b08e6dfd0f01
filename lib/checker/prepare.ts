/**
 * From a history to the checker's per-partition problems: pair and validate
 * events against the model's functions, drop what cannot matter (failed
 * operations did nothing; reads with unknown outcomes constrain nothing) and
 * split by the model's partition.
 */
import { pairOperations, type Operation } from '../history/operations.js';
import type { History } from '../history/types.js';
import type { Model, OperationInput } from './model.js';
import type { SearchOp } from './wgl.js';

export interface PartitionProblem {
  /** The partition's name ('' when the model has none). */
  name: string;
  /** The operations, in invoke order; `ops[i]` and `source[i]` describe the same operation. */
  ops: SearchOp[];
  source: Operation[];
}

export interface PreparedHistory {
  partitions: PartitionProblem[];
  /** Client operations in the history (before dropping failed ones). */
  operationCount: number;
}

export function inputOf(op: Operation): OperationInput {
  const input: OperationInput = { f: op.f, value: op.value };
  if (op.key !== undefined) input.key = op.key;
  return input;
}

export function prepareHistory<State>(
  history: History,
  model: Model<State>,
  options: { source?: string; lineOf?: (index: number) => number } = {},
): PreparedHistory {
  const pairOptions: Parameters<typeof pairOperations>[1] = {};
  if (options.source !== undefined) pairOptions.source = options.source;
  if (options.lineOf !== undefined) pairOptions.lineOf = options.lineOf;
  if (model.functions !== undefined) pairOptions.functions = model.functions;
  const operations = pairOperations(history, pairOptions);
  const byName = new Map<string, PartitionProblem>();
  for (const op of operations) {
    if (op.outcome === 'fail') continue;
    const input = inputOf(op);
    const known = op.outcome === 'ok';
    if (!known && model.readOnly?.(input)) continue;
    const name = model.partition?.(input) ?? '';
    let partition = byName.get(name);
    if (partition === undefined) {
      partition = { name, ops: [], source: [] };
      byName.set(name, partition);
    }
    partition.ops.push({
      input,
      output: known ? op.output : undefined,
      call: op.invoke,
      ret: known ? op.complete! : Infinity,
    });
    partition.source.push(op);
  }
  return { partitions: [...byName.values()], operationCount: operations.length };
}
