/**
 * examples/etcd-register.ts end to end: five etcd members, ten clients, random
 * partitions and kills for ~30 s, final reads, and the linearizability
 * checker's verdict. With serializable reads an isolated member answers from
 * its stale state: the checker finds a violation and the run fails with the
 * counterexample. With linearizable reads the history is valid. The history
 * holds invokes and completions of ≥ 10 processes, the nemesis's faults with
 * planned and actual times, and processes retired after an info.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TestFailedError, type HistoryEvent } from '../../lib/index.js';
import { etcdRegisterTest, HOSTS, registerScenario } from '../../examples/etcd-register.js';
import { captureLogger } from './support.js';
import { expectNoLeaks } from '../helpers/leak-audit.js';

function readHistory(dir: string): HistoryEvent[] {
  return readFileSync(join(dir, 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as HistoryEvent);
}

function results(dir: string): { valid: unknown; checkers: Record<string, { valid: unknown; summary: string }> } {
  return JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
}

function expectJepsenHistory(history: HistoryEvent[]): void {
  const client = history.filter((e) => e.process !== 'nemesis');
  const processes = new Set(client.map((e) => e.process));
  expect(processes.size).toBeGreaterThanOrEqual(10);
  expect(new Set(client.filter((e) => e.type !== 'invoke').map((e) => e.process)).size).toBeGreaterThanOrEqual(10);
  expect(new Set(client.map((e) => e.node))).toEqual(new Set(HOSTS));
  expect(new Set(client.filter((e) => e.type === 'invoke').map((e) => e.f))).toEqual(new Set(['read', 'write', 'cas']));
  expect(client.filter((e) => e.type === 'ok').length).toBeGreaterThan(200);
  const keys = new Set(client.map((e) => e.key));
  expect(keys.size).toBeGreaterThanOrEqual(6); // groups of three keys, 120 operations each

  // Retired after info: the process never invokes again, and its thread goes on as process + 10.
  const infos = client.filter((e) => e.type === 'info');
  expect(infos.length).toBeGreaterThan(0);
  for (const info of infos) expect(client.some((e) => e.process === info.process && e.type === 'invoke' && e.index > info.index)).toBe(false);
  expect(infos.filter((info) => processes.has((info.process as number) + 10)).length).toBeGreaterThan(0);

  // The nemesis: partitions and kills with planned and actual times, then one heal.
  const nemesisOps = history.filter((e) => e.process === 'nemesis' && e.type === 'invoke');
  expect(new Set(nemesisOps.map((e) => e.f))).toEqual(new Set(['start-partition', 'stop-partition', 'kill', 'start', 'heal']));
  for (const e of nemesisOps.filter((e) => e.f !== 'heal')) expect(e.planned).toBeGreaterThan(0);
  expect(nemesisOps.at(-1)!.f).toBe('heal');
  // Final reads after the heal: every thread reads every key; most succeed (a fresh
  // connection on a loaded host can miss the 1 s deadline: a failed read is harmless).
  const heal = history.findIndex((e) => e.process === 'nemesis' && e.f === 'heal' && e.type === 'ok');
  const finals = history.slice(heal + 1).filter((e) => e.type !== 'invoke' && e.f === 'read');
  expect(finals.length).toBe(10 * keys.size);
  expect(finals.filter((e) => e.type === 'ok').length).toBeGreaterThanOrEqual(finals.length / 2);
}

describe('etcd register (examples/etcd-register.ts)', () => {
  it('with serializable reads: not linearizable, the run fails with the counterexample', async () => {
    const { logger } = captureLogger();
    const error = await etcdRegisterTest({ logger }, 'serializable')
      .run(registerScenario({ reads: 'serializable', durationMs: 30_000 }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TestFailedError);
    const failure = error as TestFailedError;
    expect(failure.message).toMatch(/linearizable: read\(\) → .* cannot be linearized \[partition "r\d+"\].*\(seed \d+\)/);
    expect(results(failure.artifactsDir)).toMatchObject({ valid: false, checkers: { linearizable: { valid: false } } });
    expectJepsenHistory(readHistory(failure.artifactsDir));
    await expectNoLeaks(failure.id);
  }, 400_000);

  it('with linearizable reads: the same faults, a linearizable history', async () => {
    const { logger } = captureLogger();
    const run = await etcdRegisterTest({ logger }, 'linearizable').run(registerScenario({ reads: 'linearizable', durationMs: 30_000 }));
    expect(results(run.artifactsDir)).toMatchObject({ valid: true, checkers: { linearizable: { valid: true } } });
    expectJepsenHistory(readHistory(run.artifactsDir));
    await expectNoLeaks(run.id);
  }, 400_000);
});
