/**
 * Relays two connected TCP sockets both ways on the addon's relay thread
 * (native/relay.h, splice(2)), so forwarded bytes never cross the JS thread.
 *
 * The sockets come in as net.Sockets (accepted by node:net, or from a Dial) and
 * only their fds matter: the addon duplicates them, then the sockets are
 * destroyed here. Closing one of two fds of a socket neither shuts the
 * connection down nor resets it, so the peers notice nothing; from then on the
 * addon's duplicates are the connection.
 *
 * At most RELAY_LIMIT connections are relayed at once per process (each holds
 * seven fds and up to 512 KiB of pipe buffer; see native/relay_reactor.h): any
 * local user can connect to a port forward, and must not be able to exhaust the
 * test process's fds. Past the limit relaySockets throws RelayLimitError before
 * taking anything over; the caller closes both sockets.
 */
import type { Socket } from 'node:net';
import { NativeError, PakostiiError } from '../errors.js';
import { addon, type NativeRelayCounters, type NativeRelayResult } from './addon.js';
import { callNative, callNativeSync, toNativeError } from './errors.js';

export type RelayResult = NativeRelayResult;
export type RelayCounters = NativeRelayCounters;

/** Connections relayed at once per process, by default (native/relay_reactor.h, kDefaultRelayLimit). */
export const RELAY_LIMIT = 1024;

/** relaySockets refused a connection: RELAY_LIMIT (or the limit set) connections are relayed already. */
export class RelayLimitError extends PakostiiError {
  readonly limit: number;
  constructor(limit: number, cause: unknown) {
    super(`relay: ${limit} connections are relayed at once already (the limit per process); this one is refused`, {
      cause,
      hint: 'close connections the test no longer needs; a port forward is reachable by every local user, who may be opening them',
    });
    this.limit = limit;
  }
}

/** The process's relay counters; `limit` sets the limit first (tests; 0 refuses every connection). @internal */
export function relayCounters(limit?: number): RelayCounters {
  return callNativeSync(() => addon().relayLimit(limit));
}

export interface SocketRelay {
  /** Settles once the relay ended and both connections are closed. */
  readonly done: Promise<RelayResult>;
  /** Cut both connections now (as destroying both sockets would). Idempotent. */
  cancel(): void;
}

interface StreamHandle {
  fd?: unknown;
}

function fdOf(socket: Socket, which: string): number {
  // net.Socket keeps its libuv handle in _handle; `fd` is the descriptor on Unix.
  const fd = (socket as unknown as { _handle?: StreamHandle | null })._handle?.fd;
  if (socket.destroyed || typeof fd !== 'number' || fd < 0) {
    throw new PakostiiError(`relay: the ${which} socket has no open fd`, { hint: 'pass connected sockets that are not destroyed' });
  }
  // Bytes node already holds would be lost once the fd moves to the addon. The
  // callers hand sockets over in the tick they connect (pauseOnConnect, or the
  // dial's resolution), before libuv could read or write anything.
  if (socket.readableLength > 0 || socket.writableLength > 0) {
    throw new PakostiiError(`relay: the ${which} socket has data buffered in node`, { hint: 'hand the socket over before reading from or writing to it' });
  }
  return fd;
}

/** Relay a <-> b natively; both sockets are destroyed (their connections live on in the relay). */
export function relaySockets(a: Socket, b: Socket): SocketRelay {
  const fdA = fdOf(a, 'first');
  const fdB = fdOf(b, 'second');
  let native;
  try {
    native = addon().relay(fdA, fdB);
  } catch (error) {
    const converted = toNativeError(error);
    if (converted instanceof NativeError && converted.code === 'EAGAIN') throw new RelayLimitError(relayCounters().limit, converted);
    throw converted;
  }
  a.destroy();
  b.destroy();
  const { promise, cancel } = native;
  return { done: callNative(() => promise), cancel: () => cancel() };
}
