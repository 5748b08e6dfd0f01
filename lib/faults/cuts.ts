/**
 * The policy fills of the network fault kinds (see policy.ts): which
 * src → dst pairs a fault cuts or makes lossy. All are pure functions of node
 * indexes; the kinds (partition.ts, loss.ts, network-fault.ts) choose the indexes.
 */
import { RUNNER_INDEX, type PolicyFill, type PolicyWriter } from './policy.js';

/** Every node of `a` and every other node of `b` lose contact, both ways (groups may overlap). */
export function cutBetween(a: readonly number[], b: readonly number[]): PolicyFill {
  return (policy) => {
    for (const x of a) {
      for (const y of b) {
        if (x === y) continue;
        policy.cut(x, y);
        policy.cut(y, x);
      }
    }
  };
}

/** Packets from any node of `from` to any other node of `to` are dropped; the reverse direction is untouched. */
export function cutOneWay(from: readonly number[], to: readonly number[]): PolicyFill {
  return (policy) => {
    for (const src of from) for (const dst of to) if (src !== dst) policy.cut(src, dst);
  };
}

/** Nodes in different components lose contact both ways; nodes in the same component keep it. */
export function cutComponents(components: readonly (readonly number[])[]): PolicyFill {
  return (policy) => {
    for (let i = 0; i < components.length; i++) {
      for (let j = i + 1; j < components.length; j++) cutBetween(components[i]!, components[j]!)(policy);
    }
  };
}

/**
 * A Jepsen "grudge": for each node, the nodes whose packets it drops. Only
 * the listed directions are cut (a grudge need not be symmetric).
 */
export function cutGrudge(grudge: ReadonlyMap<number, readonly number[]>): PolicyFill {
  return (policy) => {
    for (const [dst, sources] of grudge) for (const src of sources) policy.cut(src, dst);
  };
}

/** `percent` of the packets from `from` nodes to `to` nodes are dropped at random; the reverse is untouched. */
export function lossOneWay(from: readonly number[], to: readonly number[], percent: number): PolicyFill {
  return (policy) => {
    for (const src of from) for (const dst of to) if (src !== dst) policy.setLoss(src, dst, percent);
  };
}

/**
 * The same fault minus everything that involves the runner (index 0): what
 * withNetworkAccess() means for every kind. Port forwards, t.http and the
 * readiness probes keep working; cuts between nodes stay as they are.
 */
export function withoutRunner(fill: PolicyFill): PolicyFill {
  return (policy) => {
    const filtered: PolicyWriter = {
      nodes: policy.nodes,
      cut: (src, dst) => {
        if (src !== RUNNER_INDEX && dst !== RUNNER_INDEX) policy.cut(src, dst);
      },
      setLoss: (src, dst, percent) => {
        if (src !== RUNNER_INDEX && dst !== RUNNER_INDEX) policy.setLoss(src, dst, percent);
      },
    };
    fill(filtered);
  };
}
