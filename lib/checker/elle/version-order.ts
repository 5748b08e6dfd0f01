/**
 * What can soundly be said about the order of a register's versions when a
 * read returns one value, not the history of the key (rw-register). Each
 * fact `a < b` comes from something that forces it:
 *  - the initial state: an unwritten register reads nil, and nil precedes
 *    every version;
 *  - write-follows-read: a transaction that read `a` and then wrote `b`;
 *  - with `sequentialKeys`: one process observed `a` before `b`;
 *  - with `linearizableKeys`: a transaction observing `a` completed before
 *    one observing `b` began.
 * A key whose facts form a cycle has no version order at all; a key whose
 * facts leave two versions unordered has only a partial one, and the
 * checker says so instead of choosing.
 */
/** A register's value; values are unique per key, so a value names a version. */
export type RegisterValue = number | string;

export type OrderSource = 'initial' | 'write-follows-read' | 'sequential' | 'realtime';

export interface OrderFact {
  key: string;
  /** The earlier version; null is the initial nil. */
  before: RegisterValue | null;
  after: RegisterValue;
  source: OrderSource;
  /** The transactions (invocation indices) whose observations gave the fact. */
  witnesses: [number, number];
}

/** The known order facts of one key, deduplicated. */
export class KeyVersions {
  readonly facts: OrderFact[] = [];
  private readonly seen = new Set<string>();
  /** Versions the order must place: installed by a committed transaction, or read by one. */
  readonly versions = new Set<RegisterValue>();

  constructor(readonly key: string) {}

  add(before: RegisterValue | null, after: RegisterValue, source: OrderSource, witnesses: [number, number]): void {
    if (before === after) return;
    const id = `${typeof before}:${String(before)}>${typeof after}:${String(after)}`;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    this.facts.push({ key: this.key, before, after, source, witnesses });
  }

  /** The facts between versions (not from nil), as adjacency. */
  private successors(): Map<RegisterValue, RegisterValue[]> {
    const out = new Map<RegisterValue, RegisterValue[]>();
    for (const f of this.facts) {
      if (f.before === null) continue;
      (out.get(f.before) ?? out.set(f.before, []).get(f.before)!).push(f.after);
    }
    return out;
  }

  /**
   * A topological order of the versions and the facts; `cyclic` when the
   * facts contradict each other, `total` when they allow exactly one order.
   */
  analyse(): { cyclic: RegisterValue[] | null; total: boolean; minimal: RegisterValue[] } {
    const nodes = new Set<RegisterValue>(this.versions);
    for (const f of this.facts) {
      if (f.before !== null) nodes.add(f.before);
      nodes.add(f.after);
    }
    const next = this.successors();
    const indegree = new Map<RegisterValue, number>([...nodes].map((v) => [v, 0]));
    for (const list of next.values()) for (const v of list) indegree.set(v, indegree.get(v)! + 1);
    const minimal = [...nodes].filter((v) => indegree.get(v) === 0);
    const ready = minimal.slice();
    let total = true;
    let placed = 0;
    while (ready.length > 0) {
      if (ready.length > 1) total = false;
      const v = ready.pop()!;
      placed++;
      for (const w of next.get(v) ?? []) {
        const d = indegree.get(w)! - 1;
        indegree.set(w, d);
        if (d === 0) ready.push(w);
      }
    }
    const cyclic = placed < nodes.size ? [...nodes].filter((v) => indegree.get(v)! > 0) : null;
    return { cyclic, total: total && cyclic === null, minimal };
  }
}
