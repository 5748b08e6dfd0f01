/**
 * Readiness probes are awaited before the test function: a late service is
 * waited for, one that never becomes ready fails the run with the probe's last
 * error — after teardown.
 */
import { describe, expect, it } from 'vitest';
import { spec, Test, TestFailedError } from '../../lib/index.js';
import { BUSYBOX, captureLogger } from './support.js';
import { expectNoLeaks } from '../helpers/leak-audit.js';

const httpd = (delayMs: number, port = 8080) =>
  spec
    .newContainer('web', BUSYBOX)
    .withFile('/www/index.html', 'ready\n')
    .withCommand(['httpd', '-f', '-p', String(port), '-h', '/www'])
    .withStartDelay(delayMs);

describe('readiness', () => {
  it('waits for a service that starts late before running the test function', async () => {
    const { logger, lines } = captureLogger();
    const cluster = spec
      .newCluster()
      .addNode(spec.newNode('late').runs(httpd(2_000).withReadiness(spec.httpProbe({ port: 8080, path: '/index.html', intervalMs: 100 }))))
      .addNode(spec.newNode('probe-exec').runs(httpd(0).withReadiness(spec.execProbe(['nc', '-w', '1', '127.0.0.1', '8080', '-e', 'true']))));
    const result = await new Test('late_start', cluster, { logger }).run(async (t) => {
      // No retry here: readiness already guaranteed it answers.
      const res = await t.http.get('http://late:8080/index.html', { timeoutMs: 5000 });
      expect(res.status).toBe(200);
    });
    expect(result.readyMs).toBeGreaterThanOrEqual(2_000);
    expect(lines.find((l) => l.msg === 'delaying container start')).toMatchObject({ node: 'late', delay_ms: 2000 });
    const running = lines.findIndex((l) => l.msg === 'container running' && l.node === 'late');
    const ready = lines.findIndex((l) => l.msg === 'container ready' && l.node === 'late');
    const start = lines.findIndex((l) => l.msg === 'starting test "late_start"');
    expect(running).toBeGreaterThan(0);
    expect(ready).toBeGreaterThan(running);
    expect(start).toBeGreaterThan(ready);
    await expectNoLeaks(result.id);
  });

  it('a service that never becomes ready fails the run with a clear error, without calling the test', async () => {
    const { logger, messages } = captureLogger();
    const cluster = spec
      .newCluster()
      .addNode(spec.newNode('n1').runs(httpd(0).withReadiness(spec.httpProbe({ port: 9090, path: '/', timeoutMs: 2000, intervalMs: 200 }))));
    let called = false;
    const started = Date.now();
    const error = await new Test('never_ready', cluster, { logger, readinessTimeoutMs: 4_000 })
      .run(() => {
        called = true;
      })
      .then(() => undefined, (e: unknown) => e);
    expect(called).toBe(false);
    expect(error).toBeInstanceOf(TestFailedError);
    const failure = error as TestFailedError;
    expect(failure.message).toMatch(/service "web" on node "n1" did not become ready within 4000 ms/);
    expect(failure.message).toMatch(/HTTP GET :9090\/ expecting 200/);
    expect(failure.message).toMatch(/last error: .*(refused|ECONNREFUSED)/i);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(messages()).not.toContain('runtime ready');
    expect(messages().slice(-4)).toEqual(['containers tore down', 'network tore down', 'report written', 'test failed']);
    await expectNoLeaks(failure.id);
  });
});
