/**
 * history.jsonl → one row per operation (invoke paired with its completion on
 * the same process), stored column by column in typed arrays: that is what the
 * page embeds (compact, decoded without parsing a million objects) and what its
 * canvases draw from.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { HistoryEvent } from '../history/types.js';

/** Completion kinds as stored in {@link OpColumns.type}. */
export const OP_TYPES = ['ok', 'fail', 'info', 'pending'] as const;
const TYPE_CODE = { ok: 0, fail: 1, info: 2 } as const;
const PENDING = 3;
/** Longest value text kept per operation (hover and lists show it). */
const VALUE_TEXT_MAX = 160;

export interface OpColumns {
  count: number;
  /** Invoke time, s since run start, ascending. */
  t0: Float64Array;
  /** Completion − invoke, s; NaN when the operation never completed. */
  lat: Float32Array;
  /** Index into `lanes`. */
  lane: Uint32Array;
  /** Index into `fns`. */
  fn: Uint16Array;
  /** Index into OP_TYPES. */
  type: Uint8Array;
  /** History index of the invoke event (what checkers name in `ops`). */
  index: Uint32Array;
  /** Index into `strings`: the invoke's value (with its key, if any). */
  vin: Uint32Array;
  /** Index into `strings`: the completion's value and error. */
  vout: Uint32Array;
  /** Index into `nodes`; 0 = none. */
  node: Uint16Array;
  fns: string[];
  /** Lane labels: 'nemesis' first, then processes in numeric order. */
  lanes: string[];
  nodes: string[];
  strings: string[];
  /** Client operations per function and completion type (the nemesis is not counted). */
  counts: Record<string, Record<(typeof OP_TYPES)[number], number>>;
  /** Latest event time, s. */
  lastTime: number;
  /** Lines that were not history events. */
  badLines: number;
  /** Nemesis invocations, for the fault table's planned times. */
  nemesis: NemesisOp[];
}

export interface NemesisOp {
  index: number;
  f: string;
  value: string;
  /** s since run start. */
  time: number;
  planned?: number;
}

export async function readOpColumns(historyPath: string): Promise<OpColumns> {
  const b = new Builder();
  const lines = createInterface({ input: createReadStream(historyPath, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    let event: HistoryEvent;
    try {
      event = JSON.parse(line) as HistoryEvent;
    } catch {
      b.badLines++;
      continue;
    }
    b.add(event);
  }
  return b.finish();
}

/** The same from events in memory (tests, and callers that hold the history). */
export function opColumnsOf(events: Iterable<HistoryEvent>): OpColumns {
  const b = new Builder();
  for (const event of events) b.add(event);
  return b.finish();
}

class Builder {
  t0: number[] = [];
  end: number[] = [];
  proc: Array<string> = [];
  fn: number[] = [];
  type: number[] = [];
  index: number[] = [];
  vin: number[] = [];
  vout: number[] = [];
  node: number[] = [];
  fns = new Interner();
  nodes = new Interner(['']);
  strings = new Interner(['']);
  open = new Map<string, number>();
  lastTime = 0;
  badLines = 0;
  nemesis: NemesisOp[] = [];

  add(e: HistoryEvent): void {
    if (!e || typeof e !== 'object' || typeof e.type !== 'string' || e.process === undefined) {
      this.badLines++;
      return;
    }
    const seconds = (Number(e.time) || 0) / 1e9;
    if (seconds > this.lastTime) this.lastTime = seconds;
    const proc = String(e.process);
    if (e.type === 'invoke') {
      const op = this.t0.length;
      this.t0.push(seconds);
      this.end.push(Number.NaN);
      this.proc.push(proc);
      this.fn.push(this.fns.id(String(e.f)));
      this.type.push(PENDING);
      this.index.push(e.index);
      this.vin.push(this.strings.id(valueText(e.key === undefined ? e.value : `${e.key}: ${textOf(e.value)}`)));
      this.vout.push(0);
      this.node.push(this.nodes.id(e.node ?? ''));
      this.open.set(proc, op);
      if (proc === 'nemesis') {
        const planned = typeof e.planned === 'number' ? { planned: e.planned / 1e9 } : {};
        this.nemesis.push({ index: e.index, f: String(e.f), value: valueText(e.value), time: seconds, ...planned });
      }
      return;
    }
    const code = TYPE_CODE[e.type as keyof typeof TYPE_CODE];
    const op = this.open.get(proc);
    if (code === undefined || op === undefined) {
      this.badLines++;
      return;
    }
    this.open.delete(proc);
    this.end[op] = seconds;
    this.type[op] = code;
    const value = e.value === undefined || e.value === null ? '' : textOf(e.value);
    this.vout[op] = this.strings.id(clip(e.error ? (value ? `${value} — ${e.error}` : e.error) : value));
    if (e.node && this.node[op] === 0) this.node[op] = this.nodes.id(e.node);
  }

  finish(): OpColumns {
    const count = this.t0.length;
    // Invokes are in history order, which is time order; a stable sort guards hand-made files.
    const order = Array.from({ length: count }, (_, i) => i);
    if (!isSorted(this.t0)) order.sort((a, b) => this.t0[a]! - this.t0[b]!);
    const laneNames = [...new Set(this.proc)].sort(compareProcesses);
    const laneOf = new Map(laneNames.map((name, i) => [name, i]));
    const c: OpColumns = {
      count,
      t0: new Float64Array(count),
      lat: new Float32Array(count),
      lane: new Uint32Array(count),
      fn: new Uint16Array(count),
      type: new Uint8Array(count),
      index: new Uint32Array(count),
      vin: new Uint32Array(count),
      vout: new Uint32Array(count),
      node: new Uint16Array(count),
      fns: this.fns.values,
      lanes: laneNames,
      nodes: this.nodes.values,
      strings: this.strings.values,
      counts: {},
      lastTime: this.lastTime,
      badLines: this.badLines,
      nemesis: this.nemesis,
    };
    order.forEach((from, to) => {
      c.t0[to] = this.t0[from]!;
      c.lat[to] = this.end[from]! - this.t0[from]!;
      c.lane[to] = laneOf.get(this.proc[from]!)!;
      c.fn[to] = this.fn[from]!;
      c.type[to] = this.type[from]!;
      c.index[to] = this.index[from]!;
      c.vin[to] = this.vin[from]!;
      c.vout[to] = this.vout[from]!;
      c.node[to] = this.node[from]!;
      if (this.proc[from] === 'nemesis') return;
      const f = c.fns[c.fn[to]!]!;
      const counts = (c.counts[f] ??= { ok: 0, fail: 0, info: 0, pending: 0 });
      counts[OP_TYPES[c.type[to]!]!]++;
    });
    return c;
  }
}

class Interner {
  readonly values: string[];
  readonly #ids = new Map<string, number>();
  constructor(initial: string[] = []) {
    this.values = [];
    for (const v of initial) this.id(v);
  }
  id(value: string): number {
    let id = this.#ids.get(value);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(value);
      this.#ids.set(value, id);
    }
    return id;
  }
}

function compareProcesses(a: string, b: string): number {
  if (a === b) return 0;
  if (a === 'nemesis') return -1;
  if (b === 'nemesis') return 1;
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a < b ? -1 : 1;
}

function isSorted(values: number[]): boolean {
  for (let i = 1; i < values.length; i++) if (values[i]! < values[i - 1]!) return false;
  return true;
}

function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? '';
}

function valueText(value: unknown): string {
  return clip(value === undefined ? '' : textOf(value));
}

function clip(text: string): string {
  return text.length > VALUE_TEXT_MAX ? `${text.slice(0, VALUE_TEXT_MAX - 1)}…` : text;
}
