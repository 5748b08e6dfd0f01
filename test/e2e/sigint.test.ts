/**
 * Ctrl-C during a standalone run: teardown completes, the process exits
 * non-zero (130) and nothing of the run remains — whether the SIGINT arrives
 * once through a wrapper (tsx forwards it) or twice, straight to node, as
 * `npx` relays a Ctrl-C.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '../helpers/leak-audit.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const fixture = join(here, 'fixtures/interrupted-run.ts');

interface SignalPlan {
  /** 'tsx': through tsx's wrapper process, which forwards the signal; 'node': one node process, so exactly these signals arrive. */
  via: 'tsx' | 'node';
  /** When each SIGINT is sent, in ms after the run logged 'fault applied'. */
  sigintAtMs: readonly number[];
}

interface InterruptedRun {
  code: number | null;
  stderr: string;
  lines: Array<{ msg: string; test_id?: string; error?: string }>;
  msgs: string[];
  /** The run's id (its first log line's test_id). */
  id: string;
}

/** Runs fixtures/interrupted-run.ts, interrupts it by `plan` once its fault is applied, and collects its log. */
async function interruptRun(plan: SignalPlan): Promise<InterruptedRun> {
  const [command, args] = plan.via === 'tsx' ? [join(root, 'node_modules/.bin/tsx'), [fixture]] : [process.execPath, ['--import', 'tsx', fixture]];
  const child = spawn(command, args, { cwd: root, env: { ...process.env, PAKOSTII_LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: InterruptedRun['lines'] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const started = new Promise<void>((resolve) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      let parsed: InterruptedRun['lines'][number];
      try {
        parsed = JSON.parse(line) as InterruptedRun['lines'][number];
      } catch {
        return; // not a log line
      }
      lines.push(parsed);
      if (parsed.msg === 'fault applied') resolve();
    });
  });
  // 'close': the process has exited and its output is all read.
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  await Promise.race([started, exited.then(() => Promise.reject(new Error(`child exited early: ${stderr}`)))]);
  for (const at of plan.sigintAtMs) setTimeout(() => child.kill('SIGINT'), at);
  const code = await exited;
  const id = lines[0]?.test_id ?? '';
  expect(id).toMatch(/^[a-z]{5}$/);
  return { code, stderr, lines, msgs: lines.map((l) => l.msg), id };
}

describe('interrupt', () => {
  it('SIGINT tears the run down and exits 130', async () => {
    const run = await interruptRun({ via: 'tsx', sigintAtMs: [0] });
    expect(run.code, run.stderr).toBe(130);
    expect(run.msgs).toContain('interrupted: tearing down (interrupt twice more to exit at once)');
    expect(run.msgs.slice(-4)).toEqual(['containers tore down', 'network tore down', 'report written', 'test failed']);
    expect(run.msgs).toContain('active faults healed');
    const failed = run.lines.at(-1)!;
    expect(failed.msg).toBe('test failed');
    expect(failed.error).toMatch(/interrupted by SIGINT/);
    await expectNoLeaks(run.id);
  });

  it('the same SIGINT delivered twice 40 ms apart (as `npx` relays a Ctrl-C) still tears everything down', async () => {
    const run = await interruptRun({ via: 'node', sigintAtMs: [0, 40] });
    expect(run.code, run.stderr).toBe(130);
    expect(run.msgs, `${JSON.stringify(run.lines.slice(-6))}\n${run.stderr}`).toContain('network tore down');
    expect(run.msgs.filter((m) => m.startsWith('exiting before teardown finished'))).toEqual([]);
    await expectNoLeaks(run.id);
  });
});
