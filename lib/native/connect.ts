/**
 * TCP from inside a node's namespace: the addon connects on a thread joined to
 * the namespace and hands back the fd, which keeps its namespace; net.Socket
 * then drives it from the JS thread like any other socket.
 */
import { closeSync } from 'node:fs';
import { Socket } from 'node:net';
import { addon } from './addon.js';
import { callNative } from './errors.js';

export interface ConnectOptions {
  /** Give up after this long (default 10 s): rejects with an ETIMEDOUT NativeError. */
  timeoutMs?: number;
  /** Abort the connect: rejects with the signal's reason (an AbortError by default). */
  signal?: AbortSignal;
}

const DEFAULT_TIMEOUT_MS = 10_000;

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/**
 * Connect a TCP socket from inside `netns` to ip:port and wrap it as a net.Socket.
 * Rejects with a NativeError (ECONNREFUSED, ETIMEDOUT…) or an AbortError when `signal` aborts.
 */
export async function connectInNetns(netns: string, ip: string, port: number, options: ConnectOptions = {}): Promise<Socket> {
  const { timeoutMs = DEFAULT_TIMEOUT_MS, signal } = options;
  signal?.throwIfAborted();
  const pending = await callNative(async () => addon().connectInNetns(netns, ip, port, timeoutMs));
  const onAbort = (): void => pending.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  let fd: number;
  try {
    fd = await callNative(() => pending.promise);
  } catch (error) {
    if (signal?.aborted && error instanceof Error && error.name === 'AbortError') throw abortReason(signal);
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  // Aborted while the connect completed: nobody wants this socket.
  if (signal?.aborted) {
    closeSync(fd);
    throw abortReason(signal);
  }
  return new Socket({ fd, readable: true, writable: true });
}
