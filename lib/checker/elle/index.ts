/**
 * The list-append checker (Elle's, for JavaScript): infers ww/wr/rw
 * dependencies from list-append reads, adds process and real-time order,
 * finds the strongly connected components of the graph and, inside each, the
 * shortest cycle of each anomaly family, explained step by step; adds the
 * non-cycle anomalies; and names the weakest consistency models violated.
 */
import type { CheckContext, Checker, CheckResult, History } from '../../history/types.js';
import { type AnomalyExample, AnomalyLog } from './anomaly-log.js';
import { componentCycles, localGraph } from './cycles.js';
import { explainCycle, explainEdge } from './explain.js';
import { ALL_MASK } from './graph.js';
import { inferListAppend } from './list-append.js';
import { MODELS, violatedModels, weakestViolated } from './models.js';
import { addProcessEdges, addRealtimeEdges } from './order-edges.js';
import { parseTransactions } from './transactions.js';

export { ANOMALY_DESCRIPTIONS, describeAnomaly } from './explain.js';
export { anomaliesProscribedBy, MODELS, PROSCRIBED_BY } from './models.js';

export interface ListAppendOptions {
  /**
   * The models the system claims; the history is invalid when an anomaly
   * violates one of them. Default `['strict-serializable']` (every anomaly counts).
   */
  consistencyModels?: string[];
  /** Edge visits allowed per strongly connected component before its search stops (default 2,000,000). */
  cycleSearchBudget?: number;
  /** Explained examples kept per anomaly type (default 8); all are counted. */
  examplesPerType?: number;
}

export interface ListAppendResult extends CheckResult {
  /** Every anomaly type found, sorted. */
  anomalyTypes: string[];
  /** How many of each type (cycle anomalies: one per component). */
  counts: Record<string, number>;
  /** A few explained examples of each type. */
  anomalies: Record<string, AnomalyExample[]>;
  /** The weakest consistency models the history violates (Elle's `:not`). */
  not: string[];
  /** Every violated model. */
  alsoNot: string[];
  /** Invocation indices of the transactions in the examples. */
  ops: number[];
  /** Components whose cycle search ran out of budget (their anomaly list may be incomplete). */
  partialComponents: number;
  stats: { transactions: number; ok: number; fail: number; info: number; edges: number; components: number; largestComponent: number };
  malformed: string[];
}

export function checkListAppend(history: History, options: ListAppendOptions = {}, context: CheckContext = {}): ListAppendResult {
  const started = performance.now();
  const claimed = options.consistencyModels ?? ['strict-serializable'];
  for (const m of claimed) if (!MODELS.includes(m)) throw new Error(`unknown consistency model "${m}" (known: ${MODELS.join(', ')})`);
  const budget = options.cycleSearchBudget ?? 2_000_000;
  const log = new AnomalyLog(options.examplesPerType ?? 8);

  const { txns, malformed } = parseTransactions(history);
  const inference = inferListAppend(txns, log);
  addProcessEdges(txns, inference.edges);
  addRealtimeEdges(txns, inference.edges);
  const graph = inference.edges.freeze(txns.length);
  const { comp, sccs } = graph.components(ALL_MASK);

  const explainContext = { txns, keyNames: inference.keyNames, orders: inference.orders };
  let partialComponents = 0;
  let interrupted: string | undefined;
  for (let id = 0; id < sccs.length; id++) {
    if (context.signal?.aborted) interrupted = 'the check was cancelled';
    else if (context.timeoutMs !== undefined && performance.now() - started > context.timeoutMs) interrupted = `the check ran past its ${context.timeoutMs} ms budget`;
    if (interrupted) break;
    const members = sccs[id]!;
    const local = localGraph(graph, members, comp, id);
    const { cycles, partial } = componentCycles(local, budget);
    if (partial) partialComponents++;
    for (const cycle of cycles) {
      const ring = cycle.nodes.map((l) => txns[members[l]!]!);
      const steps = cycle.edges.map((e, i) => explainEdge(explainContext, local, e, ring[i]!, ring[(i + 1) % ring.length]!));
      log.add(cycle.type, {
        ops: ring.map((t) => t.invokeIndex),
        explanation: explainCycle(cycle.type, ring, steps, cycle.partial === true),
        steps,
        ...(cycle.partial ? { partial: true } : {}),
      });
    }
  }

  const anomalyTypes = log.types;
  const violated = violatedModels(anomalyTypes);
  const broken = claimed.filter((m) => violated.has(m));
  const not = weakestViolated(violated);
  const counts = Object.fromEntries(log.counts);
  const anomalies = Object.fromEntries(log.examples);
  const ops = [...new Set([...log.examples.values()].flatMap((list) => list.flatMap((x) => x.ops)))].sort((a, b) => a - b);
  const ok = txns.filter((t) => t.status === 'ok').length;
  const fail = txns.filter((t) => t.status === 'fail').length;

  let valid: ListAppendResult['valid'];
  let summary: string;
  const found = anomalyTypes.map((t) => `${t} ×${counts[t]}`).join(', ');
  if (broken.length > 0) {
    valid = false;
    summary = `${found}; not ${not.join(', ')}`;
  } else if (interrupted) {
    valid = 'unknown';
    summary = `${interrupted} before every component was searched`;
  } else if (ok === 0) {
    valid = 'unknown';
    summary = 'no committed transactions to check';
  } else if (log.has('duplicate-appends')) {
    valid = 'unknown';
    summary = 'a value was appended to a key more than once, so version orders are ambiguous';
  } else {
    valid = true;
    summary = anomalyTypes.length > 0 ? `${found}, all allowed by ${claimed.join(', ')}` : `no anomalies in ${ok} committed transactions`;
  }
  return {
    valid,
    summary,
    anomalyTypes,
    counts,
    anomalies,
    not,
    alsoNot: MODELS.filter((m) => violated.has(m)),
    ops,
    partialComponents,
    stats: {
      transactions: txns.length,
      ok,
      fail,
      info: txns.length - ok - fail,
      edges: graph.edgeCount,
      components: sccs.length,
      largestComponent: sccs.reduce((max, s) => Math.max(max, s.length), 0),
    },
    malformed,
  };
}

/** The list-append checker as a {@link Checker}. */
export function listAppendChecker(options: ListAppendOptions = {}): Checker {
  return {
    name: 'list-append',
    check: (history, context) => checkListAppend(history, options, context),
  };
}
