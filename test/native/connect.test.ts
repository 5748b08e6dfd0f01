/**
 * connectInNetns: a TCP connect made on an addon-owned thread joined to a node's
 * namespace, handed back as a net.Socket usable from the JS thread. The echo
 * server runs inside a namespace (`ip netns exec`, test-side only).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NativeError } from '../../lib/errors.js';
import { connectInNetns, createBridge, createNetns, deleteLink, deleteNetns, provisionNodeLink } from '../../lib/native/index.js';
import { names, newRunId } from '../../lib/host/names.js';

const runId = newRunId();
const bridge = names.bridge(runId);
const server = { netns: names.nodeNetns(runId, 's'), ip: '198.19.66.2', index: 1 };
const client = { netns: names.nodeNetns(runId, 'c'), ip: '198.19.66.3', index: 2 };
const ECHO_PORT = 7007;
const ECHO = `require('net').createServer((s) => s.pipe(s)).listen(${ECHO_PORT}, '0.0.0.0', () => console.log('ready'))`;

let echo: ChildProcess;
const processNetns = readlinkSync('/proc/self/ns/net');

beforeAll(async () => {
  await createBridge(bridge);
  for (const n of [server, client]) {
    await createNetns(n.netns);
    await provisionNodeLink({ netns: n.netns, bridge, hostVeth: names.hostVeth(runId, n.index), ifname: 'eth0', cidr: `${n.ip}/24` });
  }
  echo = spawn('ip', ['netns', 'exec', server.netns, process.execPath, '-e', ECHO], { stdio: ['ignore', 'pipe', 'inherit'] });
  await once(echo.stdout!, 'data');
}, 60_000);

afterAll(async () => {
  if (echo && echo.exitCode === null) {
    echo.kill();
    await once(echo, 'exit');
  }
  for (const n of [server, client]) {
    await deleteLink(names.hostVeth(runId, n.index)).catch(() => {});
    await deleteNetns(n.netns).catch(() => {});
  }
  await deleteLink(bridge).catch(() => {});
});

async function roundTrip(socket: Socket, text: string): Promise<string> {
  socket.write(text);
  const [data] = (await once(socket, 'data')) as [Buffer];
  return data.toString();
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

describe('connectInNetns', () => {
  it('reaches an echo server in another namespace across the bridge; the socket works from the JS thread', async () => {
    const socket = await connectInNetns(client.netns, server.ip, ECHO_PORT, { timeoutMs: 5000 });
    try {
      expect(socket.remoteAddress).toBe(server.ip);
      expect(socket.localAddress).toBe(client.ip);
      expect(await roundTrip(socket, 'ping-1')).toBe('ping-1');
      expect(await roundTrip(socket, 'ping-2')).toBe('ping-2');
    } finally {
      socket.destroy();
    }
  });

  it('the fd keeps its namespace: 127.0.0.1 inside the server namespace is the echo server', async () => {
    const socket = await connectInNetns(server.netns, '127.0.0.1', ECHO_PORT, { timeoutMs: 5000 });
    try {
      expect(await roundTrip(socket, 'loopback')).toBe('loopback');
    } finally {
      socket.destroy();
    }
    // …and the process itself never moved.
    expect(readlinkSync('/proc/self/ns/net')).toBe(processNetns);
  });

  it('many connects at once all succeed', async () => {
    const sockets = await Promise.all(Array.from({ length: 20 }, () => connectInNetns(client.netns, server.ip, ECHO_PORT, { timeoutMs: 5000 })));
    try {
      const answers = await Promise.all(sockets.map((s, i) => roundTrip(s, `m${i}`)));
      expect(answers).toEqual(sockets.map((_, i) => `m${i}`));
    } finally {
      for (const s of sockets) s.destroy();
    }
  });

  it('a port nobody listens on → ECONNREFUSED NativeError naming the target', async () => {
    const error = await rejection(connectInNetns(client.netns, server.ip, ECHO_PORT + 1, { timeoutMs: 5000 }));
    expect(error).toBeInstanceOf(NativeError);
    expect((error as NativeError).code).toBe('ECONNREFUSED');
    expect((error as NativeError).message).toContain(`connect ${server.ip}:${ECHO_PORT + 1} from netns ${client.netns}`);
    expect((error as NativeError).hint).toMatch(/nothing listens/);
  });

  it('an address nobody answers → ETIMEDOUT after timeoutMs', async () => {
    const started = performance.now();
    // On the subnet, but no such node: the connect waits for an ARP answer that never comes.
    const error = await rejection(connectInNetns(client.netns, '198.19.66.200', ECHO_PORT, { timeoutMs: 300 }));
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(NativeError);
    expect((error as NativeError).code).toBe('ETIMEDOUT');
    expect((error as NativeError).message).toMatch(/no answer within 300 ms/);
    expect(elapsed).toBeGreaterThanOrEqual(290);
  });

  it('abort → AbortError long before the timeout', async () => {
    const controller = new AbortController();
    const started = performance.now();
    const pending = connectInNetns(client.netns, '198.19.66.200', ECHO_PORT, { timeoutMs: 30_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const error = await rejection(pending);
    expect((error as Error).name).toBe('AbortError');
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('an already aborted signal rejects at once; a missing namespace → ENOENT', async () => {
    const error = await rejection(connectInNetns(client.netns, server.ip, ECHO_PORT, { signal: AbortSignal.abort() }));
    expect((error as Error).name).toBe('AbortError');
    const missing = names.nodeNetns(runId, 'gone');
    const enoent = await rejection(connectInNetns(missing, server.ip, ECHO_PORT, { timeoutMs: 1000 }));
    expect(enoent).toBeInstanceOf(NativeError);
    expect((enoent as NativeError).code).toBe('ENOENT');
    expect((enoent as NativeError).message).toContain(missing);
  });
});

describe('connectInNetns gives back its fds when it settles', () => {
  it('1,500 connects (a quarter refused, in the host and in a node namespace) under a 256-fd limit: no EMFILE, fd count back to baseline', () => {
    const child = fileURLToPath(new URL('./connect-fds-child.mts', import.meta.url));
    const cwd = fileURLToPath(new URL('../..', import.meta.url));
    for (const netns of ['', server.netns]) {
      // The loopback of the namespace: the child's own listener when netns is '' and
      // otherwise nothing (every connect refused), which still exercises the eventfd.
      const out = execFileSync('prlimit', ['--nofile=256:256', '--', process.execPath, '--import', 'tsx', child, '1500', netns], { encoding: 'utf8', cwd });
      const result = JSON.parse(out.trim().split('\n').at(-1)!) as { baseline: number; after: number | string; connected: number; failures: Record<string, number> };
      expect(result.failures.EMFILE, JSON.stringify(result)).toBeUndefined();
      if (netns === '') expect(result.connected).toBe(1125);
      expect(typeof result.after === 'number' && result.after <= result.baseline, JSON.stringify(result)).toBe(true);
    }
  }, 120_000);
});
