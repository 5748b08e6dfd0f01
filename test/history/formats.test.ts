import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  HistoryFormatError,
  pairOperations,
  parseEdn,
  parseJepsenLog,
  parseJsonl,
  readHistoryFile,
  toEdn,
  toJsonl,
  type HistoryEvent,
} from '../../lib/history/index.js';
import { parseJsonlBytes } from '../../lib/history/jsonl.js';
import { etcdVerdicts, HISTORIES } from './support.js';

function errorOf(fn: () => unknown): HistoryFormatError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(HistoryFormatError);
    return error as HistoryFormatError;
  }
  throw new Error('expected a HistoryFormatError');
}

describe('Jepsen log reader', () => {
  it('reads every shared etcd history: ops, values, cas pairs and timeouts as errors', async () => {
    let events = 0;
    for (const { file } of etcdVerdicts()) {
      const parsed = await readHistoryFile(file, 'jepsen-log');
      events += parsed.history.length;
      expect(pairOperations(parsed.history).length).toBeGreaterThan(10);
    }
    expect(events).toBeGreaterThan(8000);
    const parsed = parseJepsenLog(
      'noise\nINFO  jepsen.util - 1\t:invoke\t:cas\t[4 2]\nINFO  jepsen.util - 1\t:info\t:cas\t:timed-out\nmore noise\n',
      'x.log',
    );
    expect(parsed.history).toEqual([
      { index: 0, time: 0, process: 1, type: 'invoke', f: 'cas', value: [4, 2] },
      { index: 1, time: 0, process: 1, type: 'info', f: 'cas', value: null, error: 'timed-out' },
    ]);
    expect(parsed.lines).toEqual([2, 3]);
  });

  it('names a file that holds no operations', () => {
    expect(errorOf(() => parseJepsenLog('hello\n', 'empty.log')).message).toMatch(/empty\.log: no operations found/);
  });
});

describe('EDN reader and writer', () => {
  it('reads the shared kv histories with keys', async () => {
    for (const name of readdirSync(join(HISTORIES, 'kv'))) {
      const parsed = await readHistoryFile(join(HISTORIES, 'kv', name), 'edn');
      expect(parsed.history[0]).toMatchObject({ index: 0, type: 'invoke', f: expect.any(String), key: expect.any(String) });
    }
  });

  it('round-trips a history through toEdn, including nemesis ops, maps and errors', () => {
    const history: HistoryEvent[] = [
      { index: 0, time: 10, process: 0, type: 'invoke', f: 'write', value: 3, node: 'n1' },
      { index: 1, time: 20, process: 'nemesis', type: 'info', f: 'start-partition', value: ['n1', 'n2'], planned: 15 },
      { index: 2, time: 30, process: 0, type: 'info', f: 'write', value: 3, error: 'timed-out' },
      { index: 3, time: 40, process: 5, type: 'invoke', f: 'txn', value: [['append', 1, 2], ['r', 1, null]] },
      { index: 4, time: 50, process: 5, type: 'ok', f: 'txn', value: { a: 'x y', b: [1] }, key: 'k' },
    ];
    const edn = toEdn(history);
    expect(edn.split('\n')[0]).toBe('{:index 0 :time 10 :type :invoke :process 0 :f :write :value 3 :node "n1"}');
    expect(edn).toContain(':process :nemesis');
    expect(parseEdn(edn).history).toEqual(history);
    expect(parseJsonl(toJsonl(history)).history).toEqual(history);
  });

  it('reads a history written as one vector and tagged ops', () => {
    const parsed = parseEdn('[{:process 0 :type :invoke :f :read :value nil}\n #jepsen.history.Op{:process 0 :type :ok :f :read :value 1}]');
    expect(parsed.history.map((e) => [e.type, e.value])).toEqual([['invoke', null], ['ok', 1]]);
  });

  it('says which line is not a complete op map', () => {
    const error = errorOf(() => parseEdn('{:process 0 :type :invoke :f :read :value nil}\n{:process 0 :type :ok', 'h.edn'));
    expect(error.line).toBe(2);
    expect(error.message).toMatch(/^h\.edn:2: expected an EDN op map/);
    expect(errorOf(() => parseEdn('{:process 0 :type :done :f :read}', 'h.edn')).message).toMatch(
      /h\.edn:1: type "done" is not an event type; expected invoke, ok, fail or info/,
    );
  });
});

describe('validation', () => {
  const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n');

  it('an ok without its invoke names the line', () => {
    const { history, lines } = parseJsonl(
      jsonl([
        { process: 0, type: 'invoke', f: 'read', value: null },
        { process: 0, type: 'ok', f: 'read', value: 1 },
        { process: 1, type: 'ok', f: 'write', value: 2 },
      ]),
      'h.jsonl',
    );
    const error = errorOf(() => pairOperations(history, { source: 'h.jsonl', lineOf: (i) => lines[i]! }));
    expect(error.message).toMatch(/^h\.jsonl:3: ok write on process 1 has no invoke before it; expected an invoke of write on process 1 first/);
  });

  it('two operations in flight on one process names both lines', () => {
    const { history } = parseJsonl(
      jsonl([
        { process: 2, type: 'invoke', f: 'read', value: null },
        { process: 2, type: 'invoke', f: 'write', value: 1 },
      ]),
    );
    expect(errorOf(() => pairOperations(history, { source: 'h' })).message).toMatch(
      /^h:2: two operations in flight on process 2: invoke write while read invoked at line 1 has not completed/,
    );
  });

  it('an unknown function is named with the expected ones', () => {
    const { history } = parseJsonl(jsonl([{ process: 0, type: 'invoke', f: 'frobnicate', value: 1 }]));
    expect(errorOf(() => pairOperations(history, { source: 'h', functions: ['read', 'write'] })).message).toMatch(
      /^h:1: unknown function "frobnicate" in invoke frobnicate on process 0; expected one of read, write/,
    );
  });

  it('malformed lines: not JSON, bad process, out-of-order index', () => {
    expect(errorOf(() => parseJsonl('{"process":0,\n', 'h')).message).toMatch(/^h:1: not JSON/);
    expect(errorOf(() => parseJsonl('{"process":-1,"type":"invoke","f":"read"}', 'h')).message).toMatch(
      /^h:1: process -1 is not a process/,
    );
    expect(errorOf(() => parseJsonl('\n{"index":5,"process":0,"type":"invoke","f":"read"}', 'h')).message).toMatch(
      /^h:2: index 5 is out of order; expected 0/,
    );
  });

  it('pairs completions with invokes: outputs only for ok, pending when never completed', () => {
    const { history } = parseJsonl(
      jsonl([
        { process: 0, type: 'invoke', f: 'write', value: 1, time: 5 },
        { process: 1, type: 'invoke', f: 'read', value: null, time: 6 },
        { process: 0, type: 'info', f: 'write', value: 1, error: 'timeout', time: 7 },
        { process: 'nemesis', type: 'info', f: 'kill', value: null },
      ]),
    );
    expect(pairOperations(history)).toEqual([
      { invoke: 0, complete: 2, process: 0, f: 'write', value: 1, output: undefined, outcome: 'info', invokeTime: 5, completeTime: 7, error: 'timeout' },
      { invoke: 1, process: 1, f: 'read', value: null, output: undefined, outcome: 'pending', invokeTime: 6 },
    ]);
  });
});

describe('JSONL reader over bytes', () => {
  it('reads a file of several chunks exactly as the text reader reads its text', () => {
    const rows: string[] = ['\uFEFF{"index":0,"time":1,"process":0,"type":"invoke","f":"write","value":"ünï ✓"}'];
    for (let i = 1, length = 0; length < 5 * 1024 * 1024; i++) {
      const value = JSON.stringify(i % 7 === 0 ? `ж${'é'.repeat(i % 300)}` : [['append', i % 5, i], ['r', i % 3, [1, 2, i]]]);
      if (i % 1000 === 0) rows.push('', '   ');
      length += value.length + 80;
      rows.push(`{"index":${i},"time":${i},"process":${i % 10},"type":"${i % 2 ? 'invoke' : 'ok'}","f":"txn","value":${value}}${i % 13 === 0 ? '\r' : ''}`);
    }
    const text = rows.join('\n');
    const fromBytes = parseJsonlBytes(Buffer.from(text, 'utf8'));
    expect(fromBytes.history.length).toBeGreaterThan(30_000);
    expect(fromBytes).toEqual(parseJsonl(text));
  });

  it('normalises records that are not in our own shape as the text reader does', () => {
    const rows = [
      '{"process":0,"type":"invoke","f":"read","value":null,"index":0}',
      '{"index":1,"time":5,"process":0,"type":"ok","f":"read","value":1,"node":7,"extra":true}',
      '{"index":2,"process":"nemesis","type":"info","f":"kill","error":{"code":1},"planned":3}',
      '{"index":3,"time":9,"process":1,"type":"invoke","f":"read","value":2,"node":null,"key":"k"}',
    ];
    const { history } = parseJsonlBytes(Buffer.from(rows.join('\n')));
    expect(history).toEqual([
      { index: 0, time: 0, process: 0, type: 'invoke', f: 'read', value: null },
      { index: 1, time: 5, process: 0, type: 'ok', f: 'read', value: 1, node: '7' },
      { index: 2, time: 0, process: 'nemesis', type: 'info', f: 'kill', value: null, error: '{"code":1}', planned: 3 },
      { index: 3, time: 9, process: 1, type: 'invoke', f: 'read', value: 2, key: 'k' },
    ]);
    expect(toJsonl(history)).toBe(toJsonl(parseJsonl(rows.join('\n')).history));
  });

  it('names the line of a bad row past the first chunk', () => {
    const good = (i: number) => `{"index":${i},"time":0,"process":0,"type":"${i % 2 ? 'ok' : 'invoke'}","f":"w","value":"${'x'.repeat(200)}"}`;
    const rows = Array.from({ length: 30_000 }, (_, i) => good(i));
    rows.push('{"index":30000, oops');
    const error = errorOf(() => parseJsonlBytes(Buffer.from(rows.join('\n')), 'h.jsonl'));
    expect(error.message).toMatch(/^h\.jsonl:30001: not JSON/);
  });
});
