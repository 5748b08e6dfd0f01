/**
 * The three deciders agree: the register zones algorithm, the WGL search (with
 * its dominance-pruned cache) and a brute-force enumeration, on random small
 * register histories whose reads return arbitrary written values (so about
 * half are not linearizable).
 */
import { describe, expect, it } from 'vitest';
import { registerModel } from '../../lib/checker/models.js';
import { prepareHistory } from '../../lib/checker/prepare.js';
import { checkRegisterZones, type RegisterOp } from '../../lib/checker/register-zones.js';
import { wglSearch, type SearchOp } from '../../lib/checker/wgl.js';
import type { HistoryEvent } from '../../lib/history/types.js';
import { generateHistory, rng } from './generate.js';

/** Tries every order consistent with real time; optional ops (ret = ∞) may also be left out. */
function bruteForce(ops: readonly SearchOp[]): boolean {
  const done = new Array<boolean>(ops.length).fill(false);
  const go = (state: unknown, left: number): boolean => {
    if (left === 0) return true;
    // The earliest return among required ops not done bounds which calls may go next.
    let bound = Infinity;
    for (let i = 0; i < ops.length; i += 1) if (!done[i] && Number.isFinite(ops[i]!.ret)) bound = Math.min(bound, ops[i]!.ret);
    for (let i = 0; i < ops.length; i += 1) {
      if (done[i] || ops[i]!.call > bound) continue;
      const [ok, next] = registerModel.step(state, ops[i]!.input, ops[i]!.output);
      if (!ok) continue;
      done[i] = true;
      const found = go(next, left - (Number.isFinite(ops[i]!.ret) ? 1 : 0));
      done[i] = false;
      if (found) return true;
    }
    return false;
  };
  return go(null, ops.filter((o) => Number.isFinite(o.ret)).length);
}

/** A generated register history whose ok reads return a random value that some op wrote (or absent). */
function scramble(history: HistoryEvent[], pick: () => number): HistoryEvent[] {
  const written = [null, ...history.filter((e) => e.type === 'invoke' && e.f === 'write').map((e) => e.value)];
  return history.map((e) => (e.type === 'ok' && e.f === 'read' && pick() < 0.3 ? { ...e, value: written[Math.floor(pick() * written.length)] } : e));
}

const limits = { deadline: Infinity, memoryLimitBytes: 1 << 28 };

describe('register deciders agree', () => {
  it('zones = search = brute force on 3,000 small random histories', () => {
    const seen = { true: 0, false: 0 };
    for (let seed = 1; seed <= 3000; seed += 1) {
      const pick = rng(seed);
      const history = scramble(
        generateHistory({ model: 'register', seed, ops: 2 + Math.floor(pick() * 9), clients: 1 + Math.floor(pick() * 4), infoRate: 0.15 }),
        pick,
      );
      const [partition] = prepareHistory(history, registerModel).partitions;
      if (partition === undefined) continue;
      const zonesOps: RegisterOp[] = partition.ops.map((o) => ({
        f: o.input.f as 'read' | 'write',
        value: o.input.f === 'read' ? o.output : o.input.value,
        known: Number.isFinite(o.ret),
        call: o.call,
        ret: o.ret,
      }));
      const zones = checkRegisterZones(zonesOps).kind === 'linearizable';
      const search = wglSearch(registerModel, partition.ops, limits).kind === 'linearizable';
      const brute = bruteForce(partition.ops);
      expect({ seed, zones, search }).toEqual({ seed, zones: brute, search: brute });
      seen[String(brute) as 'true' | 'false'] += 1;
    }
    expect(Math.min(seen.true, seen.false)).toBeGreaterThan(500);
  });

  it('search = brute force with cas and repeated values on 3,000 small random histories', () => {
    for (let seed = 1; seed <= 3000; seed += 1) {
      const pick = rng(seed + 10_000);
      const history = generateHistory({ model: 'register-cas', seed, ops: 2 + Math.floor(pick() * 9), clients: 1 + Math.floor(pick() * 4), infoRate: 0.2 });
      const mutated = history.map((e) => (e.type === 'ok' && e.f === 'read' && pick() < 0.2 ? { ...e, value: Math.floor(pick() * 5) } : e));
      const [partition] = prepareHistory(mutated, registerModel).partitions;
      if (partition === undefined) continue;
      const search = wglSearch(registerModel, partition.ops, limits).kind === 'linearizable';
      expect({ seed, search }).toEqual({ seed, search: bruteForce(partition.ops) });
    }
  });
});
