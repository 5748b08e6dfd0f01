/** Our history format: `history.jsonl`, one {@link HistoryEvent} as a JSON object per line. */
import { readFile, writeFile } from 'node:fs/promises';
import { HistoryFormatError } from './errors.js';
import { eventFromRecord, type RecordPlace, recordIsEvent } from './event-fields.js';
import type { History, HistoryEvent } from './types.js';

/** A parsed file: the events and the line each came from (for error messages). */
export interface ParsedHistory {
  history: HistoryEvent[];
  /** `lines[i]` is the 1-based line of event i. */
  lines: number[];
  source: string;
}

export function parseJsonl(text: string, source = 'history.jsonl'): ParsedHistory {
  const parsed: ParsedHistory = { history: [], lines: [], source };
  parseRows(text, 1, parsed, true);
  return parsed;
}

/** Bytes decoded per step when parsing a file: large enough to amortise the decoding, small enough to die young. */
const CHUNK_BYTES = 4 * 1024 * 1024;
const NEWLINE = 0x0a;

/**
 * {@link parseJsonl} over the bytes of a file, decoded a few MB at a time at
 * line ends (a newline byte never occurs inside a UTF-8 sequence), so a large
 * history never exists as one giant string.
 */
export function parseJsonlBytes(bytes: Buffer, source = 'history.jsonl'): ParsedHistory {
  const parsed: ParsedHistory = { history: [], lines: [], source };
  let line = 1;
  for (let start = 0; start < bytes.length; ) {
    let end = Math.min(start + CHUNK_BYTES, bytes.length);
    if (end < bytes.length) {
      const last = bytes.lastIndexOf(NEWLINE, end - 1);
      const next = last >= start ? last : bytes.indexOf(NEWLINE, end);
      end = next === -1 ? bytes.length : next + 1;
    }
    line = parseRows(bytes.toString('utf8', start, end), line, parsed, end === bytes.length);
    start = end;
  }
  return parsed;
}

/**
 * Parses the newline-separated rows of `text` (first row = line `line`) into
 * `parsed`; the row after the last newline only when `final`. The next line number.
 */
function parseRows(text: string, line: number, parsed: ParsedHistory, final: boolean): number {
  const { history, lines, source } = parsed;
  for (let start = 0; ; line += 1) {
    let end = text.indexOf('\n', start);
    if (end === -1) {
      if (!final || start >= text.length) break;
      end = text.length;
    }
    const row = text.slice(start, end);
    start = end + 1;
    const event = parseRow(row, history.length, { source, line });
    if (event === undefined) continue;
    history.push(event);
    lines.push(line);
  }
  return line;
}

/**
 * One row of history.jsonl as the event at `index` (undefined for a blank
 * row); throws {@link HistoryFormatError} naming `at`.
 */
export function parseRow(text: string, index: number, at: RecordPlace): HistoryEvent | undefined {
  let row = text;
  // Our own lines need no trim; anything else is trimmed as a person would expect.
  if (row.charCodeAt(0) !== 0x7b || row.charCodeAt(row.length - 1) !== 0x7d) {
    row = row.trim();
    if (row === '') return undefined;
  }
  let record: unknown;
  try {
    record = JSON.parse(row);
  } catch (error) {
    throw new HistoryFormatError(at.source, at.line, `not JSON (${(error as Error).message}); expected one event object per line`);
  }
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    throw new HistoryFormatError(at.source, at.line, 'expected a JSON object {"process", "type", "f", "value", …}');
  }
  return recordIsEvent(record as Record<string, unknown>, index) ? (record as HistoryEvent) : eventFromRecord(record as Record<string, unknown>, index, at);
}

/** One line per event, each ending in a newline. */
export function toJsonl(history: History): string {
  let out = '';
  for (const event of history) out += `${JSON.stringify(event)}\n`;
  return out;
}

export async function readJsonlFile(path: string): Promise<ParsedHistory> {
  return parseJsonlBytes(await readFile(path), path);
}

export async function writeJsonlFile(path: string, history: History): Promise<void> {
  await writeFile(path, toJsonl(history), { mode: 0o644 });
}
