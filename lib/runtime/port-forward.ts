/**
 * t.network.forwardPort(node, port): a listener on 127.0.0.1:<random> on the
 * host whose connections are each piped to a socket opened from the runner's
 * namespace to node:port. A fault cutting the runner from the node therefore
 * breaks the forward too, as it would for a real client.
 *
 * node:net only accepts and the Dial only connects: once both ends exist, the
 * addon relays the bytes on a thread of its own (lib/native/relay.ts), because
 * piping in JS saturated the runner's JS thread at about a third of the
 * loopback throughput. Half-closes pass through (a FIN becomes a shutdown of
 * the other side).
 *
 * Anyone on the host can connect to 127.0.0.1:<port>. The addon relays at most
 * RELAY_LIMIT connections at once per process; past that a new connection is
 * closed at once (the client sees it drop), counted in refusedConnections and
 * logged, and the forward keeps serving the others.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { StateError } from '../errors.js';
import { RelayLimitError, relaySockets, type SocketRelay } from '../native/index.js';
import type { Dial } from './dial.js';

export interface ForwardPortOptions {
  /** Port to listen on at 127.0.0.1 (so a config file can name it in advance); default: a free one. */
  localPort?: number;
}

/** Connect timeout for each forwarded connection. */
const CONNECT_TIMEOUT_MS = 5_000;

/** What t.network.forwardPort() returns (implemented by RelayPortForward). */
export interface PortForward {
  readonly node: string;
  readonly targetPort: number;
  /** Start listening; the forward closes by itself when `signal` aborts (pass t.signal). */
  listen(signal?: AbortSignal): Promise<void>;
  /** Local port on 127.0.0.1. */
  port(): number;
  /** Stop listening and cut every forwarded connection. Idempotent. */
  close(): Promise<void>;
  /** Connections closed at once because the process relayed its limit of connections already (see the file comment). */
  readonly refusedConnections: number;
}

/** PortForward whose connections the addon's relay carries. */
export class RelayPortForward implements PortForward {
  readonly node: string;
  readonly targetPort: number;
  readonly #ip: string;
  readonly #dial: Dial;
  readonly #logger: Logger;
  /** Accepted clients whose upstream is still being dialled. */
  readonly #sockets = new Set<Socket>();
  readonly #relays = new Set<SocketRelay>();
  #server: Server | undefined;
  #port: number | undefined;
  #closed = false;
  #onAbort: (() => void) | undefined;
  #signal: AbortSignal | undefined;
  readonly #localPort: number;
  #refused = 0;

  constructor(node: string, ip: string, targetPort: number, dial: Dial, logger: Logger, options: ForwardPortOptions = {}) {
    this.node = node;
    this.#localPort = options.localPort ?? 0;
    this.#ip = ip;
    this.targetPort = targetPort;
    this.#dial = dial;
    this.#logger = logger;
  }

  async listen(signal?: AbortSignal): Promise<void> {
    if (this.#closed) throw new StateError(`port forward to ${this.node}:${this.targetPort} is closed`, { hint: 'create a new one with forwardPort()' });
    if (this.#server) throw new StateError(`port forward to ${this.node}:${this.targetPort} is already listening on 127.0.0.1:${this.#port}`, { hint: 'call listen() once' });
    signal?.throwIfAborted();
    const server = createServer({ pauseOnConnect: true }, (client) => this.#accept(client));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        this.#closed = true;
        reject(
          error.code === 'EADDRINUSE'
            ? new StateError(`port forward to ${this.node}:${this.targetPort}: 127.0.0.1:${this.#localPort} is already in use`, {
                hint: 'pick another localPort, or omit it for a free one',
                cause: error,
              })
            : error,
        );
      });
      server.listen({ host: '127.0.0.1', port: this.#localPort }, () => {
        server.removeAllListeners('error');
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

  port(): number {
    if (this.#port === undefined) {
      throw new StateError(`port forward to ${this.node}:${this.targetPort} is not listening`, { hint: 'await fw.listen(t.signal) first' });
    }
    return this.#port;
  }

  get refusedConnections(): number {
    return this.#refused;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#onAbort) this.#signal?.removeEventListener('abort', this.#onAbort);
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    const relays = [...this.#relays];
    for (const relay of relays) relay.cancel();
    const server = this.#server;
    // Resolved only once every relayed connection is closed, not just told to.
    await Promise.all([
      ...relays.map((relay) => relay.done.catch(() => undefined)),
      server && new Promise<void>((resolve) => server.close(() => resolve())),
    ]);
  }

  #pipeInJs(client: Socket, upstream: Socket): void {
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  }

  #accept(client: Socket): void {
    if (this.#closed) return void client.destroy();
    this.#sockets.add(client);
    client.on('close', () => this.#sockets.delete(client));
    client.on('error', () => undefined); // a reset by the local client is not our error
    this.#dial(this.#ip, this.targetPort, { timeoutMs: CONNECT_TIMEOUT_MS }).then(
      (upstream) => {
        this.#sockets.delete(client);
        if (this.#closed || client.destroyed) return void upstream.destroy();
        // In this tick, before node reads from either socket (the client is
        // paused; the upstream was created in the microtasks leading here).
        let relay: SocketRelay;
        try {
          relay = relaySockets(client, upstream);
        } catch (error) {
          if (error instanceof RelayLimitError) {
            this.#refused++;
            client.destroy();
            upstream.destroy();
            // Warned once per forward (a flood of refusals must not flood the log too), counted always.
            const log = this.#refused === 1 ? 'warn' : 'debug';
            this.#logger[log](
              { node: this.node, port: this.targetPort, limit: error.limit, refused: this.#refused },
              'port forward refused a connection: the process relays its limit of connections already',
            );
            return;
          }
          // Not expected (the relay refuses only sockets node already buffered
          // data for); the JS pipe is slower but carries the connection all the same.
          this.#logger.warn({ node: this.node, port: this.targetPort, err: error }, 'native relay refused the connection; piping in JS');
          this.#pipeInJs(client, upstream);
          return;
        }
        this.#relays.add(relay);
        void relay.done.then(
          (result) => this.#logger.debug({ node: this.node, port: this.targetPort, ...result }, 'port forward connection ended'),
          (error: unknown) => this.#logger.warn({ node: this.node, port: this.targetPort, err: error }, 'port forward relay failed'),
        ).finally(() => this.#relays.delete(relay));
      },
      (error: unknown) => {
        // Same as a real network: the client sees its connection drop.
        this.#logger.debug({ node: this.node, port: this.targetPort, err: error }, 'port forward connect failed');
        client.destroy();
      },
    );
  }
}
