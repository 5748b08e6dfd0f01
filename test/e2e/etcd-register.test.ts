/**
 * examples/etcd-register.ts end to end: five etcd members, ten clients, random
 * partitions and kills for ~30 s, final reads. The history holds invokes and
 * completions of ≥ 10 processes, the nemesis's faults with planned and actual
 * times, and processes retired after an info (their thread continues as a fresh
 * process). Nothing is left behind.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HistoryEvent, TestResult, WorkloadResult } from '../../lib/index.js';
import { etcdRegisterTest, HOSTS, registerScenario } from '../../examples/etcd-register.js';
import { captureLogger } from './support.js';
import { expectNoLeaks } from '../helpers/leak-audit.js';

describe('etcd register (examples/etcd-register.ts)', () => {
  it('records a Jepsen history of 10 clients and a nemesis of partitions and kills', async () => {
    const { logger } = captureLogger();
    let workload: WorkloadResult | undefined;
    const run: TestResult = await etcdRegisterTest({ logger }, 'serializable').run(
      registerScenario({ reads: 'serializable', durationMs: 30_000, seed: 13, onResult: (r) => (workload = r) }),
    );
    const history = readFileSync(join(run.artifactsDir, 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as HistoryEvent);
    expect(history).toEqual(JSON.parse(JSON.stringify(workload!.history)));

    const client = history.filter((e) => e.process !== 'nemesis');
    const processes = new Set(client.map((e) => e.process));
    expect(processes.size).toBeGreaterThanOrEqual(10);
    const completed = new Set(client.filter((e) => e.type !== 'invoke').map((e) => e.process));
    expect(completed.size).toBeGreaterThanOrEqual(10);
    expect(new Set(client.map((e) => e.node))).toEqual(new Set(HOSTS));
    const keys = new Set(client.map((e) => e.key));
    expect(keys.size).toBeGreaterThanOrEqual(6); // groups of three keys, 120 operations each
    expect(new Set(client.filter((e) => e.type === 'invoke').map((e) => e.f))).toEqual(new Set(['read', 'write', 'cas']));
    expect(client.filter((e) => e.type === 'ok').length).toBeGreaterThan(200);

    // Retired after info: the process never invokes again, and its thread goes on as process + 10.
    const infos = client.filter((e) => e.type === 'info');
    expect(infos.length).toBeGreaterThan(0);
    for (const info of infos) {
      expect(client.some((e) => e.process === info.process && e.type === 'invoke' && e.index > info.index)).toBe(false);
    }
    const continued = infos.filter((info) => processes.has((info.process as number) + 10));
    expect(continued.length).toBeGreaterThan(0);

    // The nemesis: partitions and kills with planned and actual times, then one heal.
    const nemesisOps = history.filter((e) => e.process === 'nemesis' && e.type === 'invoke');
    expect(new Set(nemesisOps.map((e) => e.f))).toEqual(new Set(['start-partition', 'stop-partition', 'kill', 'start', 'heal']));
    for (const e of nemesisOps.filter((e) => e.f !== 'heal')) expect(e.planned).toBeGreaterThan(0);
    expect(nemesisOps.at(-1)!.f).toBe('heal');
    // Final reads after the heal: every thread reads every key.
    const heal = history.findIndex((e) => e.process === 'nemesis' && e.f === 'heal' && e.type === 'ok');
    const finals = history.slice(heal + 1).filter((e) => e.type !== 'invoke' && e.f === 'read');
    expect(finals.length).toBe(10 * keys.size);
    // Most succeed (a fresh connection on a loaded host can miss the 1 s deadline: a read that fails is harmless).
    expect(finals.filter((e) => e.type === 'ok').length).toBeGreaterThanOrEqual(finals.length / 2);
    await expectNoLeaks(run.id);
  }, 300_000);
});
