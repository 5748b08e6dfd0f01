/**
 * spec.logProbe: a service is ready once its output (since its latest start)
 * has the pattern `times` times; a service that never logs it fails the run
 * with the last lines it wrote quoted; after a restart the probe waits for the
 * new process's lines, not the old ones.
 */
import { describe, expect, it } from 'vitest';
import { spec, Test, TestFailedError } from '../../lib/index.js';
import { BUSYBOX, captureLogger } from './support.js';
import { expectNoLeaks } from '../helpers/leak-audit.js';

/** A busybox "server" that prints `script`'s lines with pauses, then idles. */
const talker = (script: string, probe: spec.Probe) =>
  spec.newContainer('srv', BUSYBOX).withCommand(['sh', '-c', `${script}; exec sleep 3600`]).withReadiness(probe);

describe('logProbe', () => {
  it('waits for the pattern the given number of times, on the stream asked for', async () => {
    const { logger, lines } = captureLogger();
    const cluster = spec
      .newCluster()
      .addNode(
        spec
          .newNode('n1')
          .runs(talker('echo booting; sleep 1; echo "Ready to accept connections"; sleep 1; echo "Ready to accept connections"', spec.logProbe(/ready to accept/i, { times: 2 }))),
      )
      .addNode(spec.newNode('n2').runs(talker('echo ready on stdout; sleep 1; echo "ready on stderr" >&2', spec.logProbe('ready on stderr', { stream: 'stderr' }))));
    let at = 0;
    const result = await new Test('log_probe', cluster, { logger }).run(async (t) => {
      at = Date.now();
      const out = await t.exec.inContainer('n1', 'srv', 'true');
      expect(out.exitCode).toBe(0);
    });
    expect(at).toBeGreaterThan(0);
    expect(result.readyMs).toBeGreaterThanOrEqual(2_000);
    expect(lines.find((l) => l.msg === 'container ready' && l.node === 'n1')).toBeDefined();
    await expectNoLeaks(result.id);
  });

  it('times out with a clear error quoting the last lines seen', async () => {
    const { logger } = captureLogger();
    const cluster = spec.newCluster().addNode(spec.newNode('n1').runs(talker('echo booting; echo "loading shard 1"; echo "still loading" >&2', spec.logProbe(/listening on/))));
    const error = await new Test('log_probe_timeout', cluster, { logger, readinessTimeoutMs: 2_500 }).run(() => undefined).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TestFailedError);
    const message = (error as TestFailedError).message;
    expect(message).toMatch(/did not become ready within 2500 ms .*log line \/listening on\/ on stdout\/stderr/);
    expect(message).toContain('0 of 1 lines matching /listening on/; last lines seen:\n  | booting\n  | loading shard 1\n  | still loading');
    await expectNoLeaks((error as TestFailedError).id);
  });

  it('after a restart, waits for the new process to log the pattern again', async () => {
    const { logger } = captureLogger();
    const cluster = spec.newCluster().addNode(spec.newNode('n1').runs(talker('sleep 2; echo up', spec.logProbe(/^up$/))));
    const result = await new Test('log_probe_restart', cluster, { logger }).run(async (t) => {
      const started = Date.now();
      await t.containers.restart('n1', 'srv', { awaitReady: true, timeoutMs: 1_000 });
      // The old "up" line is still in the log file: only the new process's counts.
      expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    });
    await expectNoLeaks(result.id);
  });
});
