/**
 * history.jsonl straight into {@link EventColumns}, for transactional
 * checkers over millions of events: a line in the exact shape our writers
 * produce (`{"index":…,"time":…,"process":…,"type":…,"f":…,"value":[…]}`,
 * optionally `"node"`, integers, ASCII strings without escapes, the value a
 * list of micro-operations) is read from its bytes with no string or object
 * made; any other line goes through the general reader (jsonl.ts), so both
 * read every file alike and report the same mistakes.
 */
import { open } from 'node:fs/promises';
import { EventColumns, NEMESIS, NULL_VALUE, SCALAR_VALUE } from './event-columns.js';
import { JSON_NULL, LINE_F, LINE_HEAD, LINE_NODE, LINE_PROCESS, LINE_TIME, LINE_TYPE, LINE_VALUE, QUOTED_NEMESIS, QUOTED_TYPES } from './jsonl-line.js';
import { parseRow } from './jsonl.js';
import { DIRECT_SCALARS, type StringTable } from './stores.js';

const NEWLINE = 0x0a;
const QUOTE = 0x22;
const COMMA = 0x2c;
const OPEN = 0x5b;
const CLOSE = 0x5d;


export function parseJsonlColumns(bytes: Buffer, source = 'history.jsonl'): EventColumns {
  const columns = new EventColumns(source, capacityFor(bytes.length));
  parseLines(new LineReader(columns), bytes, 1, true);
  return columns;
}

/** Bytes read per step: the file is never in memory as a whole (touching fresh memory is what costs most). */
const CHUNK_BYTES = 8 * 1024 * 1024;

/** `chunkBytes`: the size of the first read (tests use tiny ones to cross every boundary). */
export async function readJsonlColumnsFile(path: string, chunkBytes = CHUNK_BYTES): Promise<EventColumns> {
  const file = await open(path, 'r');
  try {
    const columns = new EventColumns(path, capacityFor((await file.stat()).size));
    const reader = new LineReader(columns);
    let buffer = Buffer.allocUnsafe(chunkBytes);
    let kept = 0;
    let line = 1;
    for (;;) {
      if (kept === buffer.length) {
        // One line longer than the buffer: make room for it.
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger, 0, 0, kept);
        buffer = bigger;
      }
      const { bytesRead } = await file.read(buffer, kept, buffer.length - kept, null);
      const end = kept + bytesRead;
      const final = bytesRead === 0;
      const done = parseLines(reader, buffer.subarray(0, end), line, final);
      if (final) return columns;
      line = done.line;
      buffer.copyWithin(0, done.consumed, end);
      kept = end - done.consumed;
    }
  } finally {
    await file.close();
  }
}

/** Room to reserve for a file of `bytes` (generous: reserved memory is not touched until used). */
function capacityFor(bytes: number): { events: number; mops: number; elems: number } {
  return { events: Math.ceil(bytes / 64), mops: Math.ceil(bytes / 24), elems: Math.ceil(bytes / 8) };
}

/**
 * Reads the complete lines of `bytes` (first one numbered `line`; the one
 * after the last newline only when `final`): where the unread rest begins and
 * its line number.
 */
function parseLines(reader: LineReader, bytes: Buffer, line: number, final: boolean): { consumed: number; line: number } {
  const columns = reader.columns;
  reader.b = bytes;
  let start = 0;
  for (; start < bytes.length; line++) {
    const next = reader.read(start, final);
    if (next >= 0) {
      start = next;
      continue;
    }
    let end = bytes.indexOf(NEWLINE, start);
    if (end === -1) {
      if (!final) break;
      end = bytes.length;
    }
    const event = parseRow(bytes.toString('utf8', start, end), columns.count, { source: columns.source, line });
    if (event !== undefined) columns.add(event);
    start = end + 1;
  }
  return { consumed: Math.min(start, bytes.length), line };
}

/** Reads one line in our own shape into the columns, or leaves them as they were and answers false. */
class LineReader {
  /** The bytes being read (a chunk of the file). */
  b: Buffer = Buffer.alloc(0);
  /** The number {@link LineReader.int} read last. */
  private n = 0;
  /** Where the string {@link LineReader.str} read last begins (after its quote). */
  private s = 0;

  constructor(readonly columns: EventColumns) {}

  /**
   * The line at `start` when it is in our own shape: where the next line
   * begins, or -1 (the columns untouched). Its end is the newline after its
   * `}`, or the end of the bytes when `final`.
   */
  read(start: number, final: boolean): number {
    const c = this.columns;
    let p = this.lit(start, LINE_HEAD);
    if (p < 0 || (p = this.int(p)) < 0 || this.n !== c.count) return -1;
    if ((p = this.lit(p, LINE_TIME)) < 0 || (p = this.int(p)) < 0 || this.n < 0) return -1;
    const time = this.n;
    if ((p = this.lit(p, LINE_PROCESS)) < 0) return -1;
    let process = NEMESIS;
    const q = this.lit(p, QUOTED_NEMESIS);
    if (q >= 0) p = q;
    else if ((p = this.int(p)) < 0 || this.n < 0) return -1;
    else process = this.n;
    if ((p = this.lit(p, LINE_TYPE)) < 0) return -1;
    let type = 0;
    for (; type < QUOTED_TYPES.length; type++) if (this.lit(p, QUOTED_TYPES[type]!) >= 0) break;
    if (type === QUOTED_TYPES.length) return -1;
    p += QUOTED_TYPES[type]!.length;
    if ((p = this.lit(p, LINE_F)) < 0 || (p = this.str(p)) < 0 || p - 1 === this.s) return -1;
    const f = this.intern(this.s, p - 1, c.strings);
    const mops = c.mopF.length;
    const elems = c.elems.length;
    if ((p = this.lit(p, LINE_VALUE)) < 0 || (p = this.mops(p)) < 0) return this.undo(mops, elems);
    const node = this.lit(p, LINE_NODE);
    if (node >= 0 && (p = this.str(node)) < 0) return this.undo(mops, elems);
    if (this.b[p++] !== 0x7d) return this.undo(mops, elems);
    if (this.b[p] === NEWLINE) p++;
    else if (!(final && p === this.b.length)) return this.undo(mops, elems);
    c.index.push(c.count);
    c.type.push(type);
    c.process.push(process);
    c.f.push(f);
    c.time.push(time);
    c.mopStart.push(c.mopF.length);
    c.count++;
    return p;
  }

  private undo(mops: number, elems: number): -1 {
    const c = this.columns;
    c.mopF.length = c.mopKey.length = c.mopVal.length = c.mopLen.length = mops;
    c.elems.length = elems;
    return -1;
  }

  /** `[` micro-operations `]`: each `[f, key, null | scalar | [scalars]]`. */
  private mops(p: number): number {
    const b = this.b;
    const c = this.columns;
    if (b[p++] !== OPEN) return -1;
    if (b[p] === CLOSE) return p + 1;
    for (;;) {
      if (b[p++] !== OPEN || (p = this.str(p)) < 0 || b[p++] !== COMMA) return -1;
      const f = this.intern(this.s, p - 2, c.strings);
      if ((p = this.scalar(p)) < 0 || b[p++] !== COMMA) return -1;
      c.mopF.push(f);
      c.mopKey.push(this.n);
      if (b[p] === OPEN) {
        c.mopVal.push(c.elems.length);
        let length = 0;
        p++;
        if (b[p] === CLOSE) p++;
        else {
          for (;;) {
            if ((p = this.scalar(p)) < 0) return -1;
            c.elems.push(this.n);
            length++;
            const x = b[p++];
            if (x === CLOSE) break;
            if (x !== COMMA) return -1;
          }
        }
        c.mopLen.push(length);
      } else if (this.lit(p, JSON_NULL) >= 0) {
        p += JSON_NULL.length;
        c.mopVal.push(0);
        c.mopLen.push(NULL_VALUE);
      } else {
        if ((p = this.scalar(p)) < 0) return -1;
        c.mopVal.push(this.n);
        c.mopLen.push(SCALAR_VALUE);
      }
      if (b[p++] !== CLOSE) return -1;
      const x = b[p++];
      if (x === CLOSE) return p;
      if (x !== COMMA) return -1;
    }
  }

  /** A scalar (integer or simple string); its id in `n`. */
  private scalar(p: number): number {
    if (this.b[p] === QUOTE) {
      const q = this.str(p);
      if (q < 0) return -1;
      this.n = this.columns.scalars.id(this.b.toString('latin1', this.s, q - 1));
      return q;
    }
    const q = this.int(p);
    if (q < 0) return -1;
    const n = this.n;
    if (!(n >= 0 && n < DIRECT_SCALARS)) this.n = this.columns.scalars.id(n);
    return q;
  }

  /** `-?(0|[1-9][0-9]*)` of at most 15 digits (exact as a double) into `n`; the position after it, or -1. */
  private int(p: number): number {
    const b = this.b;
    const negative = b[p] === 0x2d;
    if (negative) p++;
    const first = p;
    let n = 0;
    for (let d = b[p]! - 0x30; d >= 0 && d <= 9; d = b[p]! - 0x30) {
      n = n * 10 + d;
      p++;
    }
    const digits = p - first;
    if (digits === 0 || digits > 15 || (digits > 1 && b[first] === 0x30)) return -1;
    const x = b[p];
    // A fraction or an exponent is no integer: the general reader takes the line.
    if (x === 0x2e || x === 0x65 || x === 0x45) return -1;
    this.n = negative ? -n : n;
    return p;
  }

  /** A string of printable ASCII without escapes: its content begins at `s`; the position after its closing quote. */
  private str(p: number): number {
    const b = this.b;
    if (b[p++] !== QUOTE) return -1;
    this.s = p;
    for (;;) {
      const x = b[p++];
      if (x === QUOTE) return p;
      if (x === undefined || x < 0x20 || x >= 0x7f || x === 0x5c) return -1;
    }
  }

  /** The bytes `lit` at `p`: the position after them, or -1. */
  private lit(p: number, lit: Uint8Array): number {
    const b = this.b;
    for (let i = 0; i < lit.length; i++) if (b[p + i] !== lit[i]) return -1;
    return p + lit.length;
  }

  /** The id of the ASCII string `b[from..to)` in `table`, comparing bytes with the few names seen so far. */
  private intern(from: number, to: number, table: StringTable): number {
    const b = this.b;
    const n = to - from;
    const values = table.values;
    for (let id = 0; id < values.length && id < 16; id++) {
      const v = values[id]!;
      if (v.length !== n) continue;
      let i = 0;
      while (i < n && v.charCodeAt(i) === b[from + i]) i++;
      if (i === n) return id;
    }
    return table.id(b.toString('latin1', from, to));
  }
}
