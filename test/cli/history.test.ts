import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseEdn } from '../../lib/history/index.js';
import { runCli } from './support.js';

describe('pakostii history export', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pakostii-history-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints our history.jsonl as Jepsen EDN', async () => {
    const file = join(dir, 'history.jsonl');
    writeFileSync(
      file,
      '{"index":0,"time":1,"process":0,"type":"invoke","f":"write","value":3}\n{"index":1,"time":2,"process":0,"type":"ok","f":"write","value":3}\n',
    );
    const result = await runCli(['history', 'export', '--format', 'edn', file]);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe('{:index 0 :time 1 :type :invoke :process 0 :f :write :value 3}');
    expect(parseEdn(result.stdout).history).toHaveLength(2);
  });

  it('exits 2 naming the line of a bad history', async () => {
    const file = join(dir, 'bad.jsonl');
    writeFileSync(file, '{"process":0,"type":"invoke","f":"read","value":null}\n{"process":1,"type":"ok","f":"read","value":null}\n');
    const result = await runCli(['history', 'export', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${file}:2: ok read on process 1 has no invoke before it`);
  });
});
