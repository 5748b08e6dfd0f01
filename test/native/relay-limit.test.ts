/**
 * The cap on relayed connections (native/relay_reactor.h): past the limit the
 * addon refuses a connection before taking anything over, counts it, and the
 * port forward closes that client at once while the relayed ones carry on.
 * Loopback sockets only; the port forward dials a local server instead of a
 * node (its Dial is the only part that needs a namespace).
 */
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RELAY_LIMIT, RelayLimitError, relayCounters, relaySockets } from '../../lib/native/relay.js';
import { RelayPortForward } from '../../lib/runtime/port-forward.js';

let echo: Server;
let port: number;
const serverSockets = new Set<Socket>();

beforeAll(async () => {
  echo = createServer({ pauseOnConnect: true }, (s) => {
    serverSockets.add(s);
    s.on('close', () => serverSockets.delete(s));
    s.on('error', () => undefined);
    s.pipe(s);
    s.resume();
  });
  echo.listen(0, '127.0.0.1');
  await once(echo, 'listening');
  port = (echo.address() as AddressInfo).port;
});
afterEach(() => void relayCounters(RELAY_LIMIT));
afterAll(() => {
  for (const s of serverSockets) s.destroy();
  return new Promise<void>((r) => echo.close(() => r()));
});

async function connected(to: number): Promise<Socket> {
  const socket = connect({ port: to, host: '127.0.0.1' });
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  return socket;
}

/** Sends `text` and resolves with what came back (or null when the connection closed first). */
function roundTrip(socket: Socket, text: string): Promise<string | null> {
  return new Promise((resolve) => {
    let got = '';
    socket.on('data', (d: Buffer) => {
      got += d.toString();
      if (got.length >= text.length) resolve(got);
    });
    socket.on('close', () => resolve(got.length > 0 ? got : null));
    socket.write(text);
  });
}

describe('relay limit', () => {
  it('the default limit is the documented one', () => {
    expect(relayCounters().limit).toBe(RELAY_LIMIT);
  });

  it('past the limit relaySockets refuses with RelayLimitError, counts it and takes nothing over; below it again, relays', async () => {
    const before = relayCounters();
    relayCounters(before.active); // no room at all
    const [a, b] = await Promise.all([connected(port), connected(port)]);
    expect(() => relaySockets(a, b)).toThrow(RelayLimitError);
    expect(relayCounters()).toMatchObject({ active: before.active, refused: before.refused + 1 });
    // The sockets are still the caller's, untouched.
    expect(a.destroyed || b.destroyed).toBe(false);
    relayCounters(before.active + 1);
    const relay = relaySockets(a, b);
    expect(relayCounters().active).toBe(before.active + 1);
    relay.cancel();
    await relay.done;
    expect(relayCounters().active).toBe(before.active);
  });

  it('a port forward closes connections past the limit at once, counts them, and keeps relaying the others', async () => {
    const dial = () => connected(port);
    const forward = new RelayPortForward('n1', '127.0.0.1', port, dial, pino({ level: 'silent' }));
    await forward.listen();
    try {
      relayCounters(relayCounters().active + 2);
      const first = await connected(forward.port());
      const second = await connected(forward.port());
      expect(await roundTrip(first, 'one')).toBe('one');
      expect(await roundTrip(second, 'two')).toBe('two');
      const third = await connected(forward.port());
      expect(await roundTrip(third, 'three')).toBeNull();
      expect(forward.refusedConnections).toBe(1);
      // The relayed ones still work; when one ends, a new connection takes its place.
      expect(await roundTrip(first, 'again')).toBe('again');
      second.destroy();
      for (let i = 0; i < 100 && relayCounters().active >= relayCounters().limit; i++) await new Promise((r) => setTimeout(r, 10));
      const fourth = await connected(forward.port());
      expect(await roundTrip(fourth, 'four')).toBe('four');
      expect(forward.refusedConnections).toBe(1);
      first.destroy();
      fourth.destroy();
    } finally {
      await forward.close();
    }
  });
});
