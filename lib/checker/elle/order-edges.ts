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
import { Int32Store } from '../../history/stores.js';
import { type EdgeList, PROCESS, REALTIME } from './graph.js';
import { FAIL, OK, type TxnSet } from './txn-set.js';

export function addProcessEdges(txns: TxnSet, edges: EdgeList): void {
  const last = new Map<number, number>();
  const { status, process } = txns;
  for (let t = 0; t < txns.count; t++) {
    if (status[t] === FAIL) continue;
    const previous = last.get(process[t]!);
    if (previous !== undefined) edges.add(previous, t, PROCESS);
    if (status[t] === OK) last.set(process[t]!, t);
    else last.delete(process[t]!);
  }
}

/** The committed transactions in the order they completed. */
function completionOrder(txns: TxnSet): Int32Array {
  const { status, completeIndex } = txns;
  const ids = new Int32Store();
  let sorted = true;
  for (let t = 0; t < txns.count; t++) {
    if (status[t] !== OK) continue;
    if (ids.length > 0 && completeIndex[ids.data[ids.length - 1]!]! > completeIndex[t]!) sorted = false;
    ids.push(t);
  }
  const order = ids.data.subarray(0, ids.length);
  return sorted ? order : order.sort((a, b) => completeIndex[a]! - completeIndex[b]!);
}

export function addRealtimeEdges(txns: TxnSet, edges: EdgeList): void {
  // Events in history order: invocations (txns are sorted by invocation) merged with ok completions.
  const { status, completeIndex, invokeIndex } = txns;
  const completions = completionOrder(txns);
  const frontier: number[] = [];
  // The frontier each committed transaction was linked from: the sources of its real-time edges,
  // edges.src[linkedStart[t] ..+ linkedLength[t]].
  const linkedStart = new Int32Array(txns.count);
  const linkedLength = new Int32Array(txns.count);
  const dropped = new Int32Array(txns.count);
  let c = 0;
  const complete = (t: number): void => {
    const n = linkedLength[t]!;
    if (n > 0) {
      for (let i = linkedStart[t]!; i < linkedStart[t]! + n; i++) dropped[edges.src.data[i]!] = t + 1;
      let kept = 0;
      for (const x of frontier) if (dropped[x] !== t + 1) frontier[kept++] = x;
      frontier.length = kept;
    }
    frontier.push(t);
  };
  for (let t = 0; t < txns.count; t++) {
    while (c < completions.length && completeIndex[completions[c]!]! < invokeIndex[t]!) complete(completions[c++]!);
    if (status[t] === FAIL) continue;
    if (status[t] === OK) {
      linkedStart[t] = edges.size;
      linkedLength[t] = frontier.length;
    }
    for (const p of frontier) edges.add(p, t, REALTIME);
  }
}
