/**
 * The runner's history semantics (Jepsen's), its input checks, client open
 * failures, and the nemesis schedule: seeded choices, planned vs actual time,
 * always healed at the end.
 */
import { describe, expect, it } from 'vitest';
import { SpecError } from '../../lib/errors.js';
import * as gen from '../../lib/workload/gen.js';
import * as nemesis from '../../lib/workload/nemesis-index.js';
import type { Client } from '../../lib/workload/client.js';
import type { HistoryEvent } from '../../lib/history/types.js';
import { replayCommand, runWorkload } from '../../lib/workload/workload.js';
import { ClientOpenError } from '../../lib/workload/runner.js';
import { fakeEnv, fakeNemesisEnv } from './support.js';

/** Every process: invoke, completion, invoke, … with at most one in flight; nothing after an info. */
function expectJepsenSemantics(history: readonly HistoryEvent[]): void {
  const open = new Map<unknown, HistoryEvent>();
  const retired = new Set<unknown>();
  history.forEach((e, i) => {
    expect(e.index).toBe(i);
    if (e.type === 'invoke') {
      expect(open.has(e.process), `process ${String(e.process)} has two ops in flight at ${i}`).toBe(false);
      expect(retired.has(e.process), `retired process ${String(e.process)} invoked at ${i}`).toBe(false);
      open.set(e.process, e);
    } else {
      expect(open.get(e.process)?.f).toBe(e.f);
      open.delete(e.process);
      if (e.type === 'info' && e.process !== 'nemesis') retired.add(e.process);
    }
  });
}

describe('history semantics', () => {
  it('a thrown error or a timeout is info; the process retires and process + concurrency takes its thread', async () => {
    const env = fakeEnv();
    const opened: string[] = [];
    const closed: number[] = [];
    let n = 0;
    const client: Client<number> = {
      open: (node, process) => (opened.push(`${node}:${process}`), process),
      invoke: async (_p, op, { signal }) => {
        n++;
        if (n === 3) throw new Error('connection reset');
        if (n === 6) await new Promise((r) => signal.addEventListener('abort', r)); // hangs until the timeout
        return { type: op.f === 'cas' ? 'fail' : 'ok' };
      },
      close: (p) => void closed.push(p),
    };
    await runWorkload({ concurrency: 2, client, generator: gen.limit(12, gen.repeat([{ f: 'write', value: 1 }, { f: 'cas', value: [1, 2] }])), opTimeoutMs: 50, seed: 1 }, env);
    const h = env.recorder.history;
    expectJepsenSemantics(h);
    const infos = h.filter((e) => e.type === 'info');
    expect(infos.map((e) => e.error)).toEqual(['connection reset', 'timed out after 50 ms']);
    // Two threads, processes 0 and 1; each info retires one: the thread goes on as process + 2
    // (a fresh client, opened for the same node), unless the generator ended first.
    const processes = [...new Set(h.map((e) => e.process as number))];
    for (const p of processes) if (p >= 2) expect(infos.map((e) => (e.process as number) + 2)).toContain(p);
    const firstInfo = infos[0]!.process as number;
    expect(processes).toContain(firstInfo + 2);
    expect(opened).toContain(`${firstInfo % 2 === 0 ? 'n1' : 'n2'}:${firstInfo + 2}`);
    expect(opened.length).toBeGreaterThanOrEqual(3);
    expect(closed.sort()).toEqual(opened.map((o) => Number(o.split(':')[1])).sort());
    expect(h.filter((e) => e.type === 'fail').every((e) => e.f === 'cas')).toBe(true);
    expect(h.filter((e) => e.type === 'invoke')).toHaveLength(12);
  });

  it('invoke events carry the node of the thread (round robin over `nodes`) and the op key', async () => {
    const env = fakeEnv();
    await runWorkload({ concurrency: 4, nodes: ['n2', 'n3'], client: { open: () => null, invoke: () => ({ type: 'ok' }) }, generator: gen.each({ f: 'read', key: 'k1' }) }, env);
    const byProcess = Object.fromEntries(env.recorder.history.filter((e) => e.type === 'invoke').map((e) => [e.process, `${e.node}/${e.key}`]));
    expect(byProcess).toEqual({ 0: 'n2/k1', 1: 'n3/k1', 2: 'n2/k1', 3: 'n3/k1' });
  });
});

describe('several workloads in one run', () => {
  it('the second one continues the history with fresh process numbers, and each() still routes completions per thread', async () => {
    const env = fakeEnv();
    const client: Client<null> = { open: () => null, invoke: () => ({ type: 'ok' }) };
    await runWorkload({ concurrency: 3, client, generator: gen.each({ f: 'a' }) }, env);
    let n = 0;
    const failing: Client<null> = { open: () => null, invoke: () => (++n % 2 === 0 ? { type: 'ok' } : { type: 'fail' }) };
    await runWorkload({ concurrency: 2, client: failing, generator: gen.each(gen.until((e) => e.type === 'ok', gen.repeat({ f: 'b' }))) }, env);
    const h = env.recorder.history;
    expectJepsenSemantics(h);
    expect(new Set(h.filter((e) => e.f === 'a').map((e) => e.process))).toEqual(new Set([0, 1, 2]));
    const second = h.filter((e) => e.f === 'b');
    expect(new Set(second.map((e) => e.process))).toEqual(new Set([3, 4]));
    // each thread stopped after its own first ok
    for (const p of [3, 4]) expect(second.filter((e) => e.process === p && e.type === 'ok')).toHaveLength(1);
  });
});

describe('bad input is a clear error before anything runs', () => {
  const client: Client<null> = { open: () => { throw new Error('must not open'); }, invoke: () => ({ type: 'ok' }) };
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['concurrency 0', { concurrency: 0 }, /concurrency must be an integer from 1 to 10000, got 0/],
    ['concurrency 1.5', { concurrency: 1.5 }, /concurrency must be an integer/],
    ['unknown node', { nodes: ['n1', 'n9'] }, /unknown node "n9" in nodes[\s\S]*n1, n2, n3, n4, n5/],
    ['a generator that is not one', { generator: 'read' }, /generator: string read is not a generator/],
    ['no generator', { generator: undefined }, /generator is missing/],
    ['opTimeoutMs 0', { opTimeoutMs: 0 }, /opTimeoutMs must be a positive number of ms, got 0/],
    ['opTimeoutMs negative', { opTimeoutMs: -5 }, /opTimeoutMs must be a positive/],
    ['recoveryMs negative', { recoveryMs: -1 }, /recoveryMs must be a non-negative/],
    ['client without invoke', { client: { open: () => null } }, /client must be an object with open\(node, process\) and invoke/],
    ['bad seed', { seed: 1.5 }, /seed must be a safe integer or a non-empty string/],
    ['bad checker', { checker: { check: 1 } }, /checker must be a Checker/],
    ['bad nemesis', { nemesis: {} }, /nemesis must be a Nemesis/],
  ];
  for (const [what, patch, message] of cases) {
    it(what, async () => {
      const env = fakeEnv();
      const options = { concurrency: 2, client, generator: { f: 'read' }, ...patch };
      await expect(runWorkload(options as never, env)).rejects.toSatisfy((e: unknown) => e instanceof SpecError && message.test(e.message));
      expect(env.recorder.history).toHaveLength(0);
    });
  }

  it('nemesis options are checked against the cluster before any client opens', async () => {
    const env = fakeEnv({ nemesisEnv: fakeNemesisEnv([]) });
    await expect(runWorkload({ concurrency: 1, client, generator: { f: 'read' }, nemesis: nemesis.kills({ service: 'nope' }) }, env)).rejects.toThrow(
      /nemesis.kills: node "n1" does not run service "nope"/,
    );
    expect(() => nemesis.partitions({ everyMs: 0 })).toThrow(/everyMs must be a positive number of ms/);
    expect(() => nemesis.partitions({ shapes: ['zigzag' as never] })).toThrow(/shapes must be a non-empty list of randomHalves/);
    await expect(runWorkload({ concurrency: 1, client, generator: { f: 'read' }, nemesis: nemesis.partitions({ nodes: ['n7'] }) }, env)).rejects.toThrow(/unknown node "n7"/);
  });
});

describe('a client whose open throws', () => {
  it('is reported with its node and process; the clients already open are closed; nothing is recorded', async () => {
    const env = fakeEnv();
    const closed: number[] = [];
    const client: Client<number> = {
      open: async (node, process) => {
        if (process === 3) throw new Error(`connect ECONNREFUSED ${node}:2379`);
        return process;
      },
      invoke: () => ({ type: 'ok' }),
      close: (p) => void closed.push(p),
    };
    const error = await runWorkload({ concurrency: 5, client, generator: gen.repeat({ f: 'read' }) }, env).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientOpenError);
    expect((error as Error).message).toMatch(/client open failed for process 3 on node "n4": connect ECONNREFUSED n4:2379/);
    expect(closed.sort()).toEqual([0, 1, 2, 4]);
    expect(env.recorder.history).toHaveLength(0);
  });
});

describe('nemesis schedules', () => {
  const client: Client<null> = { open: () => null, invoke: async () => (await new Promise((r) => setTimeout(r, 1)), { type: 'ok' }) };
  const schedule = () => nemesis.compose(nemesis.partitions({ everyMs: 40, jitterMs: 20, durationMs: 30 }), nemesis.kills({ everyMs: 60, jitterMs: 10, durationMs: 20 }));

  async function runWith(seed: string): Promise<{ calls: string[]; history: readonly HistoryEvent[] }> {
    const calls: string[] = [];
    const env = fakeEnv({ nemesisEnv: fakeNemesisEnv(calls) });
    await runWorkload({ concurrency: 3, client, generator: gen.timeLimit(400, gen.repeat({ f: 'read' })), nemesis: schedule(), recoveryMs: 0, seed }, env);
    return { calls, history: env.recorder.history };
  }

  it('records planned and actual times, choices fixed by the seed, and heals at the end', async () => {
    const a = await runWith('s1');
    const b = await runWith('s1');
    const c = await runWith('s2');
    const nem = (h: readonly HistoryEvent[]) => h.filter((e) => e.process === 'nemesis' && e.type === 'invoke' && e.f !== 'heal').map((e) => `${e.f} ${JSON.stringify(e.value)}`);
    expect(nem(a.history).length).toBeGreaterThanOrEqual(6);
    const common = Math.min(nem(a.history).length, nem(b.history).length);
    expect(nem(a.history).slice(0, common)).toEqual(nem(b.history).slice(0, common));
    expect(nem(a.history).slice(0, 6)).not.toEqual(nem(c.history).slice(0, 6));
    expectJepsenSemantics(a.history);
    for (const e of a.history.filter((e) => e.process === 'nemesis' && e.type === 'invoke' && e.f !== 'heal')) {
      expect(typeof e.planned).toBe('number');
      expect(Math.abs(e.time - e.planned!)).toBeLessThan(250e6); // loose here (a loaded shared box); the bench measures accuracy
    }
    // The last nemesis op is the heal; after it, nothing is broken: every apply healed, every kill started.
    const last = a.history.filter((e) => e.process === 'nemesis').at(-1)!;
    expect(last).toMatchObject({ f: 'heal', type: 'ok' });
    const applied = a.calls.filter((c) => c.startsWith('apply')).length;
    const healedCount = a.calls.filter((c) => c.startsWith('heal')).length;
    expect(healedCount).toBe(applied);
    expect(a.calls.filter((c) => c.startsWith('kill')).length).toBe(a.calls.filter((c) => c.startsWith('start')).length);
  });

  it('a failed workload still heals', async () => {
    const calls: string[] = [];
    const env = fakeEnv({ nemesisEnv: fakeNemesisEnv(calls) });
    let n = 0;
    const generator = (): { f: string } => {
      if (++n > 20) throw new Error('generator bug');
      return { f: 'read' };
    };
    await expect(
      runWorkload({ concurrency: 1, client, generator, nemesis: nemesis.partitions({ everyMs: 1, jitterMs: 0, durationMs: 1000 }) }, env),
    ).rejects.toThrow(/generator bug/);
    expect(calls.filter((c) => c.startsWith('apply')).length).toBe(calls.filter((c) => c.startsWith('heal')).length);
    expect(env.recorder.history.filter((e) => e.process === 'nemesis').at(-1)).toMatchObject({ f: 'heal', type: 'ok' });
  });
});

describe('replay command', () => {
  it('under vitest (a pool worker) reruns this test file and test (x.1), not the worker', () => {
    expect(replayCommand(42)).toBe("PAKOSTII_SEED=42 npx vitest run test/workload/runner.test.ts -t 'under vitest \\(a pool worker\\) reruns this test file and test \\(x\\.1\\), not the worker'");
  });

  it('outside a test runner is the command line that started the process', () => {
    expect(replayCommand('s 1', ['/usr/bin/node', 'examples/etcd-register.ts'])).toBe("PAKOSTII_SEED='s 1' node examples/etcd-register.ts");
  });
});
