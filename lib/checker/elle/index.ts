/**
 * The transactional checkers (Elle's, for JavaScript): list-append infers
 * ww/wr/rw dependencies from reads of whole lists, rw-register (in
 * rw-register-check.ts) from reads of single values with the weaker version
 * orders that allows; both then share dependency-check.ts (process and
 * real-time order, components, the shortest cycle of each anomaly family
 * explained step by step, the weakest consistency models violated).
 */
import type { CheckContext, Checker, History } from '../../history/types.js';
import { AnomalyLog } from './anomaly-log.js';
import { checkDependencies, claimedModels, type TxnCheckOptions, type TxnCheckResult } from './dependency-check.js';
import { listAppendSteps } from './explain.js';
import { inferListAppend } from './list-append.js';
import { parseTransactions } from './transactions.js';

export { ANOMALY_DESCRIPTIONS, describeAnomaly } from './explain.js';
export { anomaliesProscribedBy, MODELS, PROSCRIBED_BY } from './models.js';
export { checkRwRegister, type RwRegisterOptions, type RwRegisterResult, rwRegisterChecker } from './rw-register-check.js';
export type { TxnCheckOptions, TxnCheckResult } from './dependency-check.js';

export type ListAppendOptions = TxnCheckOptions;
export type ListAppendResult = TxnCheckResult;

export function checkListAppend(history: History, options: ListAppendOptions = {}, context: CheckContext = {}): ListAppendResult {
  const started = performance.now();
  claimedModels(options);
  const log = new AnomalyLog(options.examplesPerType ?? 8);
  const { txns, malformed } = parseTransactions(history);
  const inference = inferListAppend(txns, log);
  return checkDependencies(
    {
      txns,
      malformed,
      edges: inference.edges,
      describeData: listAppendSteps(inference.keyNames, inference.orders),
      log,
      undecided: () => (log.has('duplicate-appends') ? 'a value was appended to a key more than once, so version orders are ambiguous' : undefined),
      started,
    },
    options,
    context,
  );
}

/** The list-append checker as a {@link Checker}. */
export function listAppendChecker(options: ListAppendOptions = {}): Checker {
  return {
    name: 'list-append',
    check: (history, context) => checkListAppend(history, options, context),
  };
}
