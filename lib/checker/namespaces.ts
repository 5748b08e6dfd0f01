/**
 * The checkers and models as two small namespaces, for
 * `t.workload({ checker: checkers.linearizable({ model: models.register() }) })`.
 */
import { compose } from './compose.js';
import { counterChecker } from './counter.js';
import { linearizable } from './linearizable.js';
import type { Model } from './model.js';
import { counterModel, kvModel, queueModel, registerModel, setModel } from './models.js';
import { queueChecker } from './queue.js';
import { setChecker } from './set.js';
import { uniqueIdsChecker } from './unique-ids.js';

export const models = {
  /** read / write / cas register, initially absent. */
  register: (): Model<unknown> => registerModel,
  /** Alias of `register` (it has cas). */
  casRegister: (): Model<unknown> => registerModel,
  kv: (): Model<string> => kvModel,
  set: (): Model<readonly string[]> => setModel,
  queue: (): Model<readonly unknown[]> => queueModel,
  counter: (): Model<number> => counterModel,
} as const;

export const checkers = {
  linearizable,
  set: setChecker,
  queue: queueChecker,
  counter: counterChecker,
  uniqueIds: uniqueIdsChecker,
  compose,
} as const;
