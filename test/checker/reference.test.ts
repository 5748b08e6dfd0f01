import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkLinearizable } from '../../lib/checker/linearizable.js';
import { readHistoryFile } from '../../lib/history/index.js';
import { etcdVerdicts, HISTORIES } from '../history/support.js';

describe('reference histories (porcupine test data): verdicts equal the known ones', () => {
  it('every jepsen-etcd history (register with cas and timeouts)', async () => {
    const verdicts = etcdVerdicts();
    expect(verdicts.length).toBe(52);
    const got: Array<{ file: string; valid: unknown }> = [];
    for (const { file } of verdicts) {
      const parsed = await readHistoryFile(file, 'jepsen-log');
      const result = await checkLinearizable(parsed.history, { model: 'register', timeoutMs: 30_000 });
      got.push({ file, valid: result.valid });
      if (result.valid === false) {
        // A counterexample a person can read: the op that cannot be placed, a prefix with states.
        expect(result.summary).toMatch(/cannot be linearized: after the longest linearizable prefix \(\d+ operations\) the register held/);
        expect(result.ops!.length).toBeGreaterThan(0);
        for (const step of result.linearization ?? []) expect(step).toEqual({ op: expect.any(Number), state: expect.any(String), description: expect.any(String) });
      }
    }
    expect(got).toEqual(verdicts);
  });

  it('every kv history: -ok valid, -bad invalid, split per key', async () => {
    const files = readdirSync(join(HISTORIES, 'kv'));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const name of files) {
      const parsed = await readHistoryFile(join(HISTORIES, 'kv', name), 'edn');
      const result = await checkLinearizable(parsed.history, { model: 'kv', timeoutMs: 30_000 });
      expect({ name, valid: result.valid }).toEqual({ name, valid: name.includes('-ok') });
      expect(result.partitions.length).toBe(new Set(parsed.history.map((e) => e.key)).size);
      if (result.valid === false) expect(result.partition).toMatch(/^\d+$/);
    }
  });
});
