/**
 * The log form of Jepsen histories (`jepsen.util` lines of a Jepsen run's log):
 *
 *     INFO  jepsen.util - 3	:invoke	:read	nil
 *     INFO  jepsen.util - 1	:ok	:cas	[4 2]
 *     INFO  jepsen.util - 4	:info	:write	:timed-out
 *
 * process, event type, function and value (EDN) separated by whitespace; every
 * other line is log noise and is skipped. A keyword value on a `fail`/`info`
 * completion is its error (e.g. `:timed-out`), not a value.
 */
import { readFile } from 'node:fs/promises';
import { parseEDNString } from 'edn-data';
import { HistoryFormatError } from './errors.js';
import { parseEventType, parseFunction, parseProcess } from './event-fields.js';
import type { ParsedHistory } from './jsonl.js';
import type { HistoryEvent } from './types.js';

// "jepsen.util - " then: process, :type, :f, and the rest (the value) — the log's own layout, not EDN.
const OP_LINE = /jepsen\.util - (\S+)\s+:(\S+)\s+:(\S+)(?:\s+(.*))?$/;

export function parseJepsenLog(text: string, source = 'jepsen.log'): ParsedHistory {
  const history: HistoryEvent[] = [];
  const lines: number[] = [];
  const rows = text.split('\n');
  for (let i = 0; i < rows.length; i += 1) {
    const match = OP_LINE.exec(rows[i]!.trimEnd());
    if (match === null) continue;
    const line = i + 1;
    const at = { source, line };
    const processText = match[1]!;
    const process = parseProcess(processText === ':nemesis' ? 'nemesis' : Number(processText), at);
    const type = parseEventType(match[2], at);
    const f = parseFunction(match[3], at);
    const raw = (match[4] ?? 'nil').trim();
    const isKeyword = /^:[^\s[\]{}()"]+$/.test(raw);
    const event: HistoryEvent = { index: history.length, time: 0, process, type, f, value: null };
    if (isKeyword && (type === 'fail' || type === 'info')) {
      event.error = raw.slice(1);
    } else {
      let value: unknown;
      try {
        value = parseEDNString(raw, { mapAs: 'object', keywordAs: 'string', listAs: 'array', setAs: 'array' });
      } catch (error) {
        // Nemesis values are often printed Clojure objects, not EDN: keep their text.
        if (process !== 'nemesis') throw new HistoryFormatError(source, line, `value ${raw} is not EDN (${(error as Error).message})`);
        value = raw;
      }
      if (value === null && raw !== 'nil' && process !== 'nemesis') {
        throw new HistoryFormatError(source, line, `value ${raw} is not a complete EDN value`);
      }
      event.value = value;
    }
    history.push(event);
    lines.push(line);
  }
  if (history.length === 0) {
    throw new HistoryFormatError(source, 0, 'no operations found; expected lines like "INFO  jepsen.util - 3\t:invoke\t:read\tnil"', {
      hint: 'is this a Jepsen log? use --format jsonl or edn for other histories',
    });
  }
  return { history, lines, source };
}

export async function readJepsenLogFile(path: string): Promise<ParsedHistory> {
  return parseJepsenLog(await readFile(path, 'utf8'), path);
}
