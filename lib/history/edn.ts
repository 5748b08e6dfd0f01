/**
 * Jepsen's EDN history: op maps such as
 * `{:process 9, :type :invoke, :f :append, :key "0", :value "x 9 0 y"}`, one per
 * line (Jepsen's `history.edn`) or all inside one vector. Parsed with edn-data;
 * keywords become strings, `nil` becomes `null`, vectors/lists/sets arrays.
 */
import { readFile } from 'node:fs/promises';
import { parseEDNString, toEDNString, type EDNVal } from 'edn-data';
import { HistoryFormatError } from './errors.js';
import { eventFromRecord } from './event-fields.js';
import type { ParsedHistory } from './jsonl.js';
import type { History, HistoryEvent } from './types.js';

const PARSE_OPTIONS = {
  mapAs: 'object',
  keywordAs: 'string',
  listAs: 'array',
  setAs: 'array',
  symbolAs: 'string',
  charAs: 'string',
} as const;

/** Tagged values (e.g. `#jepsen.history.Op{…}`) stand for their contents. */
function untag(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length === 2 && typeof record['tag'] === 'string' && 'val' in record) return untag(record['val']);
  }
  return value;
}

function parseValue(text: string, source: string, line: number): unknown {
  let value: unknown;
  try {
    value = parseEDNString(text, PARSE_OPTIONS);
  } catch (error) {
    throw new HistoryFormatError(source, line, `not EDN (${(error as Error).message}); expected an op map {:process …, :type …, :f …}`);
  }
  return untag(value);
}

function toRecord(value: unknown, source: string, line: number): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new HistoryFormatError(source, line, 'expected an EDN op map {:process …, :type …, :f …, :value …} (is the map complete?)');
  }
  return value as Record<string, unknown>;
}

export function parseEdn(text: string, source = 'history.edn'): ParsedHistory {
  const history: HistoryEvent[] = [];
  const lines: number[] = [];
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[') || trimmed.startsWith('(')) {
    // One collection of op maps: positions are reported as the op's ordinal.
    const all = parseValue(trimmed, source, 0);
    if (!Array.isArray(all)) throw new HistoryFormatError(source, 0, 'expected a vector of op maps (is it complete?)');
    all.forEach((item, i) => {
      history.push(eventFromRecord(toRecord(untag(item), source, i + 1), history.length, { source, line: i + 1 }));
      lines.push(i + 1);
    });
    return { history, lines, source };
  }
  const rows = text.split('\n');
  for (let i = 0; i < rows.length; i += 1) {
    const row = rows[i]!.trim();
    if (row === '' || row.startsWith(';')) continue;
    const line = i + 1;
    const record = toRecord(parseValue(row, source, line), source, line);
    history.push(eventFromRecord(record, history.length, { source, line }));
    lines.push(line);
  }
  return { history, lines, source };
}

export async function readEdnFile(path: string): Promise<ParsedHistory> {
  return parseEdn(await readFile(path, 'utf8'), path);
}

function keyword(name: string): EDNVal {
  return { key: name };
}

/** A JSON value as EDN: objects become maps with keyword keys, `undefined` nil. */
function ednValue(value: unknown): EDNVal {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return value;
  if (Array.isArray(value)) return value.map(ednValue);
  if (typeof value === 'object') {
    return { map: Object.entries(value as Record<string, unknown>).map(([k, v]): [EDNVal, EDNVal] => [keyword(k), ednValue(v)]) };
  }
  return String(value);
}

/** Jepsen's `:txn` shape: micro-operation names are keywords, `[[:append k v] [:r k [1 2]]]`. */
function txnValue(value: unknown): EDNVal {
  if (!Array.isArray(value)) return ednValue(value);
  return value.map((mop: unknown) =>
    Array.isArray(mop) && typeof mop[0] === 'string' ? [keyword(mop[0]), ...mop.slice(1).map(ednValue)] : ednValue(mop),
  );
}

/** One event as a Jepsen op map. */
export function eventToEdn(event: HistoryEvent): string {
  const entries: Array<[EDNVal, EDNVal]> = [
    [keyword('index'), event.index],
    [keyword('time'), event.time],
    [keyword('type'), keyword(event.type)],
    [keyword('process'), event.process === 'nemesis' ? keyword('nemesis') : event.process],
    [keyword('f'), keyword(event.f)],
    [keyword('value'), event.f === 'txn' ? txnValue(event.value) : ednValue(event.value)],
  ];
  if (event.key !== undefined) entries.push([keyword('key'), event.key]);
  if (event.node !== undefined) entries.push([keyword('node'), event.node]);
  if (event.error !== undefined) entries.push([keyword('error'), event.error]);
  if (event.planned !== undefined) entries.push([keyword('planned'), event.planned]);
  return toEDNString({ map: entries });
}

/** The whole history in Jepsen's `history.edn` form: one op map per line. */
export function toEdn(history: History): string {
  let out = '';
  for (const event of history) out += `${eventToEdn(event)}\n`;
  return out;
}
