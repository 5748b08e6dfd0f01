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
