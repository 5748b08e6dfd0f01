/**
 * The cycle search on hand-made graphs: each family finds its own cycle even
 * when a shorter cycle of another family hides it, and every cycle with an rw
 * edge belongs to exactly one of G-single, G-nonadjacent and G2-item.
 */
import { describe, expect, it } from 'vitest';
import { classify, componentCycles } from '../../lib/checker/elle/cycles.js';
import { EdgeList, type EdgeType, PROCESS, REALTIME, RW, WR, WW } from '../../lib/checker/elle/graph.js';

const KINDS: Record<string, EdgeType> = { ww: WW, wr: WR, rw: RW, process: PROCESS, realtime: REALTIME };

/** A strongly connected graph from `a b kind` triples (nodes 1-based as in Elle's tests). */
function graph(...edges: Array<[number, number, string]>) {
  const list = new EdgeList();
  const n = Math.max(...edges.flatMap(([a, b]) => [a, b]));
  for (const [a, b, kind] of edges) list.add(a - 1, b - 1, KINDS[kind]!);
  return list.freeze(n);
}

function found(...edges: Array<[number, number, string]>): Record<string, string> {
  const g = graph(...edges);
  const { cycles } = componentCycles(g, 1_000_000);
  return Object.fromEntries(cycles.map((c) => [c.type, c.edges.map((e) => ['ww', 'wr', 'rw', 'process', 'realtime'][g.kind[e]!]).join(' ')]));
}

describe('cycle families', () => {
  it('G-nonadjacent hidden behind a shorter G-single and G0', () => {
    const cycles = found([1, 2, 'rw'], [2, 3, 'ww'], [3, 4, 'rw'], [4, 1, 'wr'], [2, 1, 'ww'], [3, 2, 'ww']);
    expect(Object.keys(cycles).sort()).toEqual(['G-nonadjacent', 'G-single', 'G0']);
    expect(cycles['G-nonadjacent']!.split(' ').sort()).toEqual(['rw', 'rw', 'wr', 'ww']);
  });

  it('G2-item needs two adjacent rw edges; alternating ones are G-nonadjacent, not G2-item', () => {
    expect(Object.keys(found([1, 2, 'rw'], [2, 3, 'rw'], [3, 1, 'wr']))).toEqual(['G2-item']);
    expect(Object.keys(found([1, 2, 'rw'], [2, 3, 'wr'], [3, 4, 'rw'], [4, 1, 'ww']))).toEqual(['G-nonadjacent']);
    // The rw edge closing the ring is adjacent to the first: write skew.
    expect(Object.keys(found([1, 2, 'rw'], [2, 3, 'ww'], [3, 1, 'rw']))).toEqual(['G2-item']);
  });

  it('both kinds in one component are both reported', () => {
    const cycles = found([1, 2, 'rw'], [2, 1, 'rw'], [1, 3, 'wr'], [3, 4, 'rw'], [4, 2, 'wr'], [2, 1, 'wr']);
    expect(Object.keys(cycles).sort()).toEqual(['G-nonadjacent', 'G-single', 'G2-item']);
  });

  it('process and real-time variants only when data edges alone close no cycle', () => {
    expect(Object.keys(found([1, 2, 'rw'], [2, 3, 'wr'], [3, 4, 'rw'], [4, 1, 'process']))).toEqual(['G-nonadjacent-process']);
    expect(Object.keys(found([1, 2, 'rw'], [2, 3, 'realtime'], [3, 4, 'rw'], [4, 1, 'process']))).toEqual(['G-nonadjacent-realtime']);
  });

  it('classify (the budget fallback) names cycles the same way', () => {
    const g = graph([1, 2, 'rw'], [2, 3, 'wr'], [3, 4, 'rw'], [4, 1, 'ww']);
    expect(classify(g, [0, 1, 2, 3])).toBe('G-nonadjacent');
    const skew = graph([1, 2, 'rw'], [2, 1, 'rw']);
    expect(classify(skew, [0, 1])).toBe('G2-item');
  });
});
