/**
 * Process faults on real containers (busybox httpd): kill → the process exits
 * (the server refuses connections, exec finds no task), start → serves again;
 * pause → alive but no progress (TCP handshakes still complete in the kernel,
 * no HTTP answer), resume → answers again; restart → a new process (pid 1's
 * start time changes); stop/start with awaitReady; every step in faults.jsonl.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spec, Test, type TestHandle } from '../../lib/index.js';
import { SpecError } from '../../lib/errors.js';
import { parseTimeline } from '../../lib/faults/timeline.js';
import { captureLogger, webService } from '../e2e/support.js';
import { expectNoLeaks } from '../helpers/leak-audit.js';

function web(node: string) {
  return spec.newNode(node).runs(webService(node));
}

async function serves(t: TestHandle, node: string): Promise<boolean> {
  try {
    return (await t.http.get(`http://${node}:8080/index.html`, { timeoutMs: 1500 })).status === 200;
  } catch {
    return false;
  }
}

/** Start time (clock ticks since boot) of the container's pid 1: changes with every new process. */
async function pid1Start(t: TestHandle, node: string): Promise<string> {
  const r = await t.exec.inContainer(node, 'web', 'cat', '/proc/1/stat');
  expect(r.exitCode).toBe(0);
  return r.stdout.slice(r.stdout.lastIndexOf(')') + 2).trim().split(' ')[22 - 3]!;
}

describe('process faults', () => {
  it('kill, start, pause, resume, restart, stop: observed on the real process', async () => {
    const { logger, lines } = captureLogger();
    const result = await new Test('faults_processes', spec.newCluster().addNode(web('w1')).addNode(web('w2')), { logger }).run(async (t) => {
      expect(await serves(t, 'w1')).toBe(true);
      const first = await pid1Start(t, 'w1');

      // kill: SIGKILL by default; the exit is observed, the other node is untouched.
      await t.containers.kill('w1', 'web');
      await expect.poll(() => serves(t, 'w1'), { timeout: 10_000 }).toBe(false);
      await expect.poll(async () => (await t.exec.inContainer('w1', 'web', 'true').catch((e: Error) => e)) instanceof Error, { timeout: 10_000 }).toBe(true);
      expect(await serves(t, 'w2')).toBe(true);
      // The test's own kill is reported as such, not as an unexpected exit.
      await expect
        .poll(() => lines.some((l) => l.msg === 'service exited' && l.node === 'w1' && l.exit_code === 137 && l.cause === 't.containers.kill(SIGKILL)'), { timeout: 10_000 })
        .toBe(true);

      // start after kill, waiting for readiness: serves at once, new process.
      await t.containers.start('w1', 'web', { awaitReady: true });
      expect(await serves(t, 'w1')).toBe(true);
      const second = await pid1Start(t, 'w1');

      // pause: no progress; resume: progress.
      await t.containers.pause('w1', 'web');
      expect(await serves(t, 'w1')).toBe(false);
      expect(await serves(t, 'w2')).toBe(true);
      await t.containers.resume('w1', 'web');
      expect(await serves(t, 'w1')).toBe(true);
      expect(await pid1Start(t, 'w1')).toBe(second); // same process survived the pause

      // restart: a new process.
      await t.containers.restart('w1', 'web', { awaitReady: true, timeoutMs: 2_000 });
      expect(await serves(t, 'w1')).toBe(true);
      const third = await pid1Start(t, 'w1');
      expect(new Set([first, second, third]).size).toBe(3);

      // stop: down until start.
      await t.containers.stop('w2', 'web', { timeoutMs: 2_000 });
      expect(await serves(t, 'w2')).toBe(false);
      await t.containers.start('w2', 'web', { awaitReady: true });
      expect(await serves(t, 'w2')).toBe(true);

      // An explicit signal (SIGTERM would be ignored: httpd runs as pid 1 without a handler).
      await t.containers.kill('w2', 'web', 'SIGKILL');
      await expect.poll(() => serves(t, 'w2'), { timeout: 10_000 }).toBe(false);

      // Unknown names and bad signals: SpecError.
      await expect(t.containers.kill('nope', 'web')).rejects.toBeInstanceOf(SpecError);
      await expect(t.containers.pause('w1', 'db')).rejects.toThrow(/runs no service "db"/);
      await expect(t.containers.kill('w1', 'web', 'KILL' as NodeJS.Signals)).rejects.toBeInstanceOf(SpecError);
      // resume of a running service fails and is recorded as failed.
      await expect(t.containers.resume('w1', 'web')).rejects.toThrow();
    });

    expect(lines.filter((l) => l.msg === 'service exited unexpectedly')).toEqual([]);
    expect(lines.filter((l) => l.msg === 'service exited').map((l) => `${String(l.node)} ${String(l.cause)}`)).toEqual([
      'w1 t.containers.kill(SIGKILL)',
      'w1 t.containers.restart()',
      'w2 t.containers.stop()',
      'w2 t.containers.kill(SIGKILL)',
    ]);
    const timeline = parseTimeline(readFileSync(join(result.artifactsDir, 'faults.jsonl'), 'utf8'));
    expect(timeline.map((e) => `${e.event} ${e.kind} ${e.name}`)).toEqual([
      'process kill w1/web',
      'process start w1/web',
      'process_ready start w1/web',
      'process pause w1/web',
      'process resume w1/web',
      'process restart w1/web',
      'process_ready restart w1/web',
      'process stop w2/web',
      'process start w2/web',
      'process_ready start w2/web',
      'process kill w2/web',
      'process resume w1/web',
      'process_failed resume w1/web',
    ]);
    expect(timeline[0]!.params).toEqual({ node: 'w1', service: 'web', signal: 'SIGKILL' });
    expect(timeline[5]!.params).toEqual({ node: 'w1', service: 'web', await_ready: true, timeout_ms: 2_000 });
    expect(timeline[6]!.params).toEqual({ node: 'w1', service: 'web', await_ready: true, timeout_ms: 2_000 });
    expect(BigInt(timeline[6]!.mono)).toBeGreaterThan(BigInt(timeline[5]!.mono));
    expect(timeline[12]!.error).toBeTruthy();
    await expectNoLeaks(result.id);
  }, 240_000);
});
