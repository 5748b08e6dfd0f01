/**
 * The rw-register checker: Elle's rw-register analysis on the shared
 * dependency check. Its version orders are partial, so a history without a
 * violation is `valid` only when every key's order was fully inferred;
 * otherwise the answer is `unknown`, naming the keys.
 */
import type { CheckContext, Checker, History } from '../../history/types.js';
import { AnomalyLog } from './anomaly-log.js';
import { checkDependencies, claimedModels, type TxnCheckOptions, type TxnCheckResult } from './dependency-check.js';
import { type DescribeData, txnName } from './explain.js';
import { RW, WR, WW } from './graph.js';
import { type EdgeReason, inferRwRegister, parseRegisterOps, type RegisterInferenceOptions, type RegisterOp } from './rw-register.js';
import { parseTransactions, type TxnBase } from './transactions.js';
import { TxnColumns } from './txn-set.js';
import type { OrderFact } from './version-order.js';

export interface RwRegisterOptions extends TxnCheckOptions, RegisterInferenceOptions {}

export interface RwRegisterResult extends TxnCheckResult {
  /** Keys whose version order the history leaves partly open (the verdict is `unknown` unless a violation was found). */
  ambiguousKeys: string[];
}

const show = (v: unknown): string => (v === null ? 'nil' : String(v));

function why(fact: OrderFact): string {
  const [a, b] = fact.witnesses;
  if (fact.source === 'initial') return 'every version follows the initial nil';
  if (fact.source === 'write-follows-read') return `T${b} read ${show(fact.before)} before writing ${show(fact.after)}`;
  if (fact.source === 'sequential') return `one process observed ${show(fact.before)} (T${a}) before ${show(fact.after)} (T${b})`;
  return a === b ? `T${a} observed ${show(fact.before)} before ${show(fact.after)}` : `T${a} observed ${show(fact.before)} and completed before T${b} began and observed ${show(fact.after)}`;
}

function registerSteps(reasons: readonly EdgeReason[]): DescribeData {
  return (g, e, a: TxnBase, b: TxnBase) => {
    const reason = reasons[g.pos(e)]!;
    const kind = g.kind[e]!;
    if (reason.kind === 'wr' || kind === WR) {
      const value = reason.kind === 'wr' ? reason.value : reason.fact.after;
      return `${txnName(a)} wrote ${reason.kind === 'wr' ? reason.key : reason.fact.key} = ${show(value)}, and ${txnName(b)} read it (wr)`;
    }
    const { fact } = reason;
    if (kind === WW) return `${txnName(a)} wrote ${fact.key} = ${show(fact.before)}, and ${txnName(b)} wrote ${show(fact.after)}, a later version (${why(fact)}) (ww)`;
    if (kind === RW) return `${txnName(a)} read ${fact.key} = ${show(fact.before)}, and ${txnName(b)} wrote ${show(fact.after)}, a later version (${why(fact)}) (rw)`;
    return `${txnName(a)} precedes ${txnName(b)}`;
  };
}

export function checkRwRegister(history: History, options: RwRegisterOptions = {}, context: CheckContext = {}): RwRegisterResult {
  const started = performance.now();
  claimedModels(options);
  const log = new AnomalyLog(options.examplesPerType ?? 8);
  const { txns, malformed } = parseTransactions<RegisterOp>(history, parseRegisterOps);
  const inference = inferRwRegister(txns, log, options);
  const { ambiguousKeys } = inference;
  const result = checkDependencies(
    {
      txns: TxnColumns.of(txns),
      malformed,
      edges: inference.edges,
      describeData: registerSteps(inference.reasons),
      log,
      undecided: () => {
        if (log.has('duplicate-writes')) return 'a value was written to a key more than once, so version orders are ambiguous';
        if (ambiguousKeys.length === 0) return undefined;
        const named = ambiguousKeys.slice(0, 5).join(', ') + (ambiguousKeys.length > 5 ? ', …' : '');
        const hint = options.sequentialKeys && options.linearizableKeys ? '' : ' (sequentialKeys / linearizableKeys add the order a store guarantees)';
        return `no anomaly among the inferred dependencies, but the reads leave the version order of ${ambiguousKeys.length} key(s) open (${named}), so dependencies may be missing${hint}`;
      },
      started,
    },
    options,
    context,
  );
  return { ...result, ambiguousKeys };
}

/** The rw-register checker as a {@link Checker}. */
export function rwRegisterChecker(options: RwRegisterOptions = {}): Checker {
  return {
    name: 'rw-register',
    check: (history, context) => checkRwRegister(history, options, context),
  };
}
