/**
 * Container logs → lines placed on the run's time axis, so the page can show
 * every node's lines within ±1 s of a moment. Logs are raw container output:
 * a line's time is the timestamp the program printed (ISO 8601 as etcd/zap and
 * most Go programs print it, redis's `01 Dec 2026 19:21:00.123`, a JSON `ts`);
 * a line without one takes the time of the line before it. Times without a zone
 * are UTC (containers run without zone data).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { LogFile } from './run-files.js';

/** Bytes read per log file: the head and the tail half each (the middle of a huge log is elided). */
export const LOG_BYTES_PER_FILE = 2 * 1024 * 1024;
const LINE_MAX = 400;

export interface TimedLog {
  file: LogFile;
  /** s since run start, per line; NaN when no line so far had a timestamp. */
  times: number[];
  lines: string[];
  /** Bytes of the file that were not read. */
  elided: number;
  size: number;
}

/** `wallZeroMs`: the wall clock (ms since the epoch) of the run's time zero. */
export function readTimedLog(dir: string, file: LogFile, wallZeroMs: number): TimedLog {
  const { text, elided, size } = readHeadTail(join(dir, file.path), LOG_BYTES_PER_FILE);
  const times: number[] = [];
  const lines: string[] = [];
  let last = Number.NaN;
  for (const raw of text.split('\n')) {
    if (raw === '') continue;
    const ms = timestampOf(raw);
    if (ms !== undefined) last = (ms - wallZeroMs) / 1000;
    times.push(last);
    lines.push(raw.length > LINE_MAX ? `${raw.slice(0, LINE_MAX - 1)}…` : raw);
  }
  // Lines before the first timestamp belong to the first stamped moment.
  const first = times.find((t) => !Number.isNaN(t));
  if (first !== undefined) for (let i = 0; i < times.length && Number.isNaN(times[i]!); i++) times[i] = first;
  return { file, times, lines, elided, size };
}

function readHeadTail(path: string, max: number): { text: string; elided: number; size: number } {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size <= max) {
      const buf = Buffer.alloc(size);
      const n = readSync(fd, buf, 0, size, 0);
      return { text: buf.subarray(0, n).toString('utf8'), elided: 0, size };
    }
    const half = max / 2;
    const head = Buffer.alloc(half);
    const tail = Buffer.alloc(half);
    const h = readSync(fd, head, 0, half, 0);
    const t = readSync(fd, tail, 0, half, size - half);
    const headText = head.subarray(0, h).toString('utf8');
    const tailText = tail.subarray(0, t).toString('utf8');
    // Cut at line boundaries so no half line is shown.
    const text = `${headText.slice(0, headText.lastIndexOf('\n') + 1)}${tailText.slice(tailText.indexOf('\n') + 1)}`;
    return { text, elided: size - max, size };
  } finally {
    closeSync(fd);
  }
}

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };
const ISO = /(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?/;
const REDIS = /\b(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2})(\.\d+)?/;
const JSON_TS = /"(?:ts|time|timestamp)"\s*:\s*(?:"([^"]+)"|(\d+(?:\.\d+)?))/;
/** Timestamps are looked for near the start of a line (a date quoted inside a message is not the line's time). */
const HEAD = 64;

/** ms since the epoch of a line's own timestamp, or undefined. */
export function timestampOf(line: string): number | undefined {
  if (line.startsWith('{')) {
    const m = JSON_TS.exec(line);
    if (m) {
      if (m[2] !== undefined) {
        const n = Number(m[2]);
        return n > 1e12 ? n : n * 1000; // epoch ms or epoch seconds (zap's float)
      }
      const ms = isoMs(m[1]!);
      if (ms !== undefined) return ms;
    }
  }
  const head = line.slice(0, HEAD);
  const iso = isoMs(head);
  if (iso !== undefined) return iso;
  const r = REDIS.exec(head);
  if (r) return Date.UTC(Number(r[3]), MONTHS[r[2]!]!, Number(r[1]), Number(r[4]), Number(r[5]), Number(r[6])) + fractionMs(r[7]);
  return undefined;
}

function isoMs(text: string): number | undefined {
  const m = ISO.exec(text);
  if (!m) return undefined;
  let ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) + fractionMs(m[7]);
  const zone = m[8];
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
  }
  return Number.isNaN(ms) ? undefined : ms;
}

function fractionMs(fraction: string | undefined): number {
  return fraction ? Number(`0${fraction}`) * 1000 : 0;
}
