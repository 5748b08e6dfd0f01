/**
 * What every transactional checker does once a workload's reads have been
 * turned into ww/wr/rw edges: add process and real-time order, find the
 * strongly connected components and, inside each, the shortest cycle of each
 * anomaly family, explained step by step; then name the weakest consistency
 * models violated and give the verdict.
 */
import type { CheckContext, CheckResult } from '../../history/types.js';
import type { AnomalyExample, AnomalyLog } from './anomaly-log.js';
import { componentCycles, localGraph } from './cycles.js';
import { type DescribeData, explainCycle, explainEdge } from './explain.js';
import { ALL_MASK, EDGE_NAMES, type EdgeList } from './graph.js';
import { MODELS, violatedModels, weakestViolated } from './models.js';
import { addProcessEdges, addRealtimeEdges } from './order-edges.js';
import { FAIL, OK, txnAt, type TxnSet } from './txn-set.js';

export interface TxnCheckOptions {
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

export interface TxnCheckResult extends CheckResult {
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

/** The claimed models, checked, or the default claim. */
export function claimedModels(options: TxnCheckOptions): string[] {
  const claimed = options.consistencyModels ?? ['strict-serializable'];
  for (const m of claimed) if (!MODELS.includes(m)) throw new Error(`unknown consistency model "${m}" (known: ${MODELS.join(', ')})`);
  return claimed;
}

export interface DependencyCheckInput {
  txns: TxnSet;
  malformed: string[];
  /** The workload's data edges (ww, wr, rw); process and real-time edges are added here. */
  edges: EdgeList;
  /** Words for one data edge of a cycle. */
  describeData: DescribeData;
  /** Anomalies found so far (the non-cycle ones); cycles are added to it. */
  log: AnomalyLog;
  /** Why a history without a violation is still undecided (the workload's own reasons), if it is. */
  undecided?: () => string | undefined;
  /** performance.now() when the check began (the time budget counts from it). */
  started: number;
}

export function checkDependencies(input: DependencyCheckInput, options: TxnCheckOptions, context: CheckContext): TxnCheckResult {
  const { txns, log, started } = input;
  const claimed = claimedModels(options);
  const budget = options.cycleSearchBudget ?? 2_000_000;
  addProcessEdges(txns, input.edges);
  addRealtimeEdges(txns, input.edges);
  const graph = input.edges.freeze(txns.count);
  const { comp, sccs } = graph.components(ALL_MASK);

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
      const ring = cycle.nodes.map((l) => txnAt(txns, members[l]!));
      const steps = cycle.edges.map((e, i) => explainEdge(input.describeData, local, e, ring[i]!, ring[(i + 1) % ring.length]!));
      log.add(cycle.type, {
        ops: ring.map((t) => t.invokeIndex),
        explanation: explainCycle(cycle.type, ring, steps, cycle.partial === true),
        steps,
        edges: cycle.edges.map((e) => EDGE_NAMES[local.kind[e]!]!),
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
  let ok = 0;
  let fail = 0;
  for (let t = 0; t < txns.count; t++) {
    if (txns.status[t] === OK) ok++;
    else if (txns.status[t] === FAIL) fail++;
  }

  let valid: TxnCheckResult['valid'];
  let summary: string;
  const found = anomalyTypes.map((t) => `${t} ×${counts[t]}`).join(', ');
  const undecided = broken.length > 0 || interrupted || ok === 0 ? undefined : input.undecided?.();
  if (broken.length > 0) {
    valid = false;
    summary = `${found}; not ${not.join(', ')}`;
  } else if (interrupted) {
    valid = 'unknown';
    summary = `${interrupted} before every component was searched`;
  } else if (ok === 0) {
    valid = 'unknown';
    summary = 'no committed transactions to check';
  } else if (undecided !== undefined) {
    valid = 'unknown';
    summary = undecided;
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
      transactions: txns.count,
      ok,
      fail,
      info: txns.count - ok - fail,
      edges: graph.edgeCount,
      components: sccs.length,
      largestComponent: sccs.reduce((max, s) => Math.max(max, s.length), 0),
    },
    malformed: input.malformed,
  };
}
