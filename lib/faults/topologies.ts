/**
 * The classic partition shapes, as Jepsen's nemesis defines them
 * (jepsen/nemesis.clj: bisect, complete-grudge, bridge, majorities-ring),
 * over node indexes in cluster order. Randomised shapes take a seed so a
 * failing run can be replayed exactly.
 */

/** Jepsen's bisect: split in two, the first half being the smaller one (5 → 2 + 3). */
export function bisect<T>(items: readonly T[]): [T[], T[]] {
  const cut = Math.floor(items.length / 2);
  return [items.slice(0, cut), items.slice(cut)];
}

/** A seed for the shapes: integers are used as they are (mod 2^32), strings are hashed (FNV-1a). */
export function seedOf(seed: number | string): number {
  if (typeof seed === 'number') return seed >>> 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    hash ^= seed.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** mulberry32: tiny, well-distributed, and the same sequence on every platform. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates with the seeded generator: same seed, same order. */
export function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  const next = random(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Smallest strict majority of n. */
export function majority(n: number): number {
  return Math.floor(n / 2) + 1;
}

/**
 * Jepsen's majorities-ring (the "perfect" construction): the nodes sit on a
 * ring; each window of `majority(n)` consecutive nodes is the majority its
 * middle node can see, and that node drops packets from everyone outside it.
 * Every node sees a majority, no two nodes see the same one. When the
 * majority is odd (n = 5, 8, 9, …) the grudge is symmetric (each node talks to
 * its ring neighbours within majority/2 hops); otherwise (n = 3, 6, 7, …) some
 * links are cut in one direction only, as in Jepsen.
 * Returns node → nodes whose packets it drops.
 */
export function majoritiesRing(ring: readonly number[]): Map<number, number[]> {
  const n = ring.length;
  const m = majority(n);
  const grudge = new Map<number, number[]>();
  for (let start = 0; start < n; start++) {
    const window = Array.from({ length: m }, (_, k) => ring[(start + k) % n]!);
    const self = window[Math.floor(m / 2)]!;
    grudge.set(self, ring.filter((node) => !window.includes(node)));
  }
  return grudge;
}

/**
 * Jepsen's bridge: bisect, then the first node of the second half keeps
 * talking to everyone while the two halves without it are cut from each other.
 */
export function bridge<T>(nodes: readonly T[]): { left: T[]; bridge: T; right: T[] } {
  const [left, second] = bisect(nodes);
  const [bridgeNode, ...right] = second;
  return { left, bridge: bridgeNode!, right };
}
