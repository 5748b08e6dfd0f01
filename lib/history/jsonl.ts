/** Our history format: `history.jsonl`, one {@link HistoryEvent} as a JSON object per line. */
import { readFile, writeFile } from 'node:fs/promises';
import { HistoryFormatError } from './errors.js';
import { eventFromRecord } from './event-fields.js';
import type { History, HistoryEvent } from './types.js';

/** A parsed file: the events and the line each came from (for error messages). */
export interface ParsedHistory {
  history: HistoryEvent[];
  /** `lines[i]` is the 1-based line of event i. */
  lines: number[];
  source: string;
}

export function parseJsonl(text: string, source = 'history.jsonl'): ParsedHistory {
  const history: HistoryEvent[] = [];
  const lines: number[] = [];
  const rows = text.split('\n');
  for (let i = 0; i < rows.length; i += 1) {
    const row = rows[i]!.trim();
    if (row === '') continue;
    const line = i + 1;
    let record: unknown;
    try {
      record = JSON.parse(row);
    } catch (error) {
      throw new HistoryFormatError(source, line, `not JSON (${(error as Error).message}); expected one event object per line`);
    }
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      throw new HistoryFormatError(source, line, 'expected a JSON object {"process", "type", "f", "value", …}');
    }
    history.push(eventFromRecord(record as Record<string, unknown>, history.length, { source, line }));
    lines.push(line);
  }
  return { history, lines, source };
}

/**
 * One event as its line of history.jsonl (no newline): the same text as
 * `JSON.stringify(event)` for an event whose fields are in {@link HistoryEvent}'s
 * order (as the recorder builds them), written field by field so that only
 * `value` and `error` go through JSON.stringify — the recorder's hot path.
 */
export function eventLine(event: HistoryEvent): string {
  const { process, value, node, error, key, planned } = event;
  let line = `{"index":${jsonNumber(event.index)},"time":${jsonNumber(event.time)},"process":${typeof process === 'number' ? jsonNumber(process) : jsonString(process)},"type":"${event.type}","f":${jsonString(event.f)}`;
  const json = value === null ? 'null' : typeof value === 'number' ? jsonNumber(value) : (JSON.stringify(value) as string | undefined);
  if (json !== undefined) line += `,"value":${json}`;
  if (node !== undefined) line += `,"node":${jsonString(node)}`;
  if (error !== undefined) line += `,"error":${JSON.stringify(error)}`;
  if (key !== undefined) line += `,"key":${jsonString(key)}`;
  if (planned !== undefined) line += `,"planned":${jsonNumber(planned)}`;
  return `${line}}`;
}

function jsonNumber(n: number): string {
  return typeof n === 'number' && Number.isFinite(n) ? `${n}` : JSON.stringify(n);
}

/** Quoted forms of the few strings every event repeats (f, node, key names). */
const quoted = new Map<string, string>();

function jsonString(s: string): string {
  let json = quoted.get(s);
  if (json === undefined) {
    json = JSON.stringify(s);
    if (typeof s !== 'string' || s.length > 64) return json;
    if (quoted.size >= 4096) quoted.clear();
    quoted.set(s, json);
  }
  return json;
}

/** One line per event, each ending in a newline. */
export function toJsonl(history: History): string {
  let out = '';
  for (const event of history) out += `${JSON.stringify(event)}\n`;
  return out;
}

export async function readJsonlFile(path: string): Promise<ParsedHistory> {
  return parseJsonl(await readFile(path, 'utf8'), path);
}

export async function writeJsonlFile(path: string, history: History): Promise<void> {
  await writeFile(path, toJsonl(history), { mode: 0o644 });
}
