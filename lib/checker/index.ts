/** Checkers: linearizability against a model, and the Jepsen-style set/queue/counter/unique-id checkers. */
export type { Model, OperationInput } from './model.js';
export { registerModel, kvModel, setModel, queueModel, counterModel, BUILTIN_MODELS, type BuiltinModelName } from './models.js';
export {
  checkLinearizable,
  linearizable,
  DEFAULT_MEMORY_LIMIT_BYTES,
  type LinearizableOptions,
  type LinearizabilityResult,
} from './linearizable.js';
export type { PartitionVerdict, LinearizationStep } from './partition-check.js';
export { checkSet, setChecker, type SetCheckerOptions, type SetResult } from './set.js';
export { checkQueue, queueChecker, type QueueResult } from './queue.js';
export { checkCounter, counterChecker, type CounterResult, type CounterError } from './counter.js';
export { checkUniqueIds, uniqueIdsChecker, type UniqueIdsResult } from './unique-ids.js';
export { compose, type ComposedResult } from './compose.js';
export { checkers, models } from './namespaces.js';
