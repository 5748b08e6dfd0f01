/**
 * Ctrl-C during a standalone run: teardown completes, the process exits
 * non-zero (130) and nothing of the run remains.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '../helpers/leak-audit.js';

const here = dirname(fileURLToPath(import.meta.url));

describe('interrupt', () => {
  it('SIGINT tears the run down and exits 130', async () => {
    const tsx = join(here, '../../node_modules/.bin/tsx');
    const child = spawn(tsx, [join(here, 'fixtures/interrupted-run.ts')], {
      env: { ...process.env, PAKOSTII_LOG_FORMAT: 'json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: Array<{ msg: string; test_id?: string }> = [];
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let buffer = '';
    const started = new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        buffer += d.toString();
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          try {
            const parsed = JSON.parse(line) as { msg: string };
            lines.push(parsed);
            if (parsed.msg === 'fault applied') resolve();
          } catch {
            // not a log line
          }
        }
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await Promise.race([started, exited.then(() => Promise.reject(new Error(`child exited early: ${stderr}`)))]);
    // tsx forwards SIGINT to the script's process.
    child.kill('SIGINT');
    const code = await exited;
    const msgs = lines.map((l) => l.msg);
    expect(code, stderr).toBe(130);
    expect(msgs).toContain('interrupted: tearing down (interrupt twice more to exit at once)');
    expect(msgs.slice(-4)).toEqual(['containers tore down', 'network tore down', 'report written', 'test failed']);
    expect(msgs).toContain('active faults healed');
    const failed = lines.at(-1) as { msg: string; error?: string };
    expect(failed.msg).toBe('test failed');
    expect(failed.error).toMatch(/interrupted by SIGINT/);
    const id = lines[0]?.test_id;
    expect(id).toMatch(/^[a-z]{5}$/);
    await expectNoLeaks(id!);
  });

  it('the same SIGINT delivered twice 40 ms apart (as `npx` relays a Ctrl-C) still tears everything down', async () => {
    // One node process (no wrapper of ours in between), so exactly these two signals arrive.
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'fixtures/interrupted-run.ts')], {
      cwd: join(here, '../..'),
      env: { ...process.env, PAKOSTII_LOG_FORMAT: 'json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: Array<{ msg: string; test_id?: string }> = [];
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let buffer = '';
    const started = new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        buffer += d.toString();
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          try {
            const parsed = JSON.parse(line) as { msg: string };
            lines.push(parsed);
            if (parsed.msg === 'fault applied') resolve();
          } catch {
            // not a log line
          }
        }
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await Promise.race([started, exited.then(() => Promise.reject(new Error(`child exited early: ${stderr}`)))]);
    child.kill('SIGINT');
    setTimeout(() => child.kill('SIGINT'), 40);
    const code = await exited;
    expect(code, stderr).toBe(130);
    const msgs = lines.map((l) => l.msg);
    expect(msgs, `${JSON.stringify(lines.slice(-6))}\n${stderr}`).toContain('network tore down');
    expect(msgs.filter((m) => m.startsWith('exiting before teardown finished'))).toEqual([]);
    const id = lines[0]?.test_id;
    expect(id).toMatch(/^[a-z]{5}$/);
    await expectNoLeaks(id!);
  });
});
