/**
 * history.jsonl lines encoded straight into bytes, for the recorder's
 * streaming writes. Building each line as a string and then UTF-8 encoding
 * the strings cost more than recording the event itself (number-to-string
 * conversions, a concatenation per field, flattening, the encode); here the
 * fixed parts, integers and the few strings every event repeats (f, node, key)
 * are copied as bytes, and only other values go through JSON.stringify.
 *
 * The bytes are exactly `JSON.stringify(event)` + '\n' of the event as
 * {@link RecordedEvents.event} makes it (fields in HistoryEvent's order).
 */
import {
  JSON_NULL,
  LINE_END,
  LINE_ERROR,
  LINE_F,
  LINE_HEAD,
  LINE_KEY,
  LINE_NODE,
  LINE_PLANNED,
  LINE_PROCESS,
  LINE_TIME,
  LINE_TYPE,
  LINE_VALUE,
  QUOTED_TYPES,
} from './jsonl-line.js';
import { NO_NAME, type RecordedEvents } from './recorded-events.js';

/** `,"type":"…","f":` by type number (EVENT_TYPES). */
const TYPE_F = QUOTED_TYPES.map((type) => Buffer.concat([LINE_TYPE, type, LINE_F]));
/** "00" … "99": integers are written two digits at a time. */
const DIGIT_PAIRS = Buffer.from(Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0')).join(''), 'latin1');

/** Strings longer than this are not kept in quoted form (f, node and key names are short). */
const QUOTED_MAX_LENGTH = 64;
const QUOTED_MAX_ENTRIES = 4096;
/** A buffer larger than this is not kept after a flush. */
const KEPT_BYTES = 4 * 1024 * 1024;
const FIRST_BYTES = 64 * 1024;
/** Texts up to this many characters are copied byte by byte when they are ASCII. */
const SHORT_TEXT = 64;
/** Enough for every fixed part of a line and its integers (a safe integer is at most 17 bytes). */
const FIXED_ROOM = 256;

/** A reusable byte buffer that history.jsonl lines are appended to. */
export class JsonlWriter {
  #buf = Buffer.allocUnsafe(FIRST_BYTES);
  #len = 0;
  /** UTF-8 of JSON.stringify(s) for the short strings events repeat (a process that is a string). */
  readonly #quoted = new Map<string, Buffer>();
  /**
   * The runs of bytes most lines repeat, made once from the recorded names (whose ids belong to
   * one recorder's events): `,"type":"…","f":"<f>"` by type and f, and `,"node":"<node>","key":"<key>"}\n`
   * by node and key (the end of every line without an error or planned time). Short names only.
   */
  readonly #typeF: Array<Array<Buffer | undefined>> = [[], [], [], []];
  readonly #tails: Array<Array<Buffer | undefined>> = [];
  #lastValue: unknown = undefined;
  #lastJson: string | undefined = undefined;

  /** The encoded bytes so far are `buffer[0, length)`. */
  get buffer(): Buffer {
    return this.#buf;
  }

  get length(): number {
    return this.#len;
  }

  /** Forget the encoded bytes (and a very large buffer). */
  clear(): void {
    this.#len = 0;
    this.#lastValue = undefined;
    this.#lastJson = undefined;
    if (this.#buf.length > KEPT_BYTES) this.#buf = Buffer.allocUnsafe(FIRST_BYTES);
  }

  /** Append event `i`'s line (with its newline). */
  add(events: RecordedEvents, i: number): void {
    const chunk = events.chunk(i);
    const slot = events.slot(i);
    const process = events.process(chunk, i);
    const value = chunk.value[slot];
    const type = chunk.type[slot]!;
    const f = chunk.f[slot]!;
    const node = chunk.node[slot]!;
    const key = chunk.key[slot]!;
    const time = chunk.time[slot]!;
    // The head and its integers (at most FIXED_ROOM bytes) go in after one room check; anything
    // else checks its own room and may move the buffer, so it is fetched again after each.
    let len = this.#len;
    let buf = this.#room(len, FIXED_ROOM);
    len = writeUint(buf, copy(buf, len, LINE_HEAD), i);
    len = copy(buf, len, LINE_TIME);
    len = Number.isSafeInteger(time) && time >= 0 ? writeUint(buf, len, time) : this.#text(len, JSON.stringify(time));
    buf = this.#room(len, FIXED_ROOM);
    len = copy(buf, len, LINE_PROCESS);
    len = typeof process === 'number' ? this.#number(buf, len, process) : this.#string(len, process);
    const typeF = this.#typeF[type]![f] ?? this.#makeTypeF(events, type, f);
    buf = this.#room(len, typeF.length + FIXED_ROOM);
    len = copy(buf, len, typeF);
    if (value === null) {
      len = copy(buf, copy(buf, len, LINE_VALUE), JSON_NULL);
    } else if (Number.isSafeInteger(value)) {
      len = writeInteger(buf, copy(buf, len, LINE_VALUE), value as number);
    } else {
      // undefined, a function or a symbol: JSON leaves the field out.
      const json = this.#json(value);
      if (json !== undefined) len = this.#text(copy(buf, len, LINE_VALUE), json);
    }
    const error = events.error.size === 0 ? undefined : events.error.get(i);
    const planned = events.planned.size === 0 ? undefined : events.planned.get(i);
    if (error === undefined && planned === undefined) {
      const tail = this.#tails[node + 1]?.[key + 1] ?? this.#makeTail(events, node, key);
      this.#len = copy(this.#room(len, tail.length), len, tail);
      return;
    }
    if (node !== NO_NAME) len = this.#string(copy(this.#room(len, FIXED_ROOM), len, LINE_NODE), events.names[node]!);
    if (error !== undefined) len = this.#text(copy(this.#room(len, FIXED_ROOM), len, LINE_ERROR), JSON.stringify(error));
    if (key !== NO_NAME) len = this.#string(copy(this.#room(len, FIXED_ROOM), len, LINE_KEY), events.names[key]!);
    if (planned !== undefined) {
      buf = this.#room(len, FIXED_ROOM);
      len = this.#number(buf, copy(buf, len, LINE_PLANNED), planned);
    }
    this.#len = copy(this.#room(len, FIXED_ROOM), len, LINE_END);
  }

  /**
   * JSON of a value. A completion usually carries its invoke's value (the same reference), so the
   * last text is kept for one turn's lines: a value is read at one moment per turn either way.
   */
  #json(value: unknown): string | undefined {
    if (value === this.#lastValue) return this.#lastJson;
    const json = JSON.stringify(value) as string | undefined;
    this.#lastValue = value;
    this.#lastJson = json;
    return json;
  }

  /** `,"type":"<type>","f":"<f>"` (kept when f is short). */
  #makeTypeF(events: RecordedEvents, type: number, f: number): Buffer {
    const name = events.names[f]!;
    const bytes = Buffer.concat([TYPE_F[type]!, Buffer.from(JSON.stringify(name))]);
    if (name.length <= QUOTED_MAX_LENGTH) this.#typeF[type]![f] = bytes;
    return bytes;
  }

  /** `,"node":"<node>","key":"<key>"}\n`, each part when present (kept when both are short). */
  #makeTail(events: RecordedEvents, node: number, key: number): Buffer {
    const nodeName = node === NO_NAME ? undefined : events.names[node]!;
    const keyName = key === NO_NAME ? undefined : events.names[key]!;
    const parts: Buffer[] = [];
    if (nodeName !== undefined) parts.push(LINE_NODE, Buffer.from(JSON.stringify(nodeName)));
    if (keyName !== undefined) parts.push(LINE_KEY, Buffer.from(JSON.stringify(keyName)));
    const bytes = Buffer.concat([...parts, LINE_END]);
    if ((nodeName?.length ?? 0) <= QUOTED_MAX_LENGTH && (keyName?.length ?? 0) <= QUOTED_MAX_LENGTH) (this.#tails[node + 1] ??= [])[key + 1] = bytes;
    return bytes;
  }

  /** The buffer, with room for `bytes` more after `len` (the bytes before `len` are kept). */
  #room(len: number, bytes: number): Buffer {
    if (len + bytes <= this.#buf.length) return this.#buf;
    const bigger = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, len + bytes));
    this.#buf.copy(bigger, 0, 0, len);
    this.#buf = bigger;
    return bigger;
  }

  /** A JSON text (any string) as UTF-8 at `len`; the new end. */
  #text(len: number, json: string | undefined): number {
    // Only a value JSON cannot write (which no recorded event holds) gives undefined.
    const text = json ?? 'null';
    // A UTF-16 code unit is at most 3 bytes of UTF-8.
    const buf = this.#room(len, text.length * 3);
    // Short ASCII texts (most values: "x", [1,2]) are copied here: cheaper than a call into the encoder.
    if (text.length <= SHORT_TEXT) {
      let i = 0;
      for (; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c >= 0x80) break;
        buf[len + i] = c;
      }
      if (i === text.length) return len + i;
    }
    return len + buf.write(text, len);
  }

  /** A number at `len` (`buf` has FIXED_ROOM bytes there; anything else may move the buffer); the new end. */
  #number(buf: Buffer, len: number, n: number): number {
    return Number.isSafeInteger(n) ? writeInteger(buf, len, n) : this.#text(len, JSON.stringify(n));
  }

  /** A JSON string at `len` (quoted bytes kept for short ones); the new end. */
  #string(len: number, s: string): number {
    let bytes = this.#quoted.get(s);
    if (bytes === undefined) {
      const json = JSON.stringify(s) as string | undefined;
      if (typeof s !== 'string' || s.length > QUOTED_MAX_LENGTH) return this.#text(len, json);
      if (this.#quoted.size >= QUOTED_MAX_ENTRIES) this.#quoted.clear();
      bytes = Buffer.from(json!);
      this.#quoted.set(s, bytes);
    }
    return copy(this.#room(len, bytes.length), len, bytes);
  }
}

function copy(buf: Buffer, len: number, bytes: Buffer): number {
  for (let i = 0; i < bytes.length; i++) buf[len++] = bytes[i]!;
  return len;
}

/** A safe integer in decimal at `len`, as JSON (and `${n}`) writes it, -0 as "0"; the new end. */
function writeInteger(buf: Buffer, len: number, n: number): number {
  if (n < 0) {
    buf[len++] = 0x2d;
    n = -n;
  }
  return writeUint(buf, len, n);
}

/** A safe integer ≥ 0 in decimal at `len`; the new end. */
function writeUint(buf: Buffer, len: number, n: number): number {
  if (n < 2 ** 31) return writeSmall(buf, len, n, digitCount(n));
  // Above 2^31 the low nine digits are split off, so that all digit arithmetic stays on int32s.
  const high = Math.floor(n / 1e9);
  const low = n - high * 1e9;
  return writeSmall(buf, writeUint(buf, len, high), low, 9);
}

/** Decimal digits of 0 ≤ n < 2^31. */
function digitCount(n: number): number {
  if (n < 100_000) return n < 100 ? (n < 10 ? 1 : 2) : n < 1000 ? 3 : n < 10_000 ? 4 : 5;
  return n < 10_000_000 ? (n < 1_000_000 ? 6 : 7) : n < 100_000_000 ? 8 : n < 1_000_000_000 ? 9 : 10;
}

/** 0 ≤ n < 2^31 as exactly `digits` decimal digits (zero-padded; `digits` ≥ its own count); the new end. */
function writeSmall(buf: Buffer, len: number, n: number, digits: number): number {
  const end = len + digits;
  let i = end;
  while (n >= 100) {
    const q = (n / 100) | 0;
    const pair = (n - q * 100) * 2;
    buf[--i] = DIGIT_PAIRS[pair + 1]!;
    buf[--i] = DIGIT_PAIRS[pair]!;
    n = q;
  }
  if (n >= 10) {
    buf[--i] = DIGIT_PAIRS[n * 2 + 1]!;
    buf[--i] = DIGIT_PAIRS[n * 2]!;
  } else {
    buf[--i] = 0x30 + n;
  }
  while (i > len) buf[--i] = 0x30;
  return end;
}
