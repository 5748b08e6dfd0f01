/**
 * Failing runs: the test function's error (thrown, rejected or returned) becomes a
 * TestFailedError with its message and the original error (stack) as cause;
 * provisioning failures tear down what was created; teardown always completes.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContainerdError, spec, Test, TestFailedError } from '../../lib/index.js';
import { BUSYBOX, captureLogger } from './support.js';
import { expectNoLeaks } from '../helpers/leak-audit.js';

const sleeper = () =>
  spec.newCluster().addNode(spec.newNode('n1').runs(spec.newContainer('sleep', BUSYBOX).withCommand(['sleep', '3600'])));

async function failureOf(promise: Promise<unknown>): Promise<TestFailedError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(TestFailedError);
  return error as TestFailedError;
}

describe('failing runs', () => {
  it('a thrown error fails the run with its message and stack, after a full teardown', async () => {
    const { logger, lines, messages } = captureLogger();
    const thrown = new Error('expected value \'baz\', got \'bar\'');
    const error = await failureOf(
      new Test('throws', sleeper(), { logger }).run(() => {
        throw thrown;
      }),
    );
    expect(error.message).toContain("expected value 'baz', got 'bar'");
    expect(error.cause).toBe(thrown);
    expect((error.cause as Error).stack).toContain('failures.test.ts');
    expect(error.testName).toBe('throws');
    expect(error.artifactsDir).toBe(join(process.cwd(), '.pakostii', `throws-${error.id}`));
    expect(error.durationMs).toBeGreaterThan(0);
    const msgs = messages();
    expect(msgs.slice(-5)).toEqual(['tearing down runtime', 'containers tore down', 'network tore down', 'report written', 'test failed']);
    expect(lines.at(-1)).toMatchObject({ level: 'error', error: "expected value 'baz', got 'bar'" });
    expect(existsSync(join(error.artifactsDir, 'logs/n1/sleep/stdout'))).toBe(true);
    await expectNoLeaks(error.id);
  });

  it('a rejected promise fails the run the same way', async () => {
    const { logger } = captureLogger();
    const error = await failureOf(new Test('rejects', sleeper(), { logger }).run(async () => Promise.reject(new RangeError('nope'))));
    expect(error.message).toMatch(/test "rejects" failed: nope/);
    expect(error.cause).toBeInstanceOf(RangeError);
    await expectNoLeaks(error.id);
  });

  it('`throw undefined` and `Promise.reject()` (no reason) fail the run, saying no reason was given', async () => {
    const { logger } = captureLogger();
    const thrown = await failureOf(
      new Test('throws-undefined', sleeper(), { logger }).run(() => {
        throw undefined;
      }),
    );
    expect(thrown.message).toMatch(/failed with undefined \(no reason given/);
    await expectNoLeaks(thrown.id);
    const rejected = await failureOf(new Test('rejects-empty', sleeper(), { logger }).run(() => Promise.reject()));
    expect(rejected.message).toMatch(/failed with undefined/);
    await expectNoLeaks(rejected.id);
  });

  it('a returned Error (the Go guide\'s `return err`) fails the run with its message', async () => {
    const { logger, lines } = captureLogger();
    const error = await failureOf(
      new Test('returns', sleeper(), { logger }).run(async () => new Error("expected value 'baz', got 'bar'")),
    );
    expect(error.message).toBe(`test "returns" failed: expected value 'baz', got 'bar'`);
    expect((error.cause as Error).message).toBe("expected value 'baz', got 'bar'");
    expect(lines.at(-1)).toMatchObject({ msg: 'test failed', error: "expected value 'baz', got 'bar'" });
    await expectNoLeaks(error.id);
  });

  it('t.signal is aborted at teardown', async () => {
    const { logger } = captureLogger();
    let signal: AbortSignal | undefined;
    const result = await new Test('signal_at_teardown', sleeper(), { logger }).run((t) => {
      signal = t.signal;
    });
    expect(signal?.aborted).toBe(true);
    await expectNoLeaks(result.id);
  });

  it('a missing image fails provisioning with containerd\'s reason and removes the network already created', async () => {
    const { logger, messages } = captureLogger();
    const cluster = spec
      .newCluster()
      .addNode(spec.newNode('n1').runs(spec.newContainer('ghost', 'pakostii.local/does-not-exist:never')));
    let called = false;
    const error = await failureOf(
      new Test('missing_image', cluster, { logger }).run(() => {
        called = true;
      }),
    );
    expect(called).toBe(false);
    expect(error.cause).toBeInstanceOf(ContainerdError);
    expect(error.message).toMatch(/does-not-exist/);
    expect(messages()).toContain('network ready for node n1');
    expect(messages()).toContain('network tore down');
    await expectNoLeaks(error.id);
  });
});
