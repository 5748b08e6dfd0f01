/**
 * The transactional checkers (Elle's, for JavaScript): list-append infers
 * ww/wr/rw dependencies from reads of whole lists, rw-register (in
 * rw-register-check.ts) from reads of single values with the weaker version
 * orders that allows; both then share dependency-check.ts (process and
 * real-time order, components, the shortest cycle of each anomaly family
 * explained step by step, the weakest consistency models violated).
 */
import { EventColumns } from '../../history/event-columns.js';
import type { CheckContext, Checker, History } from '../../history/types.js';
import { AnomalyLog } from './anomaly-log.js';
import { checkDependencies, claimedModels, type TxnCheckOptions, type TxnCheckResult } from './dependency-check.js';
import { listAppendSteps } from './explain.js';
import { inferListAppend } from './list-append.js';
import { txnTable } from './txn-table.js';

export { ANOMALY_DESCRIPTIONS, describeAnomaly } from './explain.js';
export { anomaliesProscribedBy, MODELS, PROSCRIBED_BY } from './models.js';
export { checkRwRegister, type RwRegisterOptions, type RwRegisterResult, rwRegisterChecker } from './rw-register-check.js';
export type { TxnCheckOptions, TxnCheckResult } from './dependency-check.js';

export type ListAppendOptions = TxnCheckOptions;
export type ListAppendResult = TxnCheckResult;

export function checkListAppend(history: History, options: ListAppendOptions = {}, context: CheckContext = {}): ListAppendResult {
  const started = performance.now();
  return checkListAppendColumns(EventColumns.of(history), options, context, started);
}

/**
 * {@link checkListAppend} over a history in columns, e.g. read by
 * `readJsonlColumnsFile` (the form for histories of millions of events).
 */
export function checkListAppendColumns(events: EventColumns, options: ListAppendOptions = {}, context: CheckContext = {}, started = performance.now()): ListAppendResult {
  claimedModels(options);
  const log = new AnomalyLog(options.examplesPerType ?? 8);
  const table = txnTable(events);
  const inference = inferListAppend(table, log);
  const { orderStart } = inference;
  return checkDependencies(
    {
      txns: table,
      malformed: table.malformed,
      edges: inference.edges,
      describeData: listAppendSteps(table.keyNames, (key, i) => table.value(table.elems[orderStart[key]! + i]!)),
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
