/**
 * A history in columns: what a transactional checker reads of each event
 * (index, time, process, type, f and value), in flat typed arrays, for
 * histories of millions of events. A value in Jepsen's `:txn` shape — a list
 * of `[f, key, value]` micro-operations whose key is a scalar and whose value
 * is null, a scalar or a list of scalars — is stored as micro-operation
 * columns; any other value is kept as it is, in `other`.
 *
 * Two readers fill it, and agree: {@link EventColumns.add} from parsed events
 * (any history), and the JSONL reader in jsonl-columns.ts straight from the
 * bytes of a file.
 */
import { Float64Store, Int32Store, type Scalar, ScalarTable, StringTable, Uint8Store } from './stores.js';
import type { EventType, History, HistoryEvent, ProcessId } from './types.js';

export const EVENT_TYPES: readonly EventType[] = ['invoke', 'ok', 'fail', 'info'];
/** `process` of a nemesis event. */
export const NEMESIS = -1;
/** `mopLen` of a micro-operation whose value is null. */
export const NULL_VALUE = -1;
/** `mopLen` of a micro-operation whose value is one scalar (its id is in `mopVal`). */
export const SCALAR_VALUE = -2;

const isScalar = (x: unknown): x is Scalar => typeof x === 'number' || typeof x === 'string';

export class EventColumns {
  count = 0;
  /** The event's own `index` (its position, in any history that is well-formed). */
  readonly index: Float64Store;
  readonly type: Uint8Store;
  /** The process number, or {@link NEMESIS}. */
  readonly process: Float64Store;
  /** Id of the event's function in `strings`. */
  readonly f: Int32Store;
  readonly time: Float64Store;
  /** The micro-operations of event i are `mopStart[i] .. mopStart[i + 1] - 1` (none when its value is in `other`). */
  readonly mopStart: Int32Store;
  /** Values that are not lists of micro-operations, by event index. */
  readonly other = new Map<number, unknown>();
  /** Per micro-operation: its function (id in `strings`), key (scalar id), value and value length. */
  readonly mopF: Int32Store;
  readonly mopKey: Int32Store;
  /** A scalar id ({@link SCALAR_VALUE}), or where the list starts in `elems`. */
  readonly mopVal: Int32Store;
  /** {@link NULL_VALUE}, {@link SCALAR_VALUE}, or the length of the list. */
  readonly mopLen: Int32Store;
  /** The lists' elements (scalar ids). */
  readonly elems: Int32Store;
  readonly strings = new StringTable();
  readonly scalars = new ScalarTable();

  /** `capacity`: room to reserve (untouched until used, so a generous guess is cheap and saves copying as they grow). */
  constructor(
    readonly source = 'history',
    capacity: { events: number; mops: number; elems: number } = { events: 1024, mops: 1024, elems: 1024 },
  ) {
    const { events, mops, elems } = capacity;
    this.index = new Float64Store(events);
    this.type = new Uint8Store(events);
    this.process = new Float64Store(events);
    this.f = new Int32Store(events);
    this.time = new Float64Store(events);
    this.mopStart = new Int32Store(events + 1);
    this.mopF = new Int32Store(mops);
    this.mopKey = new Int32Store(mops);
    this.mopVal = new Int32Store(mops);
    this.mopLen = new Int32Store(mops);
    this.elems = new Int32Store(elems);
    this.mopStart.push(0);
  }

  static of(history: History, source?: string): EventColumns {
    const n = history.length;
    const columns = new EventColumns(source, { events: n, mops: 4 * n, elems: 16 * n });
    for (const event of history) columns.add(event);
    return columns;
  }

  /** Appends an event. */
  add(event: HistoryEvent): void {
    const i = this.count;
    this.index.push(event.index);
    this.type.push(EVENT_TYPES.indexOf(event.type));
    this.process.push(event.process === 'nemesis' ? NEMESIS : event.process);
    this.f.push(this.strings.id(event.f));
    this.time.push(event.time);
    if (!this.addMops(event.value)) this.other.set(i, event.value);
    this.mopStart.push(this.mopF.length);
    this.count = i + 1;
  }

  /** Stores a value as micro-operations, or leaves every column as it was and answers false. */
  private addMops(value: unknown): boolean {
    if (!Array.isArray(value)) return false;
    for (const mop of value as unknown[]) {
      if (!Array.isArray(mop) || mop.length !== 3 || typeof mop[0] !== 'string' || !isScalar(mop[1])) return false;
      const v = mop[2] as unknown;
      if (v !== null && !isScalar(v) && !(Array.isArray(v) && v.every(isScalar))) return false;
    }
    for (const mop of value as Array<[string, Scalar, Scalar | Scalar[] | null]>) {
      const [f, key, v] = mop;
      this.mopF.push(this.strings.id(f));
      this.mopKey.push(this.scalars.id(key));
      if (v === null) {
        this.mopVal.push(0);
        this.mopLen.push(NULL_VALUE);
      } else if (!Array.isArray(v)) {
        this.mopVal.push(this.scalars.id(v));
        this.mopLen.push(SCALAR_VALUE);
      } else {
        this.mopVal.push(this.elems.length);
        this.mopLen.push(v.length);
        for (const x of v) this.elems.push(this.scalars.id(x));
      }
    }
    return true;
  }

  processOf(i: number): ProcessId {
    const p = this.process.data[i]!;
    return p === NEMESIS ? 'nemesis' : p;
  }

  fOf(i: number): string {
    return this.strings.values[this.f.data[i]!]!;
  }

  /** The list stored at `start`, `length` of `elems`, as values. */
  list(start: number, length: number): Scalar[] {
    const out: Scalar[] = [];
    for (let k = 0; k < length; k++) out.push(this.scalars.value(this.elems.data[start + k]!));
    return out;
  }

  /** Event i's value as the general reader gives it. */
  value(i: number): unknown {
    if (this.other.has(i)) return this.other.get(i);
    const out: unknown[] = [];
    for (let m = this.mopStart.data[i]!; m < this.mopStart.data[i + 1]!; m++) {
      const len = this.mopLen.data[m]!;
      const val = this.mopVal.data[m]!;
      const v = len === NULL_VALUE ? null : len === SCALAR_VALUE ? this.scalars.value(val) : this.list(val, len);
      out.push([this.strings.values[this.mopF.data[m]!]!, this.scalars.value(this.mopKey.data[m]!), v]);
    }
    return out;
  }

  /** Event i with the fields a checker of transactions reads. */
  event(i: number): HistoryEvent {
    const type = EVENT_TYPES[this.type.data[i]!]!;
    return { index: this.index.data[i]!, time: this.time.data[i]!, process: this.processOf(i), type, f: this.fOf(i), value: this.value(i) };
  }
}
