/**
 * A sequential specification of an object, for the linearizability checker.
 * `step` is the object's behaviour: from `state`, does applying `input` allow
 * the observed `output`, and what is the next state?
 */

/** What an operation asked for: its function, the invoke's value and the key (keyed histories). */
export interface OperationInput {
  f: string;
  value: unknown;
  key?: string;
}

/**
 * A model. `output` is the `ok` completion's value, or `undefined` when the
 * outcome is unknown (an `info` or pending operation: `step` should then accept
 * whatever the operation could have done when it took effect).
 */
export interface Model<State = unknown> {
  /** Shown in results, e.g. `register`. */
  readonly name?: string;
  /** The functions the model understands; other functions in a history are an error. */
  readonly functions?: readonly string[];
  init(): State;
  step(state: State, input: OperationInput, output: unknown): [ok: boolean, next: State];
  /**
   * Independent objects (P-compositionality): operations with different
   * partitions are checked separately, e.g. one partition per key.
   */
  partition?(input: OperationInput): string;
  /** State equality; defaults to equal `hash`es. */
  equal?(a: State, b: State): boolean;
  /** A hash of a state (equal states, equal hashes); defaults to a canonical JSON string. */
  hash?(state: State): string | number;
  /**
   * True when the operation never changes the state (a read): such operations
   * with an unknown outcome constrain nothing and are left out of the search.
   */
  readOnly?(input: OperationInput): boolean;
  /** A state in words, e.g. `3` or `absent`. */
  describe?(state: State): string;
  /** An operation in words, e.g. `read() → 3`; `output` undefined for unknown outcomes. */
  describeOperation?(input: OperationInput, output: unknown): string;
}

/** JSON with object keys sorted, so equal values have equal strings. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? String(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value instanceof Set) return canonicalJson([...value].map(canonicalJson).sort());
  if (value instanceof Map) return canonicalJson([...value.entries()].map(([k, v]) => [canonicalJson(k), v]).sort());
  const record = value as Record<string, unknown>;
  return `{${Object.keys(record)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`)
    .join(',')}}`;
}

/** Equality of JSON values (numbers, strings, null, arrays, objects). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  return canonicalJson(a) === canonicalJson(b);
}

export function formatValue(value: unknown): string {
  if (value === undefined) return '?';
  if (value === null) return 'nil';
  return typeof value === 'string' ? JSON.stringify(value) : canonicalJson(value);
}

export function defaultDescribeOperation(input: OperationInput, output: unknown): string {
  const args = input.value === null || input.value === undefined ? '' : formatValue(input.value);
  const key = input.key === undefined ? '' : `[${input.key}]`;
  const result = output === undefined ? ' → ?' : ` → ${formatValue(output)}`;
  return `${input.f}${key}(${args})${result}`;
}
