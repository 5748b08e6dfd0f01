/**
 * t.network.forwardPort(node, port): a listener on 127.0.0.1:<random> on the
 * host whose connections are each piped to a socket opened from the runner's
 * namespace to node:port. A fault cutting the runner from the node therefore
 * breaks the forward too, as it would for a real client.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { StateError } from '../errors.js';
import type { Dial } from './dial.js';

/** Connect timeout for each forwarded connection. */
const CONNECT_TIMEOUT_MS = 5_000;

export class PortForward {
  readonly node: string;
  readonly targetPort: number;
  readonly #ip: string;
  readonly #dial: Dial;
  readonly #logger: Logger;
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #port: number | undefined;
  #closed = false;
  #onAbort: (() => void) | undefined;
  #signal: AbortSignal | undefined;

  constructor(node: string, ip: string, targetPort: number, dial: Dial, logger: Logger) {
    this.node = node;
    this.#ip = ip;
    this.targetPort = targetPort;
    this.#dial = dial;
    this.#logger = logger;
  }

  /** Start listening; the forward closes by itself when `signal` aborts (pass t.signal). */
  async listen(signal?: AbortSignal): Promise<void> {
    if (this.#closed) throw new StateError(`port forward to ${this.node}:${this.targetPort} is closed`, { hint: 'create a new one with forwardPort()' });
    if (this.#server) throw new StateError(`port forward to ${this.node}:${this.targetPort} is already listening on 127.0.0.1:${this.#port}`, { hint: 'call listen() once' });
    signal?.throwIfAborted();
    const server = createServer({ pauseOnConnect: true }, (client) => this.#accept(client));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#port = (server.address() as AddressInfo).port;
    if (signal) {
      this.#signal = signal;
      this.#onAbort = () => void this.close();
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
    this.#logger.info({ node: this.node, port: this.targetPort, local_port: this.#port }, 'port forward listening');
  }

  /** Local port on 127.0.0.1. */
  port(): number {
    if (this.#port === undefined) {
      throw new StateError(`port forward to ${this.node}:${this.targetPort} is not listening`, { hint: 'await fw.listen(t.signal) first' });
    }
    return this.#port;
  }

  /** Stop listening and cut every forwarded connection. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#onAbort) this.#signal?.removeEventListener('abort', this.#onAbort);
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    const server = this.#server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    if (this.#closed) return void client.destroy();
    this.#sockets.add(client);
    client.on('close', () => this.#sockets.delete(client));
    client.on('error', () => undefined); // a reset by the local client is not our error
    this.#dial(this.#ip, this.targetPort, { timeoutMs: CONNECT_TIMEOUT_MS }).then(
      (upstream) => {
        if (this.#closed || client.destroyed) return void upstream.destroy();
        this.#sockets.add(upstream);
        upstream.on('close', () => {
          this.#sockets.delete(upstream);
          client.destroy();
        });
        client.on('close', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      },
      (error: unknown) => {
        // Same as a real network: the client sees its connection drop.
        this.#logger.debug({ node: this.node, port: this.targetPort, err: error }, 'port forward connect failed');
        client.destroy();
      },
    );
  }
}
