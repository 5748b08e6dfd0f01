/**
 * The recorder's history in columns: typed arrays in fixed-size chunks, names
 * (f, node, key) as small ids, the rare fields (error, planned, a process that
 * is neither a client number nor the nemesis) in maps. A recorded event is
 * about 33 bytes in a few array slots, not a 150-byte object:
 * - nothing is left for the young generation's collector to copy and promote,
 *   which is where recording into objects spent its time (and a nemesis
 *   deadline its accuracy);
 * - chunks are never copied as the history grows, so each byte is touched
 *   once; fresh memory is what recording costs on a VM (its first touch costs
 *   more than the rest of recording an event).
 *
 * Events become {@link HistoryEvent} objects only when someone reads them.
 */
import { EVENT_TYPES } from './event-columns.js';
import type { EventType, HistoryEvent, ProcessId } from './types.js';

/** An event's type as its number in the `type` column: its place in EVENT_TYPES. */
export const TYPE_NUMBERS = Object.fromEntries(EVENT_TYPES.map((type, i) => [type, i])) as Readonly<Record<EventType, number>>;
/** The id of an absent node or key. */
export const NO_NAME = -1;
/** `process` column: the nemesis, and a process kept in {@link RecordedEvents.otherProcess}. */
const NEMESIS = -1;
const OTHER_PROCESS = -2;

const CHUNK_BITS = 14;
const CHUNK_SIZE = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK_SIZE - 1;

/** Events `k·CHUNK_SIZE …` of a history; read slot `i & CHUNK_MASK` of chunk `i >>> CHUNK_BITS`. */
export interface EventChunk {
  /** ns since the run started. */
  readonly time: Float64Array;
  /** A client process number, NEMESIS or OTHER_PROCESS. */
  readonly process: Int32Array;
  /** {@link TYPE_NUMBERS}. */
  readonly type: Uint8Array;
  /** Ids in {@link RecordedEvents.names}: the function, and the node and key or {@link NO_NAME}. */
  readonly f: Int32Array;
  readonly node: Int32Array;
  readonly key: Int32Array;
  /** The value as it was given (a reference: its JSON is written at the end of the turn). */
  readonly value: unknown[];
}

function newChunk(): EventChunk {
  return {
    time: new Float64Array(CHUNK_SIZE),
    process: new Int32Array(CHUNK_SIZE),
    type: new Uint8Array(CHUNK_SIZE),
    f: new Int32Array(CHUNK_SIZE),
    node: new Int32Array(CHUNK_SIZE),
    key: new Int32Array(CHUNK_SIZE),
    value: new Array<unknown>(CHUNK_SIZE).fill(null),
  };
}

export class RecordedEvents {
  length = 0;
  readonly #chunks: EventChunk[] = [];
  /** By event index: the few events that have them. */
  readonly error = new Map<number, string>();
  readonly planned = new Map<number, number>();
  readonly #otherProcess = new Map<number, ProcessId>();
  /** f, node and key names by id. */
  readonly names: string[] = [];
  readonly #ids = new Map<string, number>();

  /** The id of a name (f, node or key). */
  nameId(name: string): number {
    let id = this.#ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.#ids.set(name, id);
      this.names.push(name);
    }
    return id;
  }

  /** Appends an event; its index. `node`/`key` are name ids or {@link NO_NAME}. */
  push(time: number, process: ProcessId, type: number, f: number, value: unknown, node: number, key: number, error: string | undefined, planned: number | undefined): number {
    const index = this.length++;
    const slot = index & CHUNK_MASK;
    if (slot === 0) this.#chunks.push(newChunk());
    const chunk = this.#chunks[index >>> CHUNK_BITS]!;
    chunk.time[slot] = time;
    if (typeof process === 'number' && (process | 0) === process && process >= 0) {
      chunk.process[slot] = process;
    } else if (process === 'nemesis') {
      chunk.process[slot] = NEMESIS;
    } else {
      chunk.process[slot] = OTHER_PROCESS;
      this.#otherProcess.set(index, process);
    }
    chunk.type[slot] = type;
    chunk.f[slot] = f;
    chunk.value[slot] = value;
    chunk.node[slot] = node;
    chunk.key[slot] = key;
    if (error !== undefined) this.error.set(index, error);
    if (planned !== undefined) this.planned.set(index, planned);
    return index;
  }

  /** How many invoke events are of client processes (not the nemesis). */
  clientInvokes(): number {
    let count = 0;
    for (let i = 0; i < this.length; i += CHUNK_SIZE) {
      const chunk = this.chunk(i);
      const n = Math.min(CHUNK_SIZE, this.length - i);
      for (let s = 0; s < n; s++) if (chunk.type[s] === TYPE_NUMBERS.invoke && chunk.process[s] !== NEMESIS) count++;
    }
    return count;
  }

  /** The chunk that holds event `i`; its slot there is {@link slot}(i). */
  chunk(i: number): EventChunk {
    return this.#chunks[i >>> CHUNK_BITS]!;
  }

  slot(i: number): number {
    return i & CHUNK_MASK;
  }

  /** The process of event `i`, which is in `chunk` (its chunk). */
  process(chunk: EventChunk, i: number): ProcessId {
    const p = chunk.process[i & CHUNK_MASK]!;
    return p >= 0 ? p : p === NEMESIS ? 'nemesis' : this.#otherProcess.get(i)!;
  }

  /** Event `i` as an object (a new one each call). */
  event(i: number): HistoryEvent {
    const chunk = this.chunk(i);
    const s = i & CHUNK_MASK;
    const node = chunk.node[s]!;
    const key = chunk.key[s]!;
    // Every field present, absent ones undefined (which JSON leaves out): one object shape for all events.
    return {
      index: i,
      time: chunk.time[s]!,
      process: this.process(chunk, i),
      type: EVENT_TYPES[chunk.type[s]!]!,
      f: this.names[chunk.f[s]!]!,
      value: chunk.value[s],
      node: node === NO_NAME ? undefined : this.names[node],
      error: this.error.size === 0 ? undefined : this.error.get(i),
      key: key === NO_NAME ? undefined : this.names[key],
      planned: this.planned.size === 0 ? undefined : this.planned.get(i),
    };
  }
}
