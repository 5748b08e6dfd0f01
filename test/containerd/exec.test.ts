// Exec in a running service against the real containerd: output, exit code,
// env/cwd/user, timeout and abort (the process is killed), errors.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContainerdError } from '../../lib/errors.js';
import type { Container, ContainerdClient } from '../../lib/containerd/index.js';
import { execDir } from '../../lib/host/paths.js';
import { cleanupTestNamespace, createTestRun, importBusybox, testClient, type TestRun } from './setup.js';
import { api } from '../../lib/containerd/api.js';

let client: ContainerdClient;
let image: string;
let tr: TestRun;
let svc: Container;

beforeAll(async () => {
  client = await testClient();
  image = await importBusybox(client, { tag: 'exec', user: 'app' });
  tr = await createTestRun(image, '10.231.2.7');
  svc = await client.createContainer(tr.spec('box', { command: ['/bin/sleep', '3600'], env: { SVC_ONLY: 'svc' } }));
  await svc.start();
});

afterAll(async () => {
  if (!client) return;
  await tr?.cleanup(client);
  await cleanupTestNamespace(client, [image].filter(Boolean));
  client.close();
});

/** Names of processes running in the service (busybox ps). */
async function processes(): Promise<string> {
  return (await svc.exec(['/bin/ps', '-o', 'pid,args'])).stdout;
}

describe('exec', () => {
  it('returns stdout, stderr and the exit code, separately', async () => {
    const result = await svc.exec(['/bin/sh', '-c', 'echo out; echo err >&2; exit 7']);
    expect(result).toEqual({
      exitCode: 7,
      stdout: 'out\n',
      stderr: 'err\n',
      stdoutBytes: Buffer.from('out\n'),
      stderrBytes: Buffer.from('err\n'),
      stdoutTruncated: false,
      stderrTruncated: false,
    });
    expect(await svc.exec(['true'])).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
  });

  it('runs as the container’s user, with the container env + options.env, in options.cwd', async () => {
    const { stdout } = await svc.exec(['/bin/sh', '-c', 'echo "$(id -u) $SVC_ONLY $FROM_IMAGE $EXTRA $(pwd)"'], { env: { EXTRA: 'x y' }, cwd: '/data' });
    expect(stdout).toBe('1000 svc 1 x y /data\n');
    expect((await svc.exec(['pwd'])).stdout).toBe('/tmp\n');
  });

  it('runs in the node’s network namespace', async () => {
    expect((await svc.exec(['ip', '-o', '-4', 'addr', 'show', 'pkt0'])).stdout).toContain('10.231.2.7/24');
  });

  it('carries large output intact', async () => {
    const { stdout, exitCode } = await svc.exec(['/bin/seq', '1', '200000']);
    expect(exitCode).toBe(0);
    const numbers = stdout.trimEnd().split('\n');
    expect(numbers).toHaveLength(200000);
    expect(numbers[199999]).toBe('200000');
  });

  it('caps each stream at maxOutputBytes, says so, and never stages more than that on the host', async () => {
    // 64 MiB of zeros on stdout, a little on stderr: the old exec staged and returned all of it.
    const staged: number[] = [];
    const watch = setInterval(() => {
      void readdir(execDir(), { recursive: true, withFileTypes: true })
        .then((entries) => Promise.all(entries.filter((e) => e.isFile()).map((e) => stat(join(e.parentPath, e.name)).then((s) => s.size, () => 0))))
        .then((sizes) => staged.push(...sizes), () => undefined);
    }, 50);
    const result = await svc
      .exec(['/bin/sh', '-c', 'head -c 67108864 /dev/zero; echo tail; echo short >&2; exit 3'], { maxOutputBytes: 1_000_000, timeoutMs: 60_000 })
      .finally(() => clearInterval(watch));
    expect(result.exitCode).toBe(3); // the process ran to its end: never blocked, never killed by EPIPE
    expect(result.stdoutBytes.length).toBe(1_000_000);
    expect(result.stdoutTruncated).toBe(true);
    expect(result.stderr).toBe('short\n');
    expect(result.stderrTruncated).toBe(false);
    expect(Math.max(0, ...staged)).toBeLessThanOrEqual(1_000_001);
    // Exactly at the limit is not a cut.
    const exact = await svc.exec(['/bin/sh', '-c', 'printf 12345'], { maxOutputBytes: 5 });
    expect(exact).toMatchObject({ stdout: '12345', stdoutTruncated: false });
  });

  it('timeoutMs SIGKILLs the process and rejects with a clear error', async () => {
    const started = Date.now();
    const err = await svc.exec(['/bin/sh', '-c', 'exec sleep 1234'], { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContainerdError);
    expect((err as Error).message).toMatch(/exec \["\/bin\/sh","-c","exec sleep 1234"\] in service box timed out after 300 ms/);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await processes()).not.toContain('sleep 1234');
  });

  it('an AbortSignal SIGKILLs the process and rejects', async () => {
    const abort = new AbortController();
    const pending = svc.exec(['/bin/sh', '-c', 'exec sleep 4321'], { signal: abort.signal });
    await new Promise((r) => setTimeout(r, 300));
    expect(await processes()).toContain('sleep 4321');
    abort.abort();
    await expect(pending).rejects.toThrow(/was aborted \(killed with SIGKILL\)/);
    expect(await processes()).not.toContain('sleep 4321');
    await expect(svc.exec(['true'], { signal: abort.signal })).rejects.toThrow(/aborted before it started/);
  });

  it('a command that does not exist is a ContainerdError naming it', async () => {
    const err = await svc.exec(['/bin/no-such-tool', '--flag']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContainerdError);
    expect((err as Error).message).toMatch(/exec \["\/bin\/no-such-tool","--flag"\] in service box failed to start/);
    expect((err as ContainerdError).hint).toMatch(/command exists/);
  });

  it('leaves no exec process and no temp files behind', async () => {
    const res = await api(client.rpc).tasks.listPids({ container_id: svc.id });
    expect(res.processes).toHaveLength(1); // only the service's sleep
    const leftovers = (await readdir(execDir()).catch(() => [])).filter((d) => d.startsWith(svc.id));
    expect(leftovers).toEqual([]);
  });
});
