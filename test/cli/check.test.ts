import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CheckFileJson } from '../../lib/cli/check.js';
import { HISTORIES } from '../history/support.js';
import { runCli } from './support.js';

const etcd = (name: string) => join(HISTORIES, 'jepsen-etcd', name);

describe('pakostii check', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pakostii-check-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--json: one object per file; exit 1 when any file is not linearizable', async () => {
    const result = await runCli(['check', '--model', 'register', '--format', 'jepsen-log', '--json', etcd('etcd_002.log'), etcd('etcd_000.log')]);
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as CheckFileJson);
    expect(lines.map((l) => [l.file, l.valid])).toEqual([
      [etcd('etcd_002.log'), true],
      [etcd('etcd_000.log'), false],
    ]);
    expect(lines[0]).toMatchObject({ ops: expect.any(Number), ms: expect.any(Number) });
    expect(lines[1]!.counterexample!.linearization!.length).toBeGreaterThan(0);
  });

  it('exit 0 when every file is linearizable (kv, EDN), with a readable line per file', async () => {
    const result = await runCli(['check', '--model', 'kv', '--format', 'edn', join(HISTORIES, 'kv', 'c01-ok.txt'), join(HISTORIES, 'kv', 'c10-ok.txt')]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/c01-ok\.txt: linearizable \(\d+ operations/);
  });

  it('exit 2 for an unreadable history, naming the line and what was expected', async () => {
    const file = join(dir, 'bad.jsonl');
    writeFileSync(file, '{"process":0,"type":"invoke","f":"read","value":null}\n{"process":0,"type":"invoke","f":"write","value":1}\n');
    const result = await runCli(['check', '--model', 'register', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${file}:2: two operations in flight on process 0`);
    const unknownFn = join(dir, 'fn.jsonl');
    writeFileSync(unknownFn, '{"process":0,"type":"invoke","f":"incr","value":null}\n');
    const second = await runCli(['check', '--model', 'register', unknownFn]);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`${unknownFn}:1: unknown function "incr"`);
    expect(second.stderr).toContain('expected one of read, write, cas');
  });

  it('exit 2 when the time budget runs out (unknown, never a guess)', async () => {
    const file = join(dir, 'queue.jsonl');
    // Many concurrent enqueues with unknown outcomes and unrelated dequeues: a hard search.
    const rows: string[] = [];
    for (let p = 0; p < 40; p += 1) rows.push(JSON.stringify({ process: p, type: 'invoke', f: 'enqueue', value: p }));
    for (let p = 0; p < 40; p += 1) rows.push(JSON.stringify({ process: p, type: 'info', f: 'enqueue', value: p }));
    for (let p = 100; p < 140; p += 1) rows.push(JSON.stringify({ process: p, type: 'invoke', f: 'dequeue', value: null }));
    for (let p = 100; p < 140; p += 1) rows.push(JSON.stringify({ process: p, type: 'ok', f: 'dequeue', value: 1000 + p }));
    writeFileSync(file, `${rows.join('\n')}\n`);
    const result = await runCli(['check', '--model', 'queue', '--json', '--timeout-ms', '300', file]);
    const line = JSON.parse(result.stdout) as CheckFileJson;
    expect({ code: result.code, valid: line.valid }).toEqual({ code: 2, valid: 'unknown' });
    expect(line.summary).toMatch(/time budget/);
  });
});
