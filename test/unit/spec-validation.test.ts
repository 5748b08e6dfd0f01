/**
 * Every spec mistake fails with a SpecError naming what is wrong and where,
 * before anything is created (builders throw at the call; the handle checks
 * names against the plan before it touches the network or containerd).
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { spec, SpecError, StateError, Test } from '../../lib/index.js';
import { FaultRegistry } from '../../lib/faults/registry.js';
import { planCluster } from '../../lib/spec/plan.js';
import type { RunContext } from '../../lib/runtime/run-context.js';
import { RunTestHandle } from '../../lib/runtime/test-handle.js';

const IMAGE = 'pakostii.local/busybox:latest';
const c = () => spec.newContainer('app', IMAGE);

function expectSpecError(fn: () => unknown, message: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `expected a SpecError matching ${message}`).toBeInstanceOf(SpecError);
  expect((thrown as SpecError).message).toMatch(message);
  expect((thrown as SpecError).hint, 'every SpecError tells what to do').toBeTruthy();
}

describe('builder arguments', () => {
  it.each([
    ['empty node name', () => spec.newNode(''), /node name must be a non-empty string/],
    ['node name with underscore', () => spec.newNode('etcd_1'), /node name "etcd_1" is not a valid hostname label/],
    ['node name with uppercase', () => spec.newNode('Etcd1'), /node name "Etcd1" is not a valid hostname label/],
    ['node name starting with hyphen', () => spec.newNode('-a'), /"-a" is not a valid hostname label/],
    ['node name with dot', () => spec.newNode('a.b'), /"a.b" is not a valid hostname label/],
    ['node name too long', () => spec.newNode('n'.repeat(33)), /is 33 characters long; at most 32/],
    ['service name invalid', () => spec.newContainer('My App', IMAGE), /service name "My App" is invalid/],
    ['service name too long', () => spec.newContainer('s'.repeat(33), IMAGE), /service name "s{33}" is 33 characters long/],
    ['empty image', () => spec.newContainer('app', ''), /newContainer\("app"\): image reference must be a non-empty string/],
    ['image with uppercase name', () => spec.newContainer('app', 'Redis:7'), /image reference "Redis:7" is malformed/],
    ['image with spaces', () => spec.newContainer('app', 'redis 7'), /image reference "redis 7" is malformed/],
    ['image with bad digest', () => spec.newContainer('app', 'redis@sha256:xyz'), /malformed/],
    ['az invalid', () => spec.newNode('n1').withAZ('az 1'), /node "n1": withAZ\(\): availability zone "az 1" is invalid/],
    ['env key empty', () => c().withEnv('', 'v'), /service "app": withEnv\(\): environment variable name must be a non-empty string/],
    ['env key with =', () => c().withEnv('A=B', 'v'), /environment variable name "A=B" must not contain "="/],
    ['env value not a string', () => c().withEnv('A', 5 as unknown as string), /value of environment variable "A" must be a string/],
    ['file target relative', () => c().withFile('etc/app.conf', 'x'), /withFile\(\): file target "etc\/app.conf" is not an absolute path/],
    ['file target with ..', () => c().withFile('/etc/../root/x', 'x'), /file target "\/etc\/..\/root\/x" contains "." or ".." segments/],
    ['file target is a directory', () => c().withFile('/etc/app/', 'x'), /file target "\/etc\/app\/" is a directory path/],
    ['file target is /etc/hosts', () => c().withFile('/etc/hosts', 'x'), /"\/etc\/hosts" is managed by pakostii/],
    ['file content object', () => c().withFile('/x', {} as unknown as string), /content of "\/x" must be a string or a Uint8Array/],
    ['empty command', () => c().withCommand([]), /withCommand\(\): command must be a non-empty array of strings/],
    ['command with non-string', () => c().withCommand(['a', 1 as unknown as string]), /command must be a non-empty array of strings/],
    ['negative start delay', () => c().withStartDelay(-1), /withStartDelay\(\): start delay must be a non-negative number.*-1/],
    ['NaN start delay', () => c().withStartDelay(Number.NaN), /start delay must be a non-negative number/],
    ['readiness not a probe', () => c().withReadiness({} as never), /withReadiness\(\): not a probe/],
    ['readiness a hand-made probe object', () => c().withReadiness({ kind: 'tcp', port: 80 } as never), /withReadiness\(\): not a probe made by spec/],
    ['NUL in command', () => c().withCommand(['sh', '-c', 'a\0b']), /command/],
    ['start delay beyond setTimeout range', () => c().withStartDelay(2 ** 31 + 1), /start delay/],
    ['a 1 MB node name is not echoed whole', () => spec.newNode('x'.repeat(1_000_000)), /node name "x{50,60}… \(1000002 characters\) is 1000000 characters long/],
    ['http probe port 0', () => spec.httpProbe({ port: 0 }), /httpProbe\(\): port 0 is out of range/],
    ['http probe port 70000', () => spec.httpProbe({ port: 70000 }), /port 70000 is out of range/],
    ['http probe port fractional', () => spec.httpProbe({ port: 80.5 }), /port 80.5 is out of range/],
    ['http probe status 999', () => spec.httpProbe({ port: 80, expectStatus: 999 }), /expected HTTP status 999 is not a valid status code/],
    ['http probe timeout 0', () => spec.httpProbe({ port: 80, timeoutMs: 0 }), /timeoutMs must be a positive number of milliseconds, got 0/],
    ['http probe interval negative', () => spec.httpProbe({ port: 80, intervalMs: -5 }), /intervalMs must be a positive number/],
    ['http probe path without /', () => spec.httpProbe({ port: 80, path: 'health' }), /path "health" must start with "\/"/],
    ['http probe bad method', () => spec.httpProbe({ port: 80, method: 'FETCH' as never }), /method "FETCH" is not supported/],
    ['tcp probe port', () => spec.tcpProbe({ port: -1 }), /tcpProbe\(\): port -1 is out of range/],
    ['exec probe empty argv', () => spec.execProbe([]), /execProbe\(\): argv must be a non-empty array/],
    ['exec probe timeout', () => spec.execProbe(['true'], { timeoutMs: Infinity }), /timeoutMs must be a positive number.*Infinity/],
  ])('%s', (_case, fn, message) => expectSpecError(fn, message));

  it('accepts valid image references', () => {
    for (const image of [
      'redis',
      'redis:7',
      'docker.io/library/redis:7.2-alpine',
      'localhost:5000/team/app:v1.0',
      'pakostii.local/etcd:3.4',
      `quay.io/coreos/etcd@sha256:${'a'.repeat(64)}`,
    ]) {
      expect(() => spec.newContainer('app', image), image).not.toThrow();
    }
  });
});

describe('cluster structure', () => {
  it('duplicate node', () =>
    expectSpecError(() => spec.newCluster().addNode(spec.newNode('n1')).addNode(spec.newNode('n1')), /node "n1" is already in the cluster/));
  it('duplicate service on a node', () =>
    expectSpecError(() => spec.newNode('n1').runs(c()).runs(c()), /node "n1": service "app" is defined twice/));
  it('duplicate service in one runs() call', () =>
    expectSpecError(() => spec.newNode('n1').runs(c(), c().withEnv('A', '1')), /service "app" is defined twice/));
  it('two services that would share a container id (node "a-b" + "c", node "a" + "b-c")', () =>
    expectSpecError(
      () =>
        new Test(
          't',
          spec
            .newCluster()
            .addNode(spec.newNode('a-b').runs(spec.newContainer('c', IMAGE)))
            .addNode(spec.newNode('a').runs(spec.newContainer('b-c', IMAGE))),
        ),
      /service "b-c" on node "a" and service "c" on node "a-b" would get the same container id/,
    ));
  it('empty cluster', () => expectSpecError(() => new Test('t', spec.newCluster()), /the cluster has no nodes/));
  it('invalid test name', () =>
    expectSpecError(() => new Test('my test', spec.newCluster().addNode(spec.newNode('n1'))), /test name "my test" is invalid/));
  it('invalid readiness timeout', () =>
    expectSpecError(
      () => new Test('t', spec.newCluster().addNode(spec.newNode('n1')), { readinessTimeoutMs: 0 }),
      /new Test\(\): readinessTimeoutMs must be a positive number/,
    ));
});

/** A handle over a plan with fakes that fail the test if anything is touched: validation must come first. */
function handleFor(signal = new AbortController().signal): RunTestHandle {
  const cluster = spec
    .newCluster()
    .addNode(spec.newNode('n1').withAZ('az1').runs(c()))
    .addNode(spec.newNode('n2').withAZ('az2').runs(c()));
  const plan = planCluster(cluster);
  const untouchable = new Proxy({}, { get: (_t, p) => { throw new Error(`touched ${String(p)} before validation`); } });
  const logger = pino({ level: 'silent' });
  const matrix = { nodes: 3, cut() {}, setLoss() {}, clear() {} };
  const ctx: RunContext = {
    id: 'abcde',
    name: 't',
    artifactsDir: '/tmp/x',
    logger,
    signal,
    plan,
    network: untouchable as RunContext['network'],
    containers: untouchable as RunContext['containers'],
    faults: new FaultRegistry({ commit() {} }, () => matrix, logger),
    dial: () => Promise.reject(new Error('dial before validation')),
    trackCloseable: () => undefined,
  };
  return new RunTestHandle(ctx);
}

describe('names used during a run are checked against the cluster', () => {
  const t = handleFor();
  it('unknown node in forwardPort', () => expectSpecError(() => t.network.forwardPort('n9', 80), /forwardPort\("n9", 80\): unknown node "n9".*\n.*"n1", "n2"/));
  it('port out of range in forwardPort', () => expectSpecError(() => t.network.forwardPort('n1', 0), /forwardPort\("n1", 0\): port 0 is out of range/));
  it('unknown node in ipOf', () => expectSpecError(() => t.network.ipOf('nope'), /ipOf\("nope"\): unknown node "nope"/));
  it('unknown node in ipsOf', () => expectSpecError(() => t.network.ipsOf(['n9']), /unknown node "n9"/));
  it('unknown AZ in isolateAZ', () =>
    expectSpecError(() => t.network.partition.isolateAZ('iso', 'az3'), /isolateAZ\("iso"\): unknown availability zone "az3".*\n.*"az1", "az2"/));
  it('unknown node in exec', async () => {
    await expect(t.exec.inContainer('n9', 'app', 'true')).rejects.toThrow(/exec in n9\/app: unknown node "n9"/);
  });
  it('unknown service in exec', async () => {
    await expect(t.exec.inContainer('n1', 'db', 'true')).rejects.toThrow(/node "n1" runs no service "db"[\s\S]*"app"/);
  });
  it('empty argv in exec', async () => {
    await expect(t.exec.inContainer('n1', 'app')).rejects.toBeInstanceOf(SpecError);
  });
  it('unknown node in http', async () => {
    await expect(t.http.get('http://n9:80/')).rejects.toThrow(/http GET http:\/\/n9:80\/: unknown node "n9"/);
  });
  it('invalid URL in http', async () => {
    await expect(t.http.get('not a url')).rejects.toThrow(/not a valid URL/);
  });
  it('https in http', async () => {
    await expect(t.http.get('https://n1/')).rejects.toThrow(/only http:\/\/ is supported/);
  });
});

describe('a finished run', () => {
  const t = handleFor(AbortSignal.abort());
  it('refuses forwardPort and exec with a StateError', async () => {
    expect(() => t.network.forwardPort('n1', 80)).toThrow(StateError);
    expect(() => t.network.forwardPort('n1', 80)).toThrow(/forwardPort\("n1", 80\): test "t" \(abcde\) has finished/);
    await expect(t.exec.inContainer('n1', 'app', 'true')).rejects.toBeInstanceOf(StateError);
  });
});
