// Task lifecycle against the real containerd: kill, stop (graceful and
// forced), restart (new task, logs appended), pause/resume (freezer), status.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContainerdError, StateError } from '../../lib/errors.js';
import type { Container, ContainerdClient } from '../../lib/containerd/index.js';
import { cleanupTestNamespace, createTestRun, eventually, importBusybox, testClient, type TestRun } from './setup.js';
import { api } from '../../lib/containerd/api.js';

let client: ContainerdClient;
let image: string;
let tr: TestRun;

beforeAll(async () => {
  client = await testClient();
  image = await importBusybox(client);
  tr = await createTestRun(image, '10.231.1.7');
});

afterAll(async () => {
  if (!client) return;
  await tr?.cleanup(client);
  await cleanupTestNamespace(client, [image].filter(Boolean));
  client.close();
});

/** A shell service that prints "ready" and reports/handles SIGTERM as told. */
async function shellService(service: string, script: string): Promise<Container> {
  const container = await client.createContainer(tr.spec(service, { command: ['/bin/sh', '-c', script] }));
  await container.start();
  await eventually(async () => (await tr.logs(service)).stdout.includes('ready'), 10_000, `${service} to be ready`);
  return container;
}

/** The task's init pid (Tasks.Get). */
async function taskPid(c: Container): Promise<number> {
  const res = await api(client.rpc).tasks.get({ container_id: c.id });
  return res.process?.pid ?? 0;
}

/**
 * The freezer state of the task's cgroup, read from the kernel: "FROZEN" /
 * "THAWED" (cgroup v1 freezer.state; cgroup v2 cgroup.freeze 1/0 mapped).
 */
async function freezerState(c: Container): Promise<string> {
  const cgroups = (await readFile(`/proc/${await taskPid(c)}/cgroup`, 'utf8')).split('\n');
  const v1 = cgroups.map((l) => /^\d+:freezer:(.*)$/.exec(l)?.[1]).find((p) => p !== undefined);
  if (v1 !== undefined) return (await readFile(join('/sys/fs/cgroup/freezer', v1, 'freezer.state'), 'utf8')).trim();
  const v2 = cgroups.map((l) => /^0::(.*)$/.exec(l)?.[1]).find((p) => p !== undefined) ?? '/';
  return (await readFile(join('/sys/fs/cgroup', v2, 'cgroup.freeze'), 'utf8')).trim() === '1' ? 'FROZEN' : 'THAWED';
}

const lines = async (service: string, prefix: string): Promise<number> =>
  (await tr.logs(service)).stdout.split('\n').filter((l) => l.startsWith(prefix)).length;

describe('task lifecycle', () => {
  it('kill(signal) delivers the signal to the service', async () => {
    // sleep in the background + wait: the shell runs its trap as soon as a signal arrives.
    const c = await shellService('killme', 'trap "echo got-USR1" USR1; trap "echo got-TERM; exit 3" TERM; echo ready; while true; do sleep 0.1 & wait; done');
    await c.kill('SIGUSR1');
    await eventually(async () => (await tr.logs('killme')).stdout.includes('got-USR1'), 5_000, 'the USR1 trap');
    expect(await c.status()).toBe('running');
    await c.kill('SIGTERM');
    await eventually(async () => (await c.status()) === 'stopped', 5_000, 'the task to exit');
    expect((await tr.logs('killme')).stdout).toContain('got-TERM');
    expect(await c.stop()).toBe(3);
    await expect(c.kill('SIGTERM')).rejects.toThrow(/service killme is not running/);
    await c.remove();
  });

  it('stop() resolves the exit code of a graceful SIGTERM exit', async () => {
    const c = await shellService('graceful', 'trap "echo bye; exit 42" TERM; echo ready; while true; do sleep 0.1 & wait; done');
    const started = Date.now();
    expect(await c.stop({ timeoutMs: 5_000 })).toBe(42);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect((await tr.logs('graceful')).stdout).toContain('bye');
    expect(await c.status()).toBe('stopped');
    await c.remove();
  });

  it('stop() SIGKILLs a service that ignores SIGTERM after timeoutMs', async () => {
    const c = await shellService('stubborn', 'trap "echo ignoring" TERM; echo ready; while true; do sleep 0.1 & wait; done');
    const started = Date.now();
    expect(await c.stop({ timeoutMs: 500 })).toBe(137); // 128 + SIGKILL
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect((await tr.logs('stubborn')).stdout).toContain('ignoring');
    await c.remove();
  });

  it('restart() runs a new task in the same container and snapshot; logs are appended', async () => {
    // The file in the container's writable layer proves the snapshot is kept across tasks.
    const c = await shellService('again', 'echo boot >> /data/boots; echo "ready boots=$(wc -l < /data/boots)"; exec sleep 60');
    const snapshotBefore = (await api(client.rpc).containers.get({ id: c.id })).container?.snapshot_key;
    const firstPid = await taskPid(c);
    await c.restart({ timeoutMs: 200 });
    await eventually(async () => (await tr.logs('again')).stdout.includes('boots=2'), 10_000, 'the second boot');
    expect((await tr.logs('again')).stdout).toBe('ready boots=1\nready boots=2\n');
    expect(await c.status()).toBe('running');
    // A new task (new init process) of the same container record, on the same snapshot.
    expect(await taskPid(c)).not.toBe(firstPid);
    const snapshotAfter = (await api(client.rpc).containers.get({ id: c.id })).container?.snapshot_key;
    expect(snapshotAfter).toBe(snapshotBefore);
    expect(snapshotAfter).toBe(c.id);
    await expect(c.start()).rejects.toBeInstanceOf(StateError);
    await c.remove();
  });

  it('pause() freezes the service (no progress) and resume() thaws it', async () => {
    const c = await shellService('counter', 'echo ready; i=0; while true; do i=$((i+1)); echo "n $i"; sleep 0.05; done');
    await eventually(async () => (await lines('counter', 'n ')) > 3, 5_000, 'the counter to run');
    expect(await freezerState(c)).toBe('THAWED');
    await c.pause();
    expect(await c.status()).toBe('paused');
    // Paused through the kernel freezer: the task's cgroup is frozen.
    expect(await freezerState(c)).toBe('FROZEN');
    const frozen = await lines('counter', 'n ');
    await new Promise((r) => setTimeout(r, 700));
    expect(await lines('counter', 'n ')).toBe(frozen);
    await expect(c.exec(['/bin/true'])).rejects.toThrow(/service counter is not running \(its task is paused\)/);
    await c.resume();
    expect(await c.status()).toBe('running');
    expect(await freezerState(c)).toBe('THAWED');
    await eventually(async () => (await lines('counter', 'n ')) > frozen + 3, 5_000, 'the counter to move again');
    // A paused service still stops (thawed first, so SIGKILL works under cgroup v1 too).
    await c.pause();
    expect(await c.stop({ timeoutMs: 300 })).toBe(137);
    await c.remove();
  });

  it('operations on a service without a task fail with "not running"', async () => {
    const c = await client.createContainer(tr.spec('idle', { command: ['/bin/sleep', '60'] }));
    expect(await c.status()).toBe('stopped');
    for (const op of [() => c.pause(), () => c.resume(), () => c.stop(), () => c.kill()]) {
      const err = await op().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ContainerdError);
      expect((err as Error).message).toMatch(/service idle is not running/);
    }
    await c.remove();
  });
});
