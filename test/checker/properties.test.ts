/**
 * Property tests: histories generated from a sequential execution of each
 * model are linearizable; one impossible read, or one observed write dropped,
 * makes them not. Seeded, thousands of cases.
 */
import { describe, expect, it } from 'vitest';
import { checkLinearizable } from '../../lib/checker/linearizable.js';
import type { BuiltinModelName } from '../../lib/checker/models.js';
import { generateHistory, rng, type GenModel } from './generate.js';
import { corruptRead, dropWrite } from './mutate.js';

interface Case {
  gen: GenModel;
  model: BuiltinModelName;
  cases: number;
  ops: [min: number, max: number];
  clients: [min: number, max: number];
  infoRate: number;
  keys?: number;
  /** Whether dropping any completed write is detectable (counters: only without unknown outcomes). */
  dropAny?: boolean;
}

const CASES: Case[] = [
  { gen: 'register', model: 'register', cases: 500, ops: [5, 200], clients: [1, 20], infoRate: 0.05 },
  { gen: 'register-cas', model: 'register', cases: 400, ops: [5, 60], clients: [1, 5], infoRate: 0.05 },
  { gen: 'kv', model: 'kv', cases: 300, ops: [5, 120], clients: [1, 6], infoRate: 0.05, keys: 4 },
  { gen: 'set', model: 'set', cases: 300, ops: [3, 30], clients: [1, 4], infoRate: 0.05 },
  { gen: 'queue', model: 'queue', cases: 300, ops: [3, 30], clients: [1, 4], infoRate: 0.03 },
  { gen: 'counter', model: 'counter', cases: 300, ops: [3, 40], clients: [1, 4], infoRate: 0, dropAny: true },
];

describe('linearizability properties (seeded)', () => {
  for (const c of CASES) {
    it(`${c.gen}: ${c.cases} generated histories are valid; a corrupted read or a dropped write makes them invalid`, async () => {
      const tally = { valid: 0, corrupted: 0, dropped: 0 };
      for (let seed = 1; seed <= c.cases; seed += 1) {
        const pick = rng(seed * 7919);
        const ops = c.ops[0] + Math.floor(pick() * (c.ops[1] - c.ops[0]));
        const clients = c.clients[0] + Math.floor(pick() * (c.clients[1] - c.clients[0] + 1));
        const history = generateHistory({ model: c.gen, seed, ops, clients, infoRate: c.infoRate, keys: c.keys ?? 1, finalRead: true });
        const options = { model: c.model, timeoutMs: 10_000, workers: 0, explainMs: 0 };
        const valid = await checkLinearizable(history, options);
        expect({ seed, valid: valid.valid, summary: valid.summary }).toMatchObject({ seed, valid: true });
        tally.valid += 1;

        const corrupted = corruptRead(history, pick, c.gen === 'counter');
        if (corrupted !== undefined) {
          const result = await checkLinearizable(corrupted, options);
          expect({ seed, kind: 'corrupted read', valid: result.valid }).toEqual({ seed, kind: 'corrupted read', valid: false });
          expect(result.summary.length).toBeGreaterThan(20);
          tally.corrupted += 1;
        }
        if (c.gen !== 'register-cas') {
          const dropped = dropWrite(history, pick, c.dropAny);
          if (dropped !== undefined) {
            const result = await checkLinearizable(dropped, options);
            expect({ seed, kind: 'dropped write', valid: result.valid }).toEqual({ seed, kind: 'dropped write', valid: false });
            tally.dropped += 1;
          }
        }
      }
      // Most cases exercise all three properties.
      expect(tally.corrupted).toBeGreaterThan(c.cases * 0.8);
      if (c.gen !== 'register-cas') expect(tally.dropped).toBeGreaterThan(c.cases * 0.5);
    });
  }
});
