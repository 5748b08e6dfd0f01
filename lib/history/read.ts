/** Reading a history file in any supported format. */
import { readFile } from 'node:fs/promises';
import { parseEdn } from './edn.js';
import { HistoryFormatError } from './errors.js';
import { parseJepsenLog } from './jepsen-log.js';
import { parseJsonl, parseJsonlBytes, type ParsedHistory } from './jsonl.js';
import { validateHistory } from './operations.js';

export const HISTORY_FORMATS = ['jsonl', 'edn', 'jepsen-log'] as const;
export type HistoryFormat = (typeof HISTORY_FORMATS)[number];

export function parseHistory(text: string, format: HistoryFormat, source: string): ParsedHistory {
  switch (format) {
    case 'jsonl':
      return parseJsonl(text, source);
    case 'edn':
      return parseEdn(text, source);
    case 'jepsen-log':
      return parseJepsenLog(text, source);
  }
}

/**
 * Reads and validates a history file (see `validateHistory`): any problem is a
 * {@link HistoryFormatError} naming the file and line.
 */
export async function readHistoryFile(path: string, format: HistoryFormat): Promise<ParsedHistory> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new HistoryFormatError(path, 0, `cannot read: ${(error as Error).message}`, { cause: error });
  }
  // JSONL is parsed from the bytes a chunk at a time (histories of millions of events).
  const parsed = format === 'jsonl' ? parseJsonlBytes(bytes, path) : parseHistory(bytes.toString('utf8'), format, path);
  validateHistory(parsed.history, { source: path, lineOf: (i) => parsed.lines[i] ?? i + 1 });
  return parsed;
}
