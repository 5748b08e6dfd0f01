/**
 * The default logger's format: pretty on a terminal, JSON lines otherwise or
 * when PAKOSTII_LOG_FORMAT asks. The choice is pure; the output format is
 * checked in a child process (the logger writes to fd 1 synchronously).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { defaultLogFormat } from '../../lib/runtime/logger.js';

describe('defaultLogFormat', () => {
  it('is pretty on a TTY and JSON otherwise', () => {
    expect(defaultLogFormat({}, true)).toBe('pretty');
    expect(defaultLogFormat({}, false)).toBe('json');
  });

  it('PAKOSTII_LOG_FORMAT overrides the terminal check, case-insensitively', () => {
    expect(defaultLogFormat({ PAKOSTII_LOG_FORMAT: 'json' }, true)).toBe('json');
    expect(defaultLogFormat({ PAKOSTII_LOG_FORMAT: 'PRETTY' }, false)).toBe('pretty');
    expect(defaultLogFormat({ PAKOSTII_LOG_FORMAT: 'xml' }, false)).toBe('json');
  });
});

describe('createDefaultLogger output', () => {
  const script = `
    import { createDefaultLogger } from './lib/runtime/logger.ts';
    createDefaultLogger().child({ test_id: 'abcde' }).info({ node: 'etcd1' }, 'container running');
  `;
  const runWith = (format: string | undefined): string => {
    const env = { ...process.env, PAKOSTII_LOG_FORMAT: format };
    if (format === undefined) delete env.PAKOSTII_LOG_FORMAT;
    const out = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env, encoding: 'utf8' });
    expect(out.status, out.stderr).toBe(0);
    return out.stdout.trim();
  };

  it('writes one JSON object per line when stdout is not a terminal', () => {
    const line = JSON.parse(runWith(undefined)) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'info', msg: 'container running', test_id: 'abcde', node: 'etcd1' });
    expect(typeof line.time).toBe('string');
  }, 30_000);

  it('writes human lines when pretty output is asked for', () => {
    const out = runWith('pretty');
    expect(out).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: container running/);
    expect(out).toContain('"test_id":"abcde"');
    expect(() => JSON.parse(out)).toThrow();
  }, 30_000);
});
