/**
 * isolateAZ: every node of the AZ loses contact, both ways, with every node
 * outside it and with the runner, so port forwards and t.http to the AZ stop
 * too — like a zone dropping off the network. withNetworkAccess() keeps the
 * runner (cuts.ts, withoutRunner), for every fault kind alike.
 */
import type { PolicyFill } from './policy.js';

export function isolateGroup(inside: readonly number[], nodes: number): PolicyFill {
  return (policy) => {
    const isInside = new Uint8Array(nodes);
    for (const i of inside) isInside[i] = 1;
    for (let other = 0; other < nodes; other++) {
      if (isInside[other]) continue;
      for (const i of inside) {
        policy.cut(i, other);
        policy.cut(other, i);
      }
    }
  };
}
