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
