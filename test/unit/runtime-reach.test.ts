/**
 * Port forwards, cluster HTTP and readiness waiting over real local sockets.
 * The dial function (normally connectInNetns from the runner's namespace) is
 * replaced by a plain connect to 127.0.0.1, so this needs no root; the
 * namespace path is proven in test/e2e.
 */
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { request } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PakostiiError } from '../../lib/errors.js';
import { spec } from '../../lib/index.js';
import { DialHttp } from '../../lib/runtime/cluster-http.js';
import type { Dial } from '../../lib/runtime/dial.js';
import { RelayPortForward } from '../../lib/runtime/port-forward.js';
import { waitReady, type ProbeTransport } from '../../lib/runtime/readiness.js';

let server: Server;
let serverPort = 0;
const logger = pino({ level: 'silent' });

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.url === '/slow') return void setTimeout(() => res.end('late'), 2000);
      res.writeHead(req.url === '/missing' ? 404 : 200, { 'x-method': req.method ?? '' });
      res.end(body ? `echo:${body}` : `hello ${req.headers.host}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  serverPort = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const dials: string[] = [];
/** "Node" 10.0.0.2 is the local server; every port maps to it; anything else is refused. */
const dial: Dial = (ip, port, options) =>
  new Promise<Socket>((resolve, reject) => {
    dials.push(`${ip}:${port}`);
    if (ip !== '10.0.0.2') return reject(Object.assign(new Error(`connect ECONNREFUSED ${ip}:${port}`), { code: 'ECONNREFUSED' }));
    options?.signal?.throwIfAborted();
    const s = connect(serverPort, '127.0.0.1');
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });

function hostGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    })
      .on('error', reject)
      .end();
  });
}

describe('PortForward', () => {
  it('forwards each local connection through dial, and close() refuses new ones', async () => {
    const fw = new RelayPortForward('n1', '10.0.0.2', 2379, dial, logger);
    expect(() => fw.port()).toThrow(/not listening/);
    await fw.listen();
    dials.length = 0;
    expect(await hostGet(fw.port(), '/a')).toMatch(/^hello 127\.0\.0\.1:\d+$/);
    expect(await hostGet(fw.port(), '/b')).toMatch(/^hello/);
    expect(dials).toEqual(['10.0.0.2:2379', '10.0.0.2:2379']);
    await expect(fw.listen()).rejects.toThrow(/already listening/);
    const port = fw.port();
    await fw.close();
    await fw.close(); // idempotent
    await expect(hostGet(port, '/')).rejects.toThrow(/ECONNREFUSED/);
    await expect(fw.listen()).rejects.toThrow(/is closed/);
  });

  it('closes when its signal aborts', async () => {
    const controller = new AbortController();
    const fw = new RelayPortForward('n1', '10.0.0.2', 80, dial, logger);
    await fw.listen(controller.signal);
    const port = fw.port();
    controller.abort();
    await new Promise((r) => setTimeout(r, 50));
    await expect(hostGet(port, '/')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('close() cuts a relayed connection that is still open, promptly', async () => {
    const fw = new RelayPortForward('n1', '10.0.0.2', 80, dial, logger);
    await fw.listen();
    const socket = connect(fw.port(), '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise((r) => socket.once('connect', r));
    socket.write('GET /slow HTTP/1.1\r\nhost: n1\r\n\r\n'); // answered only after 2 s
    await new Promise((r) => setTimeout(r, 100)); // dialled and relayed by now
    const closed = new Promise((r) => socket.once('close', r));
    const started = performance.now();
    await fw.close();
    await closed;
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('a failed upstream connect drops the local connection (as a cut network would)', async () => {
    const fw = new RelayPortForward('n9', '10.0.0.9', 80, dial, logger);
    await fw.listen();
    await expect(hostGet(fw.port(), '/')).rejects.toThrow(/socket hang up|ECONNRESET/);
    await fw.close();
  });
});

describe('ClusterHttp', () => {
  const resolve = (host: string) => (host === 'n1' ? '10.0.0.2' : host === 'n9' ? '10.0.0.9' : '0.0.0.0');
  const http = new DialHttp(dial, resolve, new AbortController().signal);

  it('GET by node name returns status, headers and body', async () => {
    const res = await http.get('http://n1:2379/health');
    expect(res.status).toBe(200);
    expect(res.body).toBe('hello n1:2379');
    expect(res.headers['x-method']).toBe('GET');
    expect((await http.get('http://n1:2379/missing')).status).toBe(404);
  });

  it('POST sends the body', async () => {
    const res = await http.post('http://n1:1/x', { body: 'data' });
    expect(res).toMatchObject({ status: 200, body: 'echo:data' });
  });

  it('errors name the request; a slow answer times out', async () => {
    await expect(http.get('http://n9:80/')).rejects.toThrow(/http GET http:\/\/n9:80\/ failed: connect ECONNREFUSED/);
    const slow = http.get('http://n1:1/slow', { timeoutMs: 300 });
    await expect(slow).rejects.toBeInstanceOf(PakostiiError);
    await expect(slow).rejects.toThrow(/no response within 300 ms/);
  });
});

describe('waitReady', () => {
  const failing = (message: string): ProbeTransport => ({
    httpStatus: async () => 503,
    tcpConnect: async () => {
      throw new Error(message);
    },
    exec: async () => ({ exitCode: 1, stderr: 'not yet' }),
    logs: async () => ({ stdout: '', stderr: '' }),
  });

  it('retries until the probe passes', async () => {
    let calls = 0;
    const transport: ProbeTransport = { ...failing('x'), httpStatus: async () => (++calls < 3 ? 503 : 200) };
    const attempts = await waitReady(spec.httpProbe({ port: 1, intervalMs: 10 }), transport, {
      what: 'svc',
      deadlineMs: 5000,
      signal: new AbortController().signal,
    });
    expect(attempts).toBe(3);
  });

  it('gives up at the deadline with the last error', async () => {
    const started = Date.now();
    const run = waitReady(spec.tcpProbe({ port: 7, intervalMs: 50 }), failing('connection refused'), {
      what: 'service "db" on node "n1"',
      deadlineMs: 400,
      signal: new AbortController().signal,
    });
    await expect(run).rejects.toThrow(/service "db" on node "n1" did not become ready within 400 ms .*TCP connect :7.*last error: connection refused/);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('reports the exec probe exit code and stderr; stops when aborted', async () => {
    await expect(
      waitReady(spec.execProbe(['check']), failing(''), { what: 's', deadlineMs: 100, signal: new AbortController().signal }),
    ).rejects.toThrow(/last error: exited 1: not yet/);
    const controller = new AbortController();
    const run = waitReady(spec.tcpProbe({ port: 7, intervalMs: 1000 }), failing('no'), { what: 's', deadlineMs: 60_000, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('interrupted')), 50);
    await expect(run).rejects.toThrow('interrupted');
  });
});
