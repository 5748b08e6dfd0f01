/** Collects anomalies by type: every occurrence counted, the first few kept with their explanation. */

export interface AnomalyExample {
  /** The transactions involved, as history indices of their invocations. */
  ops: number[];
  /** What happened, in words. */
  explanation: string;
  /** For cycle anomalies: one line per edge of the cycle. */
  steps?: string[];
  /** For cycle anomalies: the type of each edge (`ww`, `wr`, `rw`, `process`, `realtime`), from ops[i] to ops[i+1] (the last back to ops[0]). */
  edges?: string[];
  /** Set when the cycle search ran out of budget and this is a cycle, not necessarily the shortest. */
  partial?: boolean;
}

export class AnomalyLog {
  readonly counts = new Map<string, number>();
  readonly examples = new Map<string, AnomalyExample[]>();

  constructor(readonly keepPerType = 8) {}

  add(type: string, example: AnomalyExample): void {
    this.counts.set(type, (this.counts.get(type) ?? 0) + 1);
    let list = this.examples.get(type);
    if (!list) this.examples.set(type, (list = []));
    if (list.length < this.keepPerType) list.push(example);
  }

  has(type: string): boolean {
    return this.counts.has(type);
  }

  get types(): string[] {
    return [...this.counts.keys()].sort();
  }
}
