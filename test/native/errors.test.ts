/**
 * Errors are for people: every kernel failure becomes a NativeError naming the
 * operation and the object, with a hint, for the cases a user actually meets.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { NativeError } from '../../lib/errors.js';
import { createBridge, createNetns, deleteLink, deleteNetns, linkIndex, listNetns, provisionNodeLink } from '../../lib/native/index.js';
import { names, newRunId } from '../../lib/host/names.js';

const runId = newRunId();
const bridge = names.bridge(runId);
const netns = names.nodeNetns(runId, 'e1');

async function rejection(promise: Promise<unknown>): Promise<NativeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NativeError);
  return error as NativeError;
}

afterAll(async () => {
  await deleteLink(bridge).catch(() => {});
  await deleteNetns(netns).catch(() => {});
  expect((await listNetns()).filter((n) => n.includes(runId))).toEqual([]);
  expect(execFileSync('ip', ['-br', 'link'], { encoding: 'utf8' })).not.toContain(runId);
});

describe('interface names over 15 bytes', () => {
  it('are rejected before any syscall, saying why', async () => {
    const long = `${bridge}-way-too-long`; // > 15 bytes
    const error = await rejection(createBridge(long));
    expect(error.code).toBe('EINVAL');
    expect(error.op).toBe('bridge create');
    expect(error.message).toContain(long);
    expect(error.message).toMatch(/interface name is \d+ bytes; Linux allows at most 15/);
    expect(error.hint).toMatch(/15 bytes/);
    // Nothing was created under a truncated name.
    expect(execFileSync('ip', ['-br', 'link'], { encoding: 'utf8' })).not.toContain(runId);
  });

  it('in a node link spec are rejected before the veth exists', async () => {
    await createNetns(netns);
    try {
      await createBridge(bridge);
      const error = await rejection(
        provisionNodeLink({ netns, bridge, hostVeth: `${names.hostVeth(runId, 1)}-toolong`, ifname: 'eth0', cidr: '198.19.1.2/24' }),
      );
      expect(error.code).toBe('EINVAL');
      expect(error.message).toContain('-toolong');
      expect(execFileSync('ip', ['-br', 'link'], { encoding: 'utf8' })).not.toContain(names.hostVeth(runId, 1));
    } finally {
      await deleteLink(bridge).catch(() => {});
      await deleteNetns(netns);
    }
  });
});

describe('names already taken', () => {
  it('a bridge name in use → EEXIST naming the operation and the bridge', async () => {
    await createBridge(bridge);
    try {
      const error = await rejection(createBridge(bridge));
      expect(error.code).toBe('EEXIST');
      expect(error.message).toBe(`bridge create ${bridge}: File exists\n  hint: ${error.hint}`);
      expect(error.hint).toMatch(/name is taken/);
    } finally {
      await deleteLink(bridge);
    }
  });

  it('a namespace name in use → EEXIST, and the existing namespace survives', async () => {
    await createNetns(netns);
    try {
      const error = await rejection(createNetns(netns));
      expect(error.code).toBe('EEXIST');
      expect(error.op).toBe('netns create');
      expect(error.message).toContain(netns);
      expect(await listNetns()).toContain(netns);
    } finally {
      await deleteNetns(netns);
    }
  });

  it('a host veth name in use → EEXIST from veth create', async () => {
    await createNetns(netns);
    await createBridge(bridge);
    const spec = { netns, bridge, hostVeth: names.hostVeth(runId, 2), ifname: 'eth0', cidr: '198.19.2.2/24' };
    try {
      await provisionNodeLink(spec);
      const error = await rejection(provisionNodeLink({ ...spec, ifname: 'eth1' }));
      expect(error.code).toBe('EEXIST');
      expect(error.message).toContain(`veth create ${spec.hostVeth}: File exists`);
      // The failed call did not tear down the node that owns the name.
      expect(await linkIndex(spec.hostVeth)).toBeGreaterThan(0);
      expect(await linkIndex('eth0', netns)).toBeGreaterThan(0);
    } finally {
      await deleteLink(spec.hostVeth).catch(() => {});
      await deleteLink(bridge).catch(() => {});
      await deleteNetns(netns);
    }
  });
});

describe('a missing namespace', () => {
  const missing = names.nodeNetns(runId, 'gone');

  it('ENOENT naming the namespace, with a hint', async () => {
    // One at a time: a second promise made up front could reject unobserved.
    for (const call of [() => deleteNetns(missing), () => linkIndex('lo', missing)]) {
      const error = await rejection(call());
      expect(error.code).toBe('ENOENT');
      expect(error.message).toContain(missing);
      expect(error.hint).toMatch(/namespace missing/);
    }
  });

  it('provisioning into it fails and leaves no veth behind', async () => {
    await createBridge(bridge);
    try {
      const error = await rejection(
        provisionNodeLink({ netns: missing, bridge, hostVeth: names.hostVeth(runId, 3), ifname: 'eth0', cidr: '198.19.3.2/24' }),
      );
      expect(error.code).toBe('ENOENT');
      expect(error.message).toContain(missing);
      expect(execFileSync('ip', ['-br', 'link'], { encoding: 'utf8' })).not.toContain(names.hostVeth(runId, 3));
    } finally {
      await deleteLink(bridge);
    }
  });
});

describe('running without CAP_NET_ADMIN / CAP_BPF', () => {
  it('every privileged call says to run as root or grant the capabilities', () => {
    const child = fileURLToPath(new URL('./no-caps-child.mts', import.meta.url));
    // Root without any capability: the bounding set is emptied, so the exec'd node has none.
    const out = execFileSync('setpriv', ['--inh-caps=-all', '--bounding-set=-all', '--', process.execPath, '--import', 'tsx', child, runId], {
      encoding: 'utf8',
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
    });
    const results = out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { call: string; ok: boolean; type: string; code: string; message: string; hint: string });
    expect(results.map((r) => r.call)).toEqual(['netns', 'bridge', 'engine']);
    for (const r of results) {
      expect(r.ok).toBe(false);
      expect(r.type).toBe('NativeError');
      expect(r.code).toBe('EPERM');
      expect(r.hint).toMatch(/run as root or grant CAP_/);
      expect(r.hint).toContain('CAP_NET_ADMIN');
      expect(r.hint).toContain('CAP_BPF');
    }
    expect(results[0]!.message).toContain(`netns create pk-${runId}-n`);
    expect(results[1]!.message).toContain(`bridge create pkb-${runId}`);
  }, 60_000);
});
