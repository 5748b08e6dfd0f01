/**
 * The fixed bytes of a history.jsonl line in the recorder's own shape
 * (`{"index":…,"time":…,"process":…,"type":"…","f":…,"value":…,"node":…,"error":…,"key":…,"planned":…}`),
 * shared by the writer that encodes it and the column reader that reads it
 * straight from the bytes. Buffers, so the byte loops see one kind of array.
 */
import { EVENT_TYPES } from './event-columns.js';

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');

export const LINE_HEAD = latin1('{"index":');
export const LINE_TIME = latin1(',"time":');
export const LINE_PROCESS = latin1(',"process":');
export const LINE_TYPE = latin1(',"type":');
export const LINE_F = latin1(',"f":');
export const LINE_VALUE = latin1(',"value":');
export const LINE_NODE = latin1(',"node":');
export const LINE_ERROR = latin1(',"error":');
export const LINE_KEY = latin1(',"key":');
export const LINE_PLANNED = latin1(',"planned":');
export const LINE_END = latin1('}\n');
export const JSON_NULL = latin1('null');
export const QUOTED_NEMESIS = latin1('"nemesis"');
/** Each event type as a JSON string, by its number in {@link EVENT_TYPES}. */
export const QUOTED_TYPES: readonly Buffer[] = EVENT_TYPES.map((type) => latin1(JSON.stringify(type)));
