/**
 * A freshly booted machine: /run (the state dir's home) is an empty tmpfs, so
 * the first run writes the log writer script while starting all its services
 * at once. These tests start from a state dir that does not exist yet.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureLogWriter, LOG_WRITER_SCRIPT } from '../../lib/containerd/log-writer.js';
import { expectNoLeaks } from '../helpers/leak-audit.js';
import { driveFixture } from './fixtures/drive-fixture.js';

const base = mkdtempSync(join(tmpdir(), 'pk-fresh-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('first run on a fresh machine', () => {
  it('many services asking for the log writer at once, state dir not created yet, all get it', async () => {
    const stateDir = join(base, 'concurrent', 'pakostii');
    const paths = await Promise.all(Array.from({ length: 16 }, () => ensureLogWriter(stateDir)));
    expect(new Set(paths)).toEqual(new Set([join(stateDir, 'log-writer')]));
    expect(readFileSync(paths[0]!, 'utf8')).toBe(LOG_WRITER_SCRIPT);
    expect(statSync(paths[0]!).mode & 0o777).toBe(0o755);
    expect(readdirSync(stateDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a run starting six services at once with an empty state dir passes and leaves nothing', async () => {
    const stateDir = join(base, 'run', 'pakostii');
    const saved = process.env.PAKOSTII_STATE_DIR;
    const run = await driveFixture('pass', { nodes: 6, env: { PAKOSTII_STATE_DIR: stateDir } });
    expect(run.code, run.stderr.slice(-4000)).toBe(0);
    expect(run.result).toMatchObject({ outcome: 'passed' });
    process.env.PAKOSTII_STATE_DIR = stateDir;
    try {
      await expectNoLeaks(run.id!);
    } finally {
      if (saved === undefined) delete process.env.PAKOSTII_STATE_DIR;
      else process.env.PAKOSTII_STATE_DIR = saved;
    }
  }, 120_000);
});
