/**
 * Named network namespaces created by the addon, without `ip` and without ever
 * moving a thread of ours: `ip netns list` sees them, deletion removes them, and
 * every thread of this process stays in the namespace it started in.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { createNetns, deleteNetns, listLinks, listNetns } from '../../lib/native/index.js';
import { names, newRunId } from '../../lib/host/names.js';

const runId = newRunId();

function ipNetnsList(): string[] {
  // "name (id: 3)" or "name"
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.split(' ')[0]!)
    .filter(Boolean);
}

function ours(): string[] {
  return ipNetnsList().filter((name) => name.includes(runId));
}

/** net namespace of every thread of this process (JS thread, libuv pool, V8 workers). */
function threadNamespaces(): Set<string> {
  const seen = new Set<string>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      seen.add(readlinkSync(`/proc/self/task/${tid}/ns/net`));
    } catch {
      // thread exited meanwhile
    }
  }
  return seen;
}

const processNetns = readlinkSync('/proc/self/ns/net');

afterAll(async () => {
  for (const name of ours()) await deleteNetns(name).catch(() => {});
  expect(ours()).toEqual([]);
});

describe('netns create/delete', () => {
  it('ip netns list shows the namespace, then not', async () => {
    const name = names.nodeNetns(runId, 'a');
    await createNetns(name);
    expect(ipNetnsList()).toContain(name);
    expect(await listNetns()).toContain(name);
    // It is a real, separate namespace: only a loopback inside, and `ip` can enter it.
    expect(await listLinks(name)).toEqual(['lo']);
    const inode = execFileSync('ip', ['netns', 'exec', name, 'readlink', '/proc/self/ns/net'], { encoding: 'utf8' }).trim();
    expect(inode).toMatch(/^net:\[\d+\]$/);
    expect(inode).not.toBe(processNetns);
    await deleteNetns(name);
    expect(ipNetnsList()).not.toContain(name);
    expect(await listNetns()).not.toContain(name);
  });

  it('/run/netns is a shared mount point, as `ip` makes it', () => {
    const line = execFileSync('cat', ['/proc/self/mountinfo'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.split(' ')[4] === '/run/netns')
      .at(-1);
    expect(line).toMatch(/ shared:\d+/);
  });

  it('never changes the namespace of any thread of this process', async () => {
    const before = threadNamespaces();
    expect(before).toEqual(new Set([processNetns]));
    const batch = Array.from({ length: 20 }, (_, i) => names.nodeNetns(runId, `t${i}`));
    for (let round = 0; round < 3; round++) {
      await Promise.all(batch.map((n) => createNetns(n)));
      await Promise.all(batch.map((n) => listLinks(n))); // work inside each namespace too
      await Promise.all(batch.map((n) => deleteNetns(n)));
    }
    expect(readlinkSync('/proc/self/ns/net')).toBe(processNetns);
    expect(threadNamespaces()).toEqual(new Set([processNetns]));
    expect(ours()).toEqual([]);
  });

  it('100 create + delete pairs leave nothing behind', async () => {
    const mountsBefore = execFileSync('cat', ['/proc/self/mountinfo'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(runId)).length;
    for (let i = 0; i < 100; i++) {
      const name = names.nodeNetns(runId, `p${i}`);
      await createNetns(name);
      await deleteNetns(name);
    }
    expect(ours()).toEqual([]);
    expect(readdirSync('/run/netns').filter((n) => n.includes(runId))).toEqual([]);
    const mountsAfter = execFileSync('cat', ['/proc/self/mountinfo'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(runId)).length;
    expect(mountsAfter).toBe(mountsBefore);
    expect(readlinkSync('/proc/self/ns/net')).toBe(processNetns);
  }, 120_000);
});
