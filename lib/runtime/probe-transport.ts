/**
 * How readiness probes reach a service: HTTP and TCP from the runner's
 * namespace to the node's IP (what a client sees), exec inside the container.
 */
import { request } from 'node:http';
import type { Container } from '../containerd/index.js';
import type { Dial } from './dial.js';
import type { ProbeTransport } from './readiness.js';

export function probeTransport(dial: Dial, ip: string, container: Container): ProbeTransport {
  return {
    async httpStatus(port, method, path, timeoutMs, signal) {
      const socket = await dial(ip, port, { timeoutMs, signal });
      try {
        return await new Promise<number>((resolve, reject) => {
          const req = request({ method, host: ip, port, path, signal, headers: { connection: 'close' }, createConnection: () => socket });
          req.on('error', reject);
          req.on('response', (res) => {
            res.resume(); // the status is all a probe needs
            res.on('end', () => resolve(res.statusCode ?? 0));
            res.on('error', reject);
          });
          req.end();
        });
      } finally {
        socket.destroy();
      }
    },
    async tcpConnect(port, timeoutMs, signal) {
      const socket = await dial(ip, port, { timeoutMs, signal });
      socket.destroy();
    },
    async exec(argv, timeoutMs, signal) {
      const result = await container.exec([...argv], { timeoutMs, signal });
      return { exitCode: result.exitCode, stderr: result.stderr };
    },
    logs: () => container.logsSinceStart(),
  };
}
