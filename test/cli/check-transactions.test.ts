/** `pakostii check --model list-append|rw-register` on our JSONL and on Jepsen's EDN (`[:append k v]`, `[:r k [..]]`, `[:w k v]`). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toEdn } from '../../lib/history/edn.js';
import { toJsonl } from '../../lib/history/jsonl.js';
import { TxnHistory } from '../helpers/txn-history.js';
import { runCli } from './support.js';

describe('pakostii check --model list-append', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pakostii-check-la-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // Write skew: T0 and T1 each read both keys empty and append to one of them.
  const skew = new TxnHistory()
    .concurrent([0, [['r', 'x', []], ['r', 'y', []], ['append', 'x', 1]]], [1, [['r', 'x', []], ['r', 'y', []], ['append', 'y', 1]]])
    .txn(2, [['r', 'x', [1]], ['r', 'y', [1]]]).events;
  const serial = new TxnHistory().txn(0, [['append', 'x', 1]]).txn(1, [['r', 'x', [1]], ['append', 'x', 2]]).events;

  it('JSONL: exit 1 on write skew, with the cycle in words', async () => {
    const file = join(dir, 'skew.jsonl');
    writeFileSync(file, toJsonl(skew));
    const result = await runCli(['check', '--model', 'list-append', file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/INVALID/);
    expect(result.stdout).toMatch(/G2-item ×1: write skew/);
    expect(result.stdout).toMatch(/T0 read y empty, without 1, which T1 appended \(rw\)/);
  });

  it('EDN: the same history in Jepsen form; --consistency-models snapshot-isolation allows it (exit 0)', async () => {
    const file = join(dir, 'skew.edn');
    const edn = toEdn(skew);
    expect(edn).toContain('[[:r "x" []] [:r "y" []] [:append "x" 1]]');
    writeFileSync(file, edn);
    const strict = await runCli(['check', '--model', 'list-append', '--format', 'edn', '--json', file]);
    expect(strict.code).toBe(1);
    const json = JSON.parse(strict.stdout.trim()) as { valid: boolean; anomalyTypes: string[]; not: string[] };
    expect(json).toMatchObject({ valid: false, anomalyTypes: ['G2-item'], not: ['repeatable-read'] });
    const si = await runCli(['check', '--model', 'list-append', '--format', 'edn', '--consistency-models', 'snapshot-isolation', file]);
    expect(si.code).toBe(0);
  });

  it('exit 0 on a serial history', async () => {
    const file = join(dir, 'serial.jsonl');
    writeFileSync(file, toJsonl(serial));
    const result = await runCli(['check', '--model', 'list-append', file]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/valid \(2 committed of 2 transactions/);
  });
});

describe('pakostii check --model rw-register', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pakostii-check-rw-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // Write skew on registers: both read x and y as nil, each writes one.
  const skew = new TxnHistory().concurrent([0, [['r', 'x', null], ['r', 'y', null], ['w', 'x', 1]]], [1, [['r', 'x', null], ['r', 'y', null], ['w', 'y', 1]]]).events;
  // Blind writes one after the other: only real time orders them.
  const blind = new TxnHistory().txn(0, [['w', 'x', 1]]).txn(1, [['w', 'x', 2]]).txn(2, [['r', 'x', 2]]).events;

  it('EDN: exit 1 on write skew, with the cycle in words', async () => {
    const file = join(dir, 'skew.edn');
    const edn = toEdn(skew);
    expect(edn).toContain('[:w "x" 1]');
    writeFileSync(file, edn);
    const result = await runCli(['check', '--model', 'rw-register', '--format', 'edn', file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/G2-item ×1: write skew/);
    expect(result.stdout).toMatch(/T0 read y = nil, and T1 wrote 1, a later version \(every version follows the initial nil\) \(rw\)/);
  });

  it('an open version order is unknown (exit 2) until --linearizable-keys orders it (exit 0)', async () => {
    const file = join(dir, 'blind.jsonl');
    writeFileSync(file, toJsonl(blind));
    const open = await runCli(['check', '--model', 'rw-register', '--json', file]);
    expect(open.code).toBe(2);
    expect(JSON.parse(open.stdout.trim())).toMatchObject({ valid: 'unknown', model: 'rw-register', ambiguousKeys: ['x'] });
    const ordered = await runCli(['check', '--model', 'rw-register', '--linearizable-keys', file]);
    expect(ordered.code).toBe(0);
    expect(ordered.stdout).toMatch(/valid \(3 committed of 3 transactions/);
  });
});
