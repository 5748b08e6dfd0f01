/**
 * Bad-input catalogue: every mistake a person can make gets an error of the
 * right class whose message names the operation and the offending value, and
 * nothing is left on the host. Three groups:
 *   - spec mistakes, caught by the builders / new Test() before anything exists;
 *   - mistakes inside a test function, against one shared live run;
 *   - environment problems (containerd down, image missing, no privileges,
 *     bad subnet pool), which fail the run with a hint and leave nothing behind.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ContainerdError,
  PakostiiError,
  spec,
  SpecError,
  StateError,
  Test,
  TestFailedError,
  type FaultHandle,
  type TestHandle,
} from '../../lib/index.js';
import { runIdOfLink, runIdOfNetns } from '../../lib/host/patterns.js';
import { listRuns } from '../../lib/host/run-records.js';
import { NETNS_DIR } from '../../lib/host/paths.js';
import { expectNoLeaks, snapshotHostNetwork, type HostNetworkSnapshot } from '../helpers/leak-audit.js';

const IMAGE = process.env.PAKOSTII_BUSYBOX_IMAGE ?? 'pakostii.local/busybox:latest';
const logger = pino({ level: process.env.PAKOSTII_TEST_LOG_LEVEL ?? 'warn' }, pino.destination(2));
const sleeper = (name = 'main') => spec.newContainer(name, IMAGE).withCommand(['sleep', '3600']);
const oneNode = () => spec.newCluster().addNode(spec.newNode('n1').runs(sleeper()));

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Run ids registered by this process, and netns/links named after them: what "nothing was created" means here. */
async function objectsOfThisProcess(): Promise<string[]> {
  const ours = new Set((await listRuns()).filter((r) => r.record?.pid === process.pid).map((r) => r.id));
  const netns = list(NETNS_DIR).filter((n) => ours.has(runIdOfNetns(n) ?? ''));
  const links = list('/sys/class/net').filter((n) => ours.has(runIdOfLink(n) ?? ''));
  return [...[...ours].map((id) => `record ${id}`), ...netns, ...links];
}

/** Asserts `action` throws `type` with a message matching `message`, and that nothing was created. */
async function rejects(action: () => unknown, type: new (...args: never[]) => Error, message: RegExp): Promise<Error> {
  let caught: unknown;
  try {
    await action();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected an error').toBeInstanceOf(type);
  expect((caught as Error).message).toMatch(message);
  if (caught instanceof PakostiiError) expect(caught.hint, 'errors are for people: a hint says what to do').toBeTruthy();
  expect(await objectsOfThisProcess()).toEqual([]);
  return caught as Error;
}

// Whatever the input, the host's routes (v4 and v6, every table), addresses and firewall end as they began.
let hostBefore: HostNetworkSnapshot;
beforeAll(async () => {
  hostBefore = await snapshotHostNetwork();
});
afterAll(async () => {
  expect(await snapshotHostNetwork()).toEqual(hostBefore);
});

describe('spec mistakes are caught before anything exists', () => {
  it('duplicate node', async () => {
    await rejects(() => spec.newCluster().addNode(spec.newNode('n1')).addNode(spec.newNode('n1')), SpecError, /node "n1" is already in the cluster/);
  });
  it('empty node name', async () => {
    await rejects(() => spec.newNode(''), SpecError, /node name must be a non-empty string/);
  });
  it('node name with invalid characters', async () => {
    await rejects(() => spec.newNode('Node_1'), SpecError, /node name "Node_1" is not a valid hostname label/);
  });
  it('node name too long', async () => {
    await rejects(() => spec.newNode('n'.repeat(33)), SpecError, /is 33 characters long; at most 32/);
  });
  it('duplicate service on a node', async () => {
    await rejects(() => spec.newNode('n1').runs(sleeper('web'), sleeper('web')), SpecError, /node "n1": service "web" is defined twice/);
  });
  it('invalid availability zone name', async () => {
    await rejects(() => spec.newNode('n1').withAZ(''), SpecError, /availability zone "" is invalid/);
  });
  it('malformed image reference', async () => {
    await rejects(() => spec.newContainer('web', 'Not A/Valid::ref'), SpecError, /image reference "Not A\/Valid::ref" is malformed/);
  });
  it('file target not absolute', async () => {
    await rejects(() => sleeper().withFile('etc/app.conf', 'x'), SpecError, /file target "etc\/app.conf" is not an absolute path/);
  });
  it('file target with ".."', async () => {
    await rejects(() => sleeper().withFile('/etc/../root/x', 'x'), SpecError, /file target "\/etc\/..\/root\/x" contains "." or ".." segments/);
  });
  it('file target that is a directory', async () => {
    await rejects(() => sleeper().withFile('/etc/app/', 'x'), SpecError, /file target "\/etc\/app\/" is a directory path/);
  });
  it('env key with "="', async () => {
    await rejects(() => sleeper().withEnv('A=B', 'x'), SpecError, /environment variable name "A=B" must not contain "="/);
  });
  it('empty env key', async () => {
    await rejects(() => sleeper().withEnv('', 'x'), SpecError, /environment variable name must be a non-empty string/);
  });
  it('probe with an invalid port', async () => {
    await rejects(() => spec.tcpProbe({ port: 0 }), SpecError, /tcpProbe\(\): port 0 is out of range/);
    await rejects(() => spec.httpProbe({ port: 70000 }), SpecError, /httpProbe\(\): port 70000 is out of range/);
  });
  it('probe with an invalid expected status code', async () => {
    await rejects(() => spec.httpProbe({ port: 80, expectStatus: 999 }), SpecError, /expected HTTP status 999 is not a valid status code/);
  });
  it('probe with an invalid timeout', async () => {
    await rejects(() => spec.tcpProbe({ port: 80, timeoutMs: -1 }), SpecError, /timeoutMs must be a positive number of milliseconds, got -1/);
  });
  it('negative start delay', async () => {
    await rejects(() => sleeper().withStartDelay(-5), SpecError, /start delay must be a non-negative number of milliseconds, got -5/);
  });
  it('a 1 MB node name is not echoed whole', async () => {
    const error = await rejects(() => spec.newNode('a'.repeat(1 << 20)), SpecError, /is 1048576 characters long; at most 32/);
    expect(error.message.length).toBeLessThan(300);
  });
  it('start delay longer than timers allow (2**31+1 would fire after 1 ms)', async () => {
    await rejects(() => sleeper().withStartDelay(2 ** 31 + 1), SpecError, /start delay 2147483649 ms is longer than timers allow/);
  });
  it('NUL in a command argument', async () => {
    await rejects(() => sleeper().withCommand(['sh', '-c', 'a\0b']), SpecError, /command argument 2 contains a NUL character/);
  });
  it('files "/a" and "/a/b" (one would have to be a directory)', async () => {
    await rejects(() => sleeper().withFile('/a', 'x').withFile('/a/b', 'y'), SpecError, /file target "\/a\/b" and "\/a" would nest one file inside the other/);
    await rejects(() => sleeper().withFile('/a/b', 'y').withFile('/a', 'x'), SpecError, /file target "\/a" and "\/a\/b" would nest/);
  });
  it('relative workDir', async () => {
    await rejects(() => new Test('t', oneNode(), { workDir: 'scratch' }), SpecError, /workDir "scratch" is not an absolute path/);
  });
  it('artifactsDir that is not a path', async () => {
    await rejects(() => new Test('t', oneNode(), { artifactsDir: 42 as unknown as string }), SpecError, /artifactsDir must be a directory path, got 42/);
  });
  it('empty cluster', async () => {
    await rejects(() => new Test('empty', spec.newCluster()), SpecError, /the cluster has no nodes/);
  });
  it('invalid test name', async () => {
    await rejects(() => new Test('has space', oneNode()), SpecError, /test name "has space" is invalid/);
  });
});

describe('mistakes inside a test function', () => {
  let handle: TestHandle;
  let fault: FaultHandle;
  let finish: () => void = () => undefined;
  let run: Promise<{ id: string }>;

  beforeAll(async () => {
    const cluster = spec
      .newCluster()
      .addNode(spec.newNode('n1').withAZ('left').runs(sleeper()))
      .addNode(spec.newNode('n2').withAZ('right').runs(sleeper()))
      .addNode(spec.newNode('n3').runs(sleeper())); // no AZ: in the default one
    const started = new Promise<void>((resolveStarted, rejectStarted) => {
      run = new Test('bad-input-live', cluster, { logger }).run(async (t) => {
        handle = t;
        resolveStarted();
        await new Promise<void>((resolve) => (finish = resolve));
      });
      run.catch(rejectStarted);
    });
    await started;
    fault = handle.network.partition.isolateAZ('left cut', 'left');
  }, 120_000);

  afterAll(async () => {
    finish();
    const result = await run;
    await expectNoLeaks(result.id);
  });

  const objectsLeftAlone = async (action: () => unknown, type: new (...args: never[]) => Error, message: RegExp) => {
    let caught: unknown;
    try {
      await action();
    } catch (error) {
      caught = error;
    }
    expect(caught, 'expected an error').toBeInstanceOf(type);
    expect((caught as Error).message).toMatch(message);
    expect((caught as PakostiiError).hint).toBeTruthy();
  };

  it('isolateAZ of an unknown AZ', async () => {
    await objectsLeftAlone(() => handle.network.partition.isolateAZ('x', 'middle'), SpecError, /isolateAZ\("x"\): unknown availability zone "middle"/);
  });
  it('isolateAZ of a node without an AZ', async () => {
    await objectsLeftAlone(() => handle.network.partition.isolateAZ('y', 'n3'), SpecError, /isolateAZ\("y"\): unknown availability zone "n3"/);
    const error = (() => {
      try {
        handle.network.partition.isolateAZ('y', 'n3');
      } catch (e) {
        return e as SpecError;
      }
      return undefined;
    })();
    expect(error?.hint).toMatch(/"n3" is a node \(in AZ "default"\), not an AZ; the cluster's AZs are "left", "right", "default"/);
  });
  it('unknown node in forwardPort', async () => {
    await objectsLeftAlone(() => handle.network.forwardPort('nope', 80), SpecError, /forwardPort\("nope", 80\): unknown node "nope"/);
  });
  it('unknown node in ipOf', async () => {
    await objectsLeftAlone(() => handle.network.ipOf('nope'), SpecError, /ipOf\("nope"\): unknown node "nope"/);
  });
  it('unknown node in exec', async () => {
    await objectsLeftAlone(() => handle.exec.inContainer('nope', 'main', 'true'), SpecError, /unknown node "nope"/);
  });
  it('unknown service in exec', async () => {
    await objectsLeftAlone(() => handle.exec.inContainer('n1', 'db', 'true'), SpecError, /node "n1" runs no service "db"/);
  });
  it('unknown host in http', async () => {
    await objectsLeftAlone(() => handle.http.get('http://nope:80/'), SpecError, /unknown node "nope"/);
  });
  it('port out of range in forwardPort', async () => {
    await objectsLeftAlone(() => handle.network.forwardPort('n1', 70000), SpecError, /port 70000 is out of range/);
  });
  it('isolateAZ with an empty or non-string fault name', async () => {
    await objectsLeftAlone(() => handle.network.partition.isolateAZ('', 'left'), SpecError, /isolateAZ\(""\): the fault name must be a non-empty string/);
    await objectsLeftAlone(() => handle.network.partition.isolateAZ(42 as unknown as string, 'left'), SpecError, /isolateAZ\(42\): the fault name must be a non-empty string, got 42/);
  });
  it('majoritiesRing / randomHalves with a seed that is not a number or a string', async () => {
    await objectsLeftAlone(() => handle.network.partition.majoritiesRing('m', {} as unknown as number), SpecError, /majoritiesRing\("m"\): the seed must be a number or a string, got \{\}/);
    await objectsLeftAlone(() => handle.network.partition.majoritiesRing('m', Number.NaN), SpecError, /the seed must be a number or a string, got NaN/);
    await objectsLeftAlone(() => handle.network.partition.randomHalves('r', [1] as unknown as number), SpecError, /randomHalves\("r"\): the seed must be a number or a string/);
  });
  it('exec with an env name containing "=", a relative cwd, NUL in argv, or a bad output limit', async () => {
    await objectsLeftAlone(() => handle.exec.run('n1', 'main', ['true'], { env: { 'A=B': 'x' } }), SpecError, /environment variable name "A=B" must not contain "="/);
    await objectsLeftAlone(() => handle.exec.run('n1', 'main', ['true'], { cwd: 'tmp' }), SpecError, /cwd "tmp" is not an absolute path/);
    await objectsLeftAlone(() => handle.exec.inContainer('n1', 'main', 'echo', 'a\0b'), SpecError, /argv argument 1 contains a NUL character/);
    await objectsLeftAlone(() => handle.exec.run('n1', 'main', ['true'], { maxOutputBytes: 0 }), SpecError, /maxOutputBytes must be an integer from 1 to/);
  });
  it('heal() before apply()', async () => {
    await objectsLeftAlone(() => fault.heal(), StateError, /isolateAZ "left cut" is not applied/);
  });
  it('apply() twice', async () => {
    await fault.apply();
    await objectsLeftAlone(() => fault.apply(), StateError, /isolateAZ "left cut" is already applied/);
    await fault.heal();
  });
  it('using handles after the run ended', async () => {
    finish();
    await run;
    await objectsLeftAlone(() => handle.exec.inContainer('n1', 'main', 'true'), StateError, /has finished/);
    await objectsLeftAlone(() => handle.network.forwardPort('n1', 80), StateError, /has finished/);
    await objectsLeftAlone(() => fault.apply(), StateError, /the test has finished/);
  });
});

async function failedRun(test: Test): Promise<TestFailedError> {
  let caught: unknown;
  try {
    await test.run(() => {
      throw new Error('the test function must not run');
    });
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(TestFailedError);
  const failed = caught as TestFailedError;
  expect(failed.message).not.toMatch(/must not run/);
  // No id: refused before the run was registered, so before anything of it existed.
  if (failed.id !== '') await expectNoLeaks(failed.id);
  expect(await objectsOfThisProcess()).toEqual([]);
  return failed;
}

describe('environment problems fail the run with a hint and leave nothing', () => {
  it('containerd is down (socket path does not exist)', async () => {
    const failed = await failedRun(new Test('containerd-down', oneNode(), { logger, containerd: { socket: '/run/pakostii-test/no-containerd.sock' } }));
    expect(failed.cause).toBeInstanceOf(ContainerdError);
    expect((failed.cause as ContainerdError).message).toMatch(/\/run\/pakostii-test\/no-containerd.sock/);
    expect((failed.cause as ContainerdError).hint).toMatch(/containerd/);
  });

  it('image missing and not pullable', async () => {
    const cluster = spec.newCluster().addNode(spec.newNode('n1').runs(spec.newContainer('main', 'pakostii.local/no-such-image:1')));
    const failed = await failedRun(new Test('missing-image', cluster, { logger }));
    expect(failed.cause).toBeInstanceOf(ContainerdError);
    expect((failed.cause as Error).message).toMatch(/pakostii\.local\/no-such-image:1/);
  });

  it('invalid PAKOSTII_SUBNET_POOL', async () => {
    const saved = process.env.PAKOSTII_SUBNET_POOL;
    process.env.PAKOSTII_SUBNET_POOL = '10.0.0.1/16';
    try {
      const failed = await failedRun(new Test('bad-pool', oneNode(), { logger }));
      expect(failed.cause).toBeInstanceOf(SpecError);
      expect((failed.cause as SpecError).message).toMatch(/invalid subnet pool "10.0.0.1\/16" \(from PAKOSTII_SUBNET_POOL\)/);
      expect(failed.id, 'refused before the run was registered').toBe('');
    } finally {
      if (saved === undefined) delete process.env.PAKOSTII_SUBNET_POOL;
      else process.env.PAKOSTII_SUBNET_POOL = saved;
    }
  });

  for (const [pool, what] of [
    ['224.0.0.0/16', 'multicast'],
    ['0.0.0.0/16', '"this network"'],
    ['127.0.0.0/16', 'loopback'],
  ] as const) {
    it(`a subnet pool of ${what} addresses (${pool})`, async () => {
      const saved = process.env.PAKOSTII_SUBNET_POOL;
      process.env.PAKOSTII_SUBNET_POOL = pool;
      try {
        const failed = await failedRun(new Test('bad-pool', oneNode(), { logger }));
        expect(failed.id, 'refused before the run was registered').toBe('');
        expect(failed.cause).toBeInstanceOf(SpecError);
        expect((failed.cause as SpecError).message).toMatch(new RegExp(`subnet pool "${pool.replace(/\./g, '\\.')}" \\(from PAKOSTII_SUBNET_POOL\\) overlaps .*${what}`));
      } finally {
        if (saved === undefined) delete process.env.PAKOSTII_SUBNET_POOL;
        else process.env.PAKOSTII_SUBNET_POOL = saved;
      }
    });
  }

  it('an artifactsDir that is a file: a clear error, not a raw ENOTDIR', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pk-bad-artifacts-'));
    try {
      const file = join(dir, 'file');
      writeFileSync(file, 'not a directory');
      const failed = await failedRun(new Test('artifacts-file', oneNode(), { logger, artifactsDir: file }));
      expect(failed.id, 'refused before the run was registered').toBe('');
      expect((failed.cause as StateError).message).toMatch(/refusing the artifacts base .*\/file: it is not a directory/);
      expect((failed.cause as StateError).hint).toMatch(/a file is in the way/);
      const below = await failedRun(new Test('artifacts-below-file', oneNode(), { logger, artifactsDir: join(file, 'sub') }));
      expect((below.cause as StateError).message).toMatch(/cannot create the artifacts base .*ENOTDIR/);
      expect((below.cause as StateError).hint).toMatch(/a file is in the way/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('not root / without capabilities', async () => {
    // Root uid but every capability dropped (bounding, inheritable, ambient): what an unprivileged runner has.
    const fixture = fileURLToPath(new URL('./fixtures/run-cluster.ts', import.meta.url));
    const child = spawn(
      'setpriv',
      ['--inh-caps=-all', '--ambient-caps=-all', '--bounding-set=-all', '--', process.execPath, '--import', 'tsx', fixture, 'pass', '1'],
      { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, stderr.slice(-3000)).toBe(1);
    const result = stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { fixture: string; id?: string; error?: string; causeMessage?: string })
      .find((l) => l.fixture === 'result');
    expect(result, stderr.slice(-3000)).toBeDefined();
    expect(`${result!.error}\n${result!.causeMessage}`).toMatch(/root|CAP_NET_ADMIN|CAP_SYS_ADMIN|capabilit|permission/i);
    if (result!.id) await expectNoLeaks(result!.id);
  });
});
