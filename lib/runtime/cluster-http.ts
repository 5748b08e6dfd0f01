/**
 * t.http: HTTP/1.1 requests from inside the cluster network (the runner's
 * namespace), addressed by node name: `t.http.get("http://etcd1:2379/health")`.
 * node:http does the protocol; we only hand it a socket connected in the namespace.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { PakostiiError, SpecError } from '../errors.js';
import type { Dial } from './dial.js';

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface HttpRequestOptions {
  /** Whole request, connect included (default 10 s). */
  timeoutMs?: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  signal?: AbortSignal;
}

export const DEFAULT_HTTP_TIMEOUT_MS = 10_000;
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** t.http: requests from the runner's namespace, hosts by node name (implemented by DialHttp). */
export interface ClusterHttp {
  get(url: string, options?: Omit<HttpRequestOptions, 'body'>): Promise<HttpResponse>;
  post(url: string, options?: HttpRequestOptions): Promise<HttpResponse>;
  put(url: string, options?: HttpRequestOptions): Promise<HttpResponse>;
  delete(url: string, options?: HttpRequestOptions): Promise<HttpResponse>;
  /** Any method; http:// only, the host a node name or an IPv4 address. */
  request(method: string, url: string, options?: HttpRequestOptions): Promise<HttpResponse>;
}

/** ClusterHttp over a Dial from the runner's namespace. */
export class DialHttp implements ClusterHttp {
  readonly #dial: Dial;
  readonly #resolve: (host: string, where: string) => string;
  readonly #signal: AbortSignal;

  constructor(dial: Dial, resolve: (host: string, where: string) => string, signal: AbortSignal) {
    this.#dial = dial;
    this.#resolve = resolve;
    this.#signal = signal;
  }

  get(url: string, options: Omit<HttpRequestOptions, 'body'> = {}): Promise<HttpResponse> {
    return this.request('GET', url, options);
  }
  post(url: string, options: HttpRequestOptions = {}): Promise<HttpResponse> {
    return this.request('POST', url, options);
  }
  put(url: string, options: HttpRequestOptions = {}): Promise<HttpResponse> {
    return this.request('PUT', url, options);
  }
  delete(url: string, options: HttpRequestOptions = {}): Promise<HttpResponse> {
    return this.request('DELETE', url, options);
  }

  async request(method: string, url: string, options: HttpRequestOptions = {}): Promise<HttpResponse> {
    const where = `http ${method} ${url}`;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new SpecError(`${where}: not a valid URL`, { hint: 'e.g. "http://etcd1:2379/health" (node name as host)' });
    }
    if (parsed.protocol !== 'http:') {
      throw new SpecError(`${where}: only http:// is supported`, { hint: 'for TLS, forward the port (t.network.forwardPort) and use your own client' });
    }
    const ip = this.#resolve(parsed.hostname, where);
    const port = parsed.port ? Number(parsed.port) : 80;
    const timeoutMs = options.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
    const signal = AbortSignal.any([this.#signal, AbortSignal.timeout(timeoutMs), ...(options.signal ? [options.signal] : [])]);
    const socket = await this.#dial(ip, port, { timeoutMs, signal }).catch((error: unknown) => {
      throw wrap(where, error, signal, timeoutMs);
    });
    try {
      return await exchange(socket, method, parsed, options, signal);
    } catch (error) {
      throw wrap(where, error, signal, timeoutMs);
    } finally {
      socket.destroy();
    }
  }
}

function wrap(where: string, error: unknown, signal: AbortSignal, timeoutMs: number): PakostiiError {
  if (error instanceof PakostiiError && !(error.name === 'NativeError')) return error;
  const timedOut = signal.aborted && signal.reason instanceof DOMException && signal.reason.name === 'TimeoutError';
  const reason = timedOut ? `no response within ${timeoutMs} ms` : error instanceof Error ? error.message : String(error);
  return new PakostiiError(`${where} failed: ${reason}`, {
    cause: error,
    hint: 'the node may be cut from the runner by a fault, or the service is not listening on that port',
  });
}

function exchange(socket: Socket, method: string, url: URL, options: HttpRequestOptions, signal: AbortSignal): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : Buffer.from(options.body);
    const req = httpRequest({
      method,
      host: url.hostname,
      port: url.port || 80,
      path: `${url.pathname}${url.search}`,
      headers: { ...(body ? { 'content-length': String(body.length) } : {}), ...options.headers, host: url.host, connection: 'close' },
      signal,
      createConnection: () => socket,
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) req.destroy(new Error(`response body larger than ${MAX_BODY_BYTES} bytes`));
        else chunks.push(chunk);
      });
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.end(body);
  });
}
