/**
 * Turns the fields of one parsed record (JSON object, EDN map, log line) into
 * a {@link HistoryEvent}, checking each field's type, so every reader reports
 * the same mistakes in the same words.
 */
import { HistoryFormatError } from './errors.js';
import type { EventType, HistoryEvent, ProcessId } from './types.js';

const EVENT_TYPES: ReadonlySet<string> = new Set(['invoke', 'ok', 'fail', 'info']);

/** Where a record came from, for error messages. */
export interface RecordPlace {
  source: string;
  line: number;
}

export function parseEventType(raw: unknown, at: RecordPlace): EventType {
  if (typeof raw === 'string' && EVENT_TYPES.has(raw)) return raw as EventType;
  throw new HistoryFormatError(
    at.source,
    at.line,
    `type ${JSON.stringify(raw)} is not an event type; expected invoke, ok, fail or info`,
  );
}

export function parseProcess(raw: unknown, at: RecordPlace): ProcessId {
  if (raw === 'nemesis') return 'nemesis';
  if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0) return raw;
  if (typeof raw === 'bigint' && raw >= 0n && raw <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(raw);
  throw new HistoryFormatError(
    at.source,
    at.line,
    `process ${JSON.stringify(raw)} is not a process; expected a non-negative integer or "nemesis"`,
  );
}

export function parseFunction(raw: unknown, at: RecordPlace): string {
  if (typeof raw === 'string' && raw.length > 0) return raw;
  throw new HistoryFormatError(
    at.source,
    at.line,
    `f ${JSON.stringify(raw)} is not a function name; expected a non-empty string such as "read"`,
  );
}

function optionalString(raw: unknown, field: string, at: RecordPlace): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' || typeof raw === 'bigint') return String(raw);
  throw new HistoryFormatError(at.source, at.line, `${field} ${JSON.stringify(raw)} is not a string`);
}

function optionalTime(raw: unknown, field: string, at: RecordPlace): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === 'bigint') return Number(raw);
  if (typeof raw === 'number' && Number.isFinite(raw) && raw >= 0) return raw;
  throw new HistoryFormatError(at.source, at.line, `${field} ${JSON.stringify(raw)} is not a time; expected ns ≥ 0`);
}

/** An event's fields in the order every writer of ours puts them. */
const FIELD_ORDER = ['index', 'time', 'process', 'type', 'f', 'value', 'node', 'error', 'key', 'planned'] as const;

const isTime = (x: unknown): boolean => typeof x === 'number' && x >= 0 && x !== Number.POSITIVE_INFINITY;

/**
 * Whether a freshly parsed record already is the event {@link eventFromRecord}
 * would build from it: exactly an event's fields, in its order, each of the
 * type that needs no conversion. Readers then keep the record itself (one
 * object fewer per event, which matters for histories of millions).
 */
export function recordIsEvent(record: Record<string, unknown>, index: number): record is Record<string, unknown> & HistoryEvent {
  const process = record['process'];
  const type = record['type'];
  const f = record['f'];
  if (record['index'] !== index || !isTime(record['time']) || record['value'] === undefined) return false;
  if (process !== 'nemesis' && !(typeof process === 'number' && Number.isInteger(process) && process >= 0)) return false;
  if ((type !== 'invoke' && type !== 'ok' && type !== 'fail' && type !== 'info') || typeof f !== 'string' || f === '') return false;
  let next = 0;
  for (const field in record) {
    while (next < FIELD_ORDER.length && FIELD_ORDER[next] !== field) next++;
    if (next === FIELD_ORDER.length) return false;
    next++;
    if (next <= 6) continue;
    const x = record[field];
    if (field === 'planned' ? !isTime(x) : typeof x !== 'string') return false;
  }
  return true;
}

/**
 * Builds an event from a plain record. `index` is the event's position in the
 * history (the record's own `index`, when present, must agree).
 */
export function eventFromRecord(record: Record<string, unknown>, index: number, at: RecordPlace): HistoryEvent {
  if (record['index'] !== undefined && Number(record['index']) !== index) {
    throw new HistoryFormatError(
      at.source,
      at.line,
      `index ${String(record['index'])} is out of order; expected ${index} (events are dense and in order)`,
    );
  }
  const event: HistoryEvent = {
    index,
    time: optionalTime(record['time'], 'time', at) ?? 0,
    process: parseProcess(record['process'], at),
    type: parseEventType(record['type'], at),
    f: parseFunction(record['f'], at),
    value: record['value'] === undefined ? null : record['value'],
  };
  const node = optionalString(record['node'], 'node', at);
  if (node !== undefined) event.node = node;
  const error = record['error'];
  if (error !== undefined && error !== null) event.error = typeof error === 'string' ? error : JSON.stringify(error);
  const key = optionalString(record['key'], 'key', at);
  if (key !== undefined) event.key = key;
  const planned = optionalTime(record['planned'], 'planned', at);
  if (planned !== undefined) event.planned = planned;
  return event;
}
