/**
 * Interns model states as small integers, so the search's cache can key on
 * (linearized set, state id). Exact: states with equal hashes are told apart
 * with the model's `equal` when it has one.
 */
import { canonicalJson, type Model } from './model.js';

export class StateTable<State> {
  private readonly byHash = new Map<string | number, number | number[]>();
  readonly states: State[] = [];
  private readonly hash: (state: State) => string | number;
  private readonly equal: ((a: State, b: State) => boolean) | undefined;

  constructor(model: Model<State>) {
    this.hash = model.hash ? (s) => model.hash!(s) : (s) => canonicalJson(s);
    // Without `equal`, equal hashes mean equal states (the documented contract of `hash`).
    this.equal = model.equal ? (a, b) => model.equal!(a, b) : undefined;
  }

  /** The id of `state`, adding it when new. */
  intern(state: State): number {
    const key = this.hash(state);
    const found = this.byHash.get(key);
    if (found === undefined) return this.add(key, state, undefined);
    if (this.equal === undefined) return typeof found === 'number' ? found : found[0]!;
    const ids = typeof found === 'number' ? [found] : found;
    for (const id of ids) if (this.equal(this.states[id]!, state)) return id;
    return this.add(key, state, ids);
  }

  private add(key: string | number, state: State, bucket: number[] | undefined): number {
    const id = this.states.length;
    this.states.push(state);
    if (bucket === undefined) this.byHash.set(key, id);
    else {
      bucket.push(id);
      this.byHash.set(key, bucket);
    }
    return id;
  }

  get size(): number {
    return this.states.length;
  }
}
