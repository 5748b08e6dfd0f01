/** Generators compose like Jepsen's, and a seed fixes every thread's operations. */
import { describe, expect, it } from 'vitest';
import { SpecError } from '../../lib/errors.js';
import * as gen from '../../lib/workload/gen.js';
import type { Client } from '../../lib/workload/client.js';
import type { HistoryEvent } from '../../lib/history/types.js';
import type { GeneratorLike } from '../../lib/workload/generator.js';
import { runWorkload } from '../../lib/workload/workload.js';
import { fakeEnv } from './support.js';

const noop: Client<null> = { open: () => null, invoke: (_c, op) => ({ type: 'ok', value: op.value }) };

async function run(generator: unknown, concurrency = 3, seed: number | string = 7, client: Client<null> = noop): Promise<HistoryEvent[]> {
  const env = fakeEnv();
  await runWorkload({ concurrency, client, generator: generator as GeneratorLike, seed }, env);
  return [...env.recorder.history];
}

const invokes = (h: HistoryEvent[]): HistoryEvent[] => h.filter((e) => e.type === 'invoke');
const byProcess = (h: HistoryEvent[]): Record<string, string[]> => {
  const out: Record<string, string[]> = {};
  for (const e of invokes(h)) (out[String(e.process)] ??= []).push(`${e.f}:${JSON.stringify(e.value)}`);
  return out;
};

describe('plain values are generators', () => {
  it('an op object is issued once; an array is a sequence; a function is asked every time', async () => {
    expect(invokes(await run({ f: 'read' })).map((e) => e.f)).toEqual(['read']);
    expect(invokes(await run([{ f: 'a' }, { f: 'b' }], 1)).map((e) => e.f)).toEqual(['a', 'b']);
    let n = 0;
    const h = await run(() => (n < 5 ? { f: 'write', value: n++ } : undefined), 1);
    expect(invokes(h).map((e) => e.value)).toEqual([0, 1, 2, 3, 4]);
  });

  it('a value that is not a generator is a SpecError before anything runs', async () => {
    let opened = 0;
    const client: Client<null> = { open: () => { opened++; return null; }, invoke: () => ({ type: 'ok' }) };
    await expect(run(42, 1, 1, client)).rejects.toThrow(/generator: number 42 is not a generator/);
    await expect(run({ value: 1 }, 1, 1, client)).rejects.toThrow(SpecError);
    expect(() => gen.mix([])).toThrow(/mix\(\): needs at least one generator/);
    expect(() => gen.limit(0, { f: 'read' })).toThrow(/limit\(\): count must be a positive integer/);
    expect(() => gen.stagger(-1, { f: 'read' })).toThrow(/stagger\(\): opsPerSecond must be a positive number/);
    expect(() => gen.timeLimit(Number.NaN, { f: 'read' })).toThrow(SpecError);
    expect(opened).toBe(0);
  });
});

describe('combinators', () => {
  it('limit and repeat', async () => {
    expect(invokes(await run(gen.limit(10, gen.repeat({ f: 'read' })))).length).toBe(10);
    expect(invokes(await run(gen.repeat([{ f: 'a' }, { f: 'b' }], 3), 1)).map((e) => e.f).join('')).toBe('ababab');
  });

  it('mix chooses with the thread\'s seeded stream', async () => {
    const g = () => gen.limit(300, gen.mix([{ f: 'read' }, { f: 'write', value: 1 }, gen.repeat({ f: 'cas', value: [1, 2] })]));
    const fs = invokes(await run(g(), 1)).map((e) => e.f);
    expect(new Set(fs)).toEqual(new Set(['read', 'write', 'cas']));
    // one-shot ops drop out once used: 298 cas
    expect(fs.filter((f) => f === 'cas')).toHaveLength(298);
  });

  it('each gives every thread its own copy', async () => {
    const h = await run(gen.each(gen.limit(4, gen.repeat((ctx) => ({ f: 'w', value: ctx.thread })))), 3);
    expect(byProcess(h)).toEqual({ '0': Array(4).fill('w:0'), '1': Array(4).fill('w:1'), '2': Array(4).fill('w:2') });
  });

  it('until stops after the first completion that satisfies the predicate', async () => {
    let n = 0;
    const client: Client<null> = { open: () => null, invoke: () => (++n === 5 ? { type: 'ok' } : { type: 'fail', error: 'no' }) };
    const h = await run(gen.until((e) => e.type === 'ok', gen.repeat({ f: 'try' })), 1, 1, client);
    expect(h.filter((e) => e.type !== 'invoke').map((e) => e.type)).toEqual(['fail', 'fail', 'fail', 'fail', 'ok']);
  });

  it('phases wait for every operation of a phase to complete before the next', async () => {
    const inFlightAtB: number[] = [];
    let inFlight = 0;
    const client: Client<null> = {
      open: () => null,
      invoke: async (_c, op) => {
        if (op.f === 'b') inFlightAtB.push(inFlight);
        inFlight++;
        await new Promise((r) => setTimeout(r, op.f === 'a' ? 20 : 1));
        inFlight--;
        return { type: 'ok' };
      },
    };
    const h = await run(gen.phases(gen.limit(6, gen.repeat({ f: 'a' })), gen.limit(3, gen.repeat({ f: 'b' }))), 3, 1, client);
    const lastA = Math.max(...h.filter((e) => e.f === 'a').map((e) => e.index));
    const firstB = Math.min(...h.filter((e) => e.f === 'b').map((e) => e.index));
    expect(firstB).toBeGreaterThan(lastA);
    expect(inFlightAtB[0]).toBe(0);
  });

  it('sequence moves on without a barrier; sleep pauses; timeLimit ends', async () => {
    const started = performance.now();
    const h = await run(gen.sequence({ f: 'a' }, gen.sleep(50), gen.timeLimit(100, gen.stagger(200, gen.repeat({ f: 'b' })))), 2);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(1000);
    const bs = invokes(h).filter((e) => e.f === 'b').length;
    expect(bs).toBeGreaterThan(5); // ~200/s for 100 ms ≈ 20
    expect(bs).toBeLessThan(60);
  });

  it('stagger spreads operations at the total rate', async () => {
    const h = await run(gen.timeLimit(500, gen.stagger(100, gen.repeat({ f: 'r' }))), 10);
    const n = invokes(h).length;
    expect(n).toBeGreaterThan(25);
    expect(n).toBeLessThan(80);
  });
});

describe('same seed, same operations', () => {
  const workload = () =>
    gen.each(
      gen.limit(
        50,
        gen.mix([
          (ctx) => ({ f: 'read', key: `k${ctx.random.int(3)}` }),
          (ctx) => ({ f: 'write', key: `k${ctx.random.int(3)}`, value: ctx.random.int(5) }),
          (ctx) => ({ f: 'cas', key: `k${ctx.random.int(3)}`, value: [ctx.random.int(5), ctx.random.int(5)] }),
        ]),
      ),
    );
  // A client with random latency, so the interleaving differs between runs.
  const jittery: Client<null> = { open: () => null, invoke: async () => (await new Promise((r) => setTimeout(r, Math.random() * 3)), { type: 'ok' }) };

  it('gives every process the same f and value sequence whatever the timing, and a different seed another one', async () => {
    const a = byProcess(await run(workload(), 5, 'seed-1', jittery));
    const b = byProcess(await run(workload(), 5, 'seed-1', jittery));
    const c = byProcess(await run(workload(), 5, 'seed-2', jittery));
    expect(Object.keys(a)).toHaveLength(5);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('PAKOSTII_SEED overrides the seed option', async () => {
    process.env.PAKOSTII_SEED = 'seed-1';
    try {
      const env = fakeEnv();
      const seen: unknown[] = [];
      const result = await runWorkload({ concurrency: 5, client: jittery, generator: workload(), seed: 'other' }, { ...env, onSeed: (s) => seen.push(s) });
      expect(result.seed).toBe('seed-1');
      expect(seen).toEqual(['seed-1']);
      expect(byProcess([...env.recorder.history])).toEqual(byProcess(await run(workload(), 5, 'seed-1', jittery)));
    } finally {
      delete process.env.PAKOSTII_SEED;
    }
  });
});
