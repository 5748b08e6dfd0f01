/**
 * relaySockets (native/relay.cc): bytes moved both ways on an addon thread
 * between two loopback TCP connections. Each test builds
 *   left <-> [a ... relay ... b] <-> right
 * where a and b are the relayed sockets, then talks through left and right.
 * Needs no root: the relay does not care which namespace its fds belong to.
 */
import { once } from 'node:events';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, readdirSync, readlinkSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NativeError, PakostiiError } from '../../lib/errors.js';
import { addon } from '../../lib/native/addon.js';
import { relaySockets, type SocketRelay } from '../../lib/native/relay.js';

let server: Server;
const accepted: Socket[] = [];
const waiting: Array<(s: Socket) => void> = [];

beforeAll(async () => {
  server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (s) => {
    const wake = waiting.shift();
    if (wake) wake(s);
    else accepted.push(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function nextAccepted(): Promise<Socket> {
  const s = accepted.shift();
  return s ? Promise.resolve(s) : new Promise((r) => waiting.push(r));
}

/** A connected loopback pair: [outer (a client), inner (accepted, paused)]. */
async function pair(): Promise<[Socket, Socket]> {
  const outer = connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true });
  const [inner] = await Promise.all([nextAccepted(), once(outer, 'connect')]);
  return [outer, inner];
}

async function relayed(): Promise<{ left: Socket; right: Socket; relay: SocketRelay }> {
  const [left, a] = await pair();
  const [right, b] = await pair();
  return { left, right, relay: relaySockets(a, b) };
}

/** What /proc/self/fd points at, sorted (a failed comparison shows what leaked). */
function openFds(): string[] {
  const targets: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      targets.push(readlinkSync(`/proc/self/fd/${fd}`).replace(/\[\d+\]$/, '[…]'));
    } catch {
      // the directory's own fd, gone already
    }
  }
  return targets.sort();
}

/** Everything `socket` receives until EOF (and whether it ended cleanly). */
function drain(socket: Socket): Promise<{ data: Buffer; ended: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let ended = false;
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => {
      ended = true;
      socket.end(); // half-open sockets: close our side too, so 'close' comes
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ data: Buffer.concat(chunks), ended }));
  });
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('relaySockets', () => {
  let fdsBefore: string[] = [];
  beforeAll(async () => {
    addon(); // loading it opens the host namespace's fd for good: not a leak
    // The first relay starts the relay thread, whose epoll set and wake-up eventfd live as long as the process.
    const { left, right, relay } = await relayed();
    relay.cancel();
    await Promise.all([relay.done, drain(left), drain(right)]);
    await new Promise((r) => setTimeout(r, 50));
    fdsBefore = openFds();
  });

  it('moves bytes both ways at once and counts them; ends with "eof" when both sides end', async () => {
    const { left, right, relay } = await relayed();
    const up = randomBytes(8 * 1024 * 1024);
    const down = randomBytes(3 * 1024 * 1024 + 17);
    const atRight = drain(right);
    const atLeft = drain(left);
    left.end(up);
    right.end(down);
    const [r, l, result] = await Promise.all([atRight, atLeft, relay.done]);
    expect(sha(r.data)).toBe(sha(up));
    expect(sha(l.data)).toBe(sha(down));
    expect(r.ended && l.ended).toBe(true);
    expect(result).toEqual({ aToB: up.length, bToA: down.length, end: 'eof' });
  });

  it('a bulk transfer towards a peer that stays silent until it has everything completes (one direction idle, not ended)', async () => {
    // The port-forward bench's shape: 32 MiB one way, then a one-byte answer. (The stall this shape
    // once caused shows through a namespace, not reliably on loopback: test/e2e/port-forward-bulk.test.ts.)
    const { left, right, relay } = await relayed();
    const up = randomBytes(32 * 1024 * 1024);
    let got = 0;
    const hash = createHash('sha256');
    const allArrived = new Promise<void>((resolve) => {
      right.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        got += chunk.length;
        if (got === up.length) resolve();
      });
    });
    const answered = new Promise<Buffer>((resolve) => left.once('data', resolve));
    left.write(up);
    await allArrived;
    right.write('k');
    expect((await answered).toString()).toBe('k');
    expect(hash.digest('hex')).toBe(sha(up));
    relay.cancel();
    await relay.done;
    left.destroy();
    right.destroy();
  }, 20_000);

  it('half-close: EOF from one side reaches the other, which can still answer', async () => {
    const { left, right, relay } = await relayed();
    const atLeft = drain(left);
    left.end('question');
    let asked = '';
    right.on('data', (c: Buffer) => (asked += c.toString()));
    await once(right, 'end'); // left's FIN came through the relay
    expect(asked).toBe('question');
    right.end('answer after your FIN'); // the other direction still works
    const l = await atLeft;
    expect(l.data.toString()).toBe('answer after your FIN');
    expect(l.ended).toBe(true);
    expect(await relay.done).toEqual({ aToB: 8, bToA: 21, end: 'eof' });
  });

  it('cancel() cuts both connections promptly, mid-stream', async () => {
    const { left, right, relay } = await relayed();
    const atLeft = drain(left);
    const atRight = drain(right);
    left.write('before');
    await new Promise((r) => right.once('data', r));
    const started = performance.now();
    relay.cancel();
    relay.cancel(); // idempotent
    const [result] = await Promise.all([relay.done, atLeft, atRight]);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(result).toMatchObject({ aToB: 6, bToA: 0, end: 'cancel' });
  });

  it('a reset on one side ends the relay with its errno and closes the other side', async () => {
    const { left, right, relay } = await relayed();
    const atRight = drain(right);
    left.write('x');
    await new Promise((r) => right.once('data', r));
    left.resetAndDestroy();
    const [result] = await Promise.all([relay.done, atRight]);
    expect(result).toMatchObject({ end: 'error', code: 'ECONNRESET' });
  });

  it('refuses what it cannot relay, without leaking the duplicates', async () => {
    const [left, a] = await pair();
    const notSocket = openSync('/dev/null', 'r');
    const fake = { destroyed: false, readableLength: 0, writableLength: 0, _handle: { fd: notSocket } } as unknown as Socket;
    try {
      const error = (() => {
        try {
          relaySockets(a, fake);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(NativeError);
      expect(error).toMatchObject({ op: 'relay', code: 'ENOTSOCK' });
      expect(a.destroyed).toBe(false); // nothing was taken
      a.destroy();
      left.destroy();
      expect(() => relaySockets(a, fake)).toThrow(PakostiiError);
    } finally {
      closeSync(notSocket);
    }
  });

  it('no fd leaks: every relay closed both duplicates and both pipes', async () => {
    // 20 more relays ended each way, then the count is back where it started.
    for (let i = 0; i < 20; i++) {
      const { left, right, relay } = await relayed();
      const gone = Promise.all([drain(left), drain(right)]);
      if (i % 2) relay.cancel();
      else {
        left.end('a');
        right.end('b');
      }
      await relay.done;
      await gone;
    }
    await new Promise((r) => setTimeout(r, 50)); // node closes its own fds asynchronously
    expect(openFds()).toEqual(fdsBefore);
  });

  it('1,000 idle connections share one relay thread; data still flows on each; cancelling them closes everything', async () => {
    const threads = () => readdirSync('/proc/self/task').length;
    const threadsBefore = threads();
    const relays: Array<Awaited<ReturnType<typeof relayed>>> = [];
    for (let i = 0; i < 1000; i++) relays.push(await relayed());
    // One thread for all of them (a thread per connection would be 1,000 more).
    expect(threads() - threadsBefore).toBeLessThan(10);
    // Every tenth connection carries a round trip both ways while the rest sit idle.
    await Promise.all(
      relays.filter((_, i) => i % 10 === 0).map(async ({ left, right }, i) => {
        const toRight = once(right, 'data');
        left.write(`ping ${i}`);
        expect(String((await toRight)[0])).toBe(`ping ${i}`);
        const toLeft = once(left, 'data');
        right.write(`pong ${i}`);
        expect(String((await toLeft)[0])).toBe(`pong ${i}`);
      }),
    );
    const gone = relays.map(({ left, right }) => Promise.all([drain(left), drain(right)]));
    for (const { relay } of relays) relay.cancel();
    const results = await Promise.all(relays.map(({ relay }) => relay.done));
    expect(results.every((r) => r.end === 'cancel')).toBe(true);
    await Promise.all(gone);
    await new Promise((r) => setTimeout(r, 100));
    expect(openFds()).toEqual(fdsBefore);
    expect(threads() - threadsBefore).toBeLessThan(10);
  }, 120_000);
});
