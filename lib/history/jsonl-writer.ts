/**
 * history.jsonl lines encoded straight into bytes, for the recorder's
 * streaming writes. Building each line as a string and then UTF-8 encoding
 * the strings cost more than recording the event itself (number-to-string
 * conversions, a concatenation per field, flattening, the encode); here the
 * fixed parts, integers and the few strings every event repeats (f, node, key)
 * are copied as bytes, and only other values go through JSON.stringify.
 *
 * The bytes are exactly `JSON.stringify(event)` + '\n' for an event whose
 * fields are in {@link HistoryEvent}'s order (as the recorder builds them).
 */
import type { HistoryEvent } from './types.js';

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

const OPEN_INDEX = ascii('{"index":');
const TIME = ascii(',"time":');
const PROCESS = ascii(',"process":');
/** `,"type":"…","f":` for each event type. */
const TYPE_INVOKE = ascii(',"type":"invoke","f":');
const TYPE_OK = ascii(',"type":"ok","f":');
const TYPE_FAIL = ascii(',"type":"fail","f":');
const TYPE_INFO = ascii(',"type":"info","f":');
const VALUE = ascii(',"value":');
const NODE = ascii(',"node":');
const ERROR = ascii(',"error":');
const KEY = ascii(',"key":');
const PLANNED = ascii(',"planned":');
const NULL = ascii('null');
const CLOSE = ascii('}\n');

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
  /** UTF-8 of JSON.stringify(s) for the short strings events repeat. */
  readonly #quoted = new Map<string, Uint8Array>();

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
    if (this.#buf.length > KEPT_BYTES) this.#buf = Buffer.allocUnsafe(FIRST_BYTES);
  }

  /** Append one event's line (with its newline). */
  add(event: HistoryEvent): void {
    const { process, value, node, error, key, planned } = event;
    const type = event.type;
    const typeF = type === 'invoke' ? TYPE_INVOKE : type === 'ok' ? TYPE_OK : type === 'fail' ? TYPE_FAIL : type === 'info' ? TYPE_INFO : undefined;
    if (typeF === undefined) throw new TypeError(`history: event type ${JSON.stringify(event.type)} is not invoke, ok, fail or info`);
    // Fixed parts and integers (at most FIXED_ROOM bytes) go in after a room check; strings
    // check their own room and may move the buffer, so it is fetched again after each.
    let len = this.#len;
    let buf = this.#room(len, FIXED_ROOM);
    len = this.#number(buf, copy(buf, len, OPEN_INDEX), event.index);
    buf = this.#room(len, FIXED_ROOM);
    len = this.#number(buf, copy(buf, len, TIME), event.time);
    buf = this.#room(len, FIXED_ROOM);
    len = copy(buf, len, PROCESS);
    len = typeof process === 'number' ? this.#number(buf, len, process) : this.#string(len, process);
    buf = this.#room(len, FIXED_ROOM);
    len = this.#string(copy(buf, len, typeF), event.f);
    buf = this.#room(len, FIXED_ROOM);
    if (value === null) {
      len = copy(buf, copy(buf, len, VALUE), NULL);
    } else if (Number.isSafeInteger(value)) {
      len = writeInteger(buf, copy(buf, len, VALUE), value as number);
    } else {
      // undefined, a function or a symbol: JSON leaves the field out.
      const json = JSON.stringify(value) as string | undefined;
      if (json !== undefined) len = this.#text(copy(buf, len, VALUE), json);
    }
    if (node !== undefined) len = this.#string(copy(this.#room(len, FIXED_ROOM), len, NODE), node);
    if (error !== undefined) len = this.#text(copy(this.#room(len, FIXED_ROOM), len, ERROR), JSON.stringify(error));
    if (key !== undefined) len = this.#string(copy(this.#room(len, FIXED_ROOM), len, KEY), key);
    if (planned !== undefined) {
      buf = this.#room(len, FIXED_ROOM);
      len = this.#number(buf, copy(buf, len, PLANNED), planned);
    }
    this.#len = copy(this.#room(len, FIXED_ROOM), len, CLOSE);
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

function copy(buf: Buffer, len: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) buf[len++] = bytes[i]!;
  return len;
}

/** A safe integer in decimal at `len`, as JSON (and `${n}`) writes it, -0 as "0"; the new end. */
function writeInteger(buf: Buffer, len: number, n: number): number {
  if (n < 0) {
    buf[len++] = 0x2d;
    n = -n;
  }
  if (n < 2 ** 31) return writeSmall(buf, len, n, 0);
  // Above 2^31 the low nine digits are split off, so that all digit arithmetic stays on int32s.
  const high = Math.floor(n / 1e9);
  return writeSmall(buf, writeInteger(buf, len, high), n - high * 1e9, 9);
}

/** 0 ≤ n < 2^31 in decimal, padded with zeros to `width` digits; the new end. */
function writeSmall(buf: Buffer, len: number, n: number, width: number): number {
  let digits = 1;
  for (let p = 10; p <= n; p *= 10) digits++;
  if (digits < width) digits = width;
  const end = len + digits;
  for (let i = end - 1; i > len; i--) {
    const q = (n / 10) | 0;
    buf[i] = 0x30 + n - q * 10;
    n = q;
  }
  buf[len] = 0x30 + n;
  return end;
}
