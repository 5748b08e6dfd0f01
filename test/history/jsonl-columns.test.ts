/**
 * The history.jsonl reader into columns (jsonl-columns.ts) reads every file as
 * the general reader (jsonl.ts) does: the same events, the same errors, and
 * through the list-append checker the same verdicts and explanations.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkListAppend, checkListAppendColumns } from '../../lib/checker/elle/index.js';
import type { EventColumns } from '../../lib/history/event-columns.js';
import { type HistoryEvent, HistoryFormatError, readHistoryFile, toJsonl } from '../../lib/history/index.js';
import { parseJsonlColumns, readJsonlColumnsFile } from '../../lib/history/jsonl-columns.js';
import { parseJsonlBytes } from '../../lib/history/jsonl.js';
import { seededFloats, simulateListAppend } from '../helpers/list-append-sim.js';
import { etcdVerdicts, HISTORIES } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'pk-jsonl-columns-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What the columns keep of each event. */
const projection = (e: HistoryEvent): HistoryEvent => ({ index: e.index, time: e.time, process: e.process, type: e.type, f: e.f, value: e.value });
const decoded = (c: EventColumns): HistoryEvent[] => Array.from({ length: c.count }, (_, i) => c.event(i));
const general = (text: string): HistoryEvent[] => parseJsonlBytes(Buffer.from(text, 'utf8')).history.map(projection);

function agree(text: string): EventColumns {
  const columns = parseJsonlColumns(Buffer.from(text, 'utf8'));
  expect(decoded(columns)).toEqual(general(text));
  return columns;
}

const ODD_LINES = [
  '{"index":0,"time":0,"process":0,"type":"invoke","f":"txn","value":[["append","x",1],["r","x",null]],"node":"n1"}',
  '{"index":1,"time":5,"process":"nemesis","type":"info","f":"start-partition","value":{"a":["n1"]},"planned":3}',
  '{"index":2,"time":6,"process":0,"type":"ok","f":"txn","value":[["append","x",1],["r","x",[1]]],"node":"n1"}',
  '',
  '{"index":3,"time":7,"process":1,"type":"invoke","f":"txn","value":[["append","k\\"é",-3],["r",1e3,null],["append","y",1.5]]}',
  '  {"index":4,"time":8,"process":1,"type":"ok","f":"txn","value":[["append","k\\"é",-3],["r",1000,[2000000000,"s",7]],["append","y",1.5]]}\r',
  '{"process":2,"type":"invoke","f":"txn","value":[[":append","z",1],["r","z",[]]]}',
  '{"index":6,"time":9,"process":2,"type":"fail","f":"txn","value":[["append","z",1,"extra"]],"error":"boom"}',
  '{"index":7,"time":10,"process":3,"type":"invoke","f":"read","value":null}',
  '{"index":8,"time":11,"process":3,"type":"ok","f":"txn","value":[],"key":"k"}',
  '{"index":9,"time":12,"process":4,"type":"invoke","f":"txn","value":[["r",1073741824,[0,-7,9007199254740993]]]}',
].join('\n');

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(HistoryFormatError);
    return (error as Error).message;
  }
  throw new Error('expected a HistoryFormatError');
}

describe('history.jsonl into columns', () => {
  it('reads our own lines from their bytes and every other line through the general reader, alike', () => {
    const columns = agree(ODD_LINES);
    expect(columns.count).toBe(10);
    // Lists of [f, key, value] became micro-operation columns; the nemesis map, the four-element
    // micro-operation and the null value are kept as they are.
    expect([...columns.other.keys()]).toEqual([1, 6, 7]);
    agree(`${ODD_LINES}\n`);
    agree('');
  });

  it('reports a bad line as the general reader does', () => {
    for (const text of ['{"index":0,"time":0,"process":0,', '{"index":1,"time":0,"process":0,"type":"ok","f":"txn","value":[]}', '\n{"index":0,"time":-1,"process":0,"type":"ok","f":"txn","value":[]}', '{"index":0,"time":0,"process":0,"type":"done","f":"txn","value":[]}']) {
      const expected = errorOf(() => parseJsonlBytes(Buffer.from(text), 'h.jsonl'));
      expect(errorOf(() => parseJsonlColumns(Buffer.from(text), 'h.jsonl'))).toBe(expected);
    }
  });

  it('reads a file a chunk at a time, lines across chunk boundaries and longer than a chunk', async () => {
    const history = simulateListAppend({ seed: 3, transactions: 400, concurrency: 4, generator: { activeKeys: 3, maxWritesPerKey: 40 } });
    const text = `${ODD_LINES}\n${toJsonl(history.map((e, i) => ({ ...e, index: i + 10 })))}`;
    const file = join(dir, 'history.jsonl');
    writeFileSync(file, text);
    const expected = general(text);
    for (const chunk of [7, 64, 1000, 1 << 20]) expect(decoded(await readJsonlColumnsFile(file, chunk))).toEqual(expected);
  });

  it('agrees on the shared reference histories (EDN and Jepsen logs, written as JSONL)', async () => {
    const files = [
      ...readdirSync(join(HISTORIES, 'kv')).map((name) => ({ file: join(HISTORIES, 'kv', name), format: 'edn' as const })),
      ...etcdVerdicts().map(({ file }) => ({ file, format: 'jepsen-log' as const })),
    ];
    for (const { file, format } of files) agree(toJsonl((await readHistoryFile(file, format)).history));
    expect(files.length).toBeGreaterThan(5);
  });

  it('gives the list-append checker the same transactions: same result on anomalous random histories', () => {
    let invalid = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const r = seededFloats(seed * 131);
      const history = simulateListAppend({ seed, transactions: 10 + Math.floor(r() * 40), concurrency: 1 + Math.floor(r() * 4), generator: { activeKeys: 1 + Math.floor(r() * 3), maxWritesPerKey: 2 + Math.floor(r() * 5) } });
      // Plant anomalies: drop, repeat or reverse elements of reads, turn numeric keys and elements into strings.
      for (let m = 0; m < 3; m++) {
        const e = history[Math.floor(r() * history.length)]!;
        const mops = (e.value as unknown[][]).map((mop) => mop.map((x) => (Array.isArray(x) ? [...(x as unknown[])] : x)));
        const mop = mops[Math.floor(r() * mops.length)];
        const list = mop?.[2];
        const how = Math.floor(r() * 4);
        if (Array.isArray(list) && how === 0) list.pop();
        else if (Array.isArray(list) && list.length > 0 && how === 1) list.push(list[0]);
        else if (Array.isArray(list) && how === 2) list.reverse();
        else if (mop && how === 3) mop[1] = String(mop[1]);
        e.value = mops;
      }
      const expected = checkListAppend(history);
      if (expected.valid !== true) invalid++;
      expect(checkListAppendColumns(parseJsonlColumns(Buffer.from(toJsonl(history))))).toEqual(expected);
    }
    expect(invalid).toBeGreaterThan(50);
  });
});
