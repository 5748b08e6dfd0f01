/**
 * Process and real-time order between transactions.
 *
 * Real time: T1 precedes T2 when T1 completed before T2 was invoked. Adding
 * every such pair would be n² edges, so only a transitive reduction is kept:
 * a frontier of completed transactions none of which precedes another. An
 * invocation links from the frontier as it is; a completion removes from the
 * frontier the transactions it was linked from (they now reach later ones
 * through it) and joins it. Every omitted pair is implied by a path, and the
 * edge count is at most (transactions × concurrency).
 *
 * Process order is the subset within one client process; it is kept
 * separately so a cycle that needs only it is named `-process`, not `-realtime`.
 * Failed transactions did not happen and take no part.
 */
import type { ProcessId } from '../../history/types.js';
import { type EdgeList, PROCESS, REALTIME } from './graph.js';
import type { TxnBase } from './transactions.js';

export function addProcessEdges(txns: readonly TxnBase[], edges: EdgeList): void {
  const last = new Map<ProcessId, number>();
  for (const t of txns) {
    if (t.status === 'fail') continue;
    const previous = last.get(t.process);
    if (previous !== undefined) edges.add(previous, t.id, PROCESS);
    if (t.status === 'ok') last.set(t.process, t.id);
    else last.delete(t.process);
  }
}

export function addRealtimeEdges(txns: readonly TxnBase[], edges: EdgeList): void {
  // Events in history order: invocations (txns are sorted by invocation) merged with ok completions.
  const completions = txns.filter((t) => t.status === 'ok').sort((a, b) => a.completeIndex - b.completeIndex);
  let frontier: number[] = [];
  const linkedFrom = new Map<number, number[]>();
  let c = 0;
  const complete = (t: TxnBase): void => {
    const preds = linkedFrom.get(t.id);
    linkedFrom.delete(t.id);
    if (preds && preds.length > 0) {
      const drop = new Set(preds);
      frontier = frontier.filter((x) => !drop.has(x));
    }
    frontier.push(t.id);
  };
  for (const t of txns) {
    while (c < completions.length && completions[c]!.completeIndex < t.invokeIndex) complete(completions[c++]!);
    if (t.status === 'fail') continue;
    for (const p of frontier) edges.add(p, t.id, REALTIME);
    if (t.status === 'ok') linkedFrom.set(t.id, frontier.slice());
  }
}
