/**
 * The handle's ways into the cluster: HTTP from the runner's namespace by node
 * name, exec in a container, and a port forward a host client can use.
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { spec, Test, TestFailedError } from '../../lib/index.js';
import { BUSYBOX, captureLogger } from './support.js';
import { expectNoLeaks } from '../helpers/leak-audit.js';

function web(node: string, body: string) {
  return spec
    .newNode(node)
    .runs(
      spec
        .newContainer('web', BUSYBOX)
        .withFile('/www/index.html', body)
        .withCommand(['httpd', '-f', '-p', '8080', '-h', '/www'])
        .withReadiness(spec.httpProbe({ port: 8080, path: '/index.html' })),
    );
}

function hostGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('test handle', () => {
  it('t.http, t.exec, forwardPort, ipOf work against real services', async () => {
    const { logger } = captureLogger();
    const cluster = spec.newCluster().addNode(web('n1', 'one\n')).addNode(web('n2', 'two\n'));
    let id = '';
    const result = await new Test('handle_api', cluster, { logger }).run(async (t) => {
      id = t.id;
      const res = await t.http.get('http://n1:8080/index.html', { timeoutMs: 2000 });
      expect(res.status).toBe(200);
      expect(res.body).toBe('one\n');
      expect((await t.http.get('http://n2:8080/missing', { timeoutMs: 2000 })).status).toBe(404);
      // Same thing by IP.
      const [ip1, ip2] = t.network.ipsOf(['n1', 'n2']);
      expect(ip1).toBe(t.network.ipOf('n1'));
      expect(ip1).not.toBe(ip2);
      expect((await t.http.get(`http://${ip2}:8080/index.html`)).body).toBe('two\n');

      // exec: stdout, exit code, and node names resolve inside containers (/etc/hosts).
      const cat = await t.exec.inContainer('n1', 'web', 'cat', '/www/index.html');
      expect(cat).toMatchObject({ exitCode: 0, stdout: 'one\n' });
      const fail = await t.exec.inContainer('n1', 'web', 'ls', '/nonexistent');
      expect(fail.exitCode).not.toBe(0);
      expect(fail.stderr).toMatch(/nonexistent/);
      // Node to node by IP (busybox-static cannot resolve names: its static glibc has no NSS).
      const fromN1 = await t.exec.inContainer('n1', 'web', 'nc', '-w', '2', ip2!, '8080', '-e', 'true');
      expect(fromN1.exitCode).toBe(0);
      const refused = await t.exec.inContainer('n1', 'web', 'nc', '-w', '2', ip2!, '9', '-e', 'true');
      expect(refused.exitCode).not.toBe(0);
      const hosts = await t.exec.inContainer('n2', 'web', 'cat', '/etc/hosts');
      expect(hosts.stdout).toContain(`${ip1}\tn1`);

      // forward: a host-side client reaches n2:8080 through 127.0.0.1:<port>.
      const fw = t.network.forwardPort('n2', 8080);
      expect(() => fw.port()).toThrow(/not listening/);
      await fw.listen(t.signal);
      const viaForward = await hostGet(fw.port(), '/index.html');
      expect(viaForward).toEqual({ status: 200, body: 'two\n' });
      const port = fw.port();
      await fw.close();
      await expect(hostGet(port, '/index.html')).rejects.toThrow(/ECONNREFUSED/);

      // Forwards that the test does not close are closed at teardown.
      const open = t.network.forwardPort('n1', 8080);
      await open.listen(t.signal);
      leftPort = open.port();
    });
    expect(result.id).toBe(id);
    await expect(hostGet(leftPort, '/')).rejects.toThrow(/ECONNREFUSED/);
    await expectNoLeaks(id);
  });

  it('http to a port nobody listens on fails with a message naming the request', async () => {
    const { logger } = captureLogger();
    const cluster = spec.newCluster().addNode(web('n1', 'x'));
    const run = new Test('http_refused', cluster, { logger }).run(async (t) => {
      await t.http.get('http://n1:9999/', { timeoutMs: 2000 });
    });
    const error = await run.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(TestFailedError);
    expect((error as TestFailedError).message).toMatch(/http GET http:\/\/n1:9999\/ failed/);
    await expectNoLeaks((error as TestFailedError).id);
  });
});

let leftPort = 0;
