/**
 * Run by connect.test.ts under a lowered fd limit (prlimit): many sequential
 * connectInNetns calls, successful and refused, then prints how many fds the
 * process holds before and after as one JSON line. Every call must give back
 * everything it opened (its cancel eventfd included) when it settles, not when
 * the garbage collector runs.
 */
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { connectInNetns } from '../../lib/native/index.js';

const calls = Number(process.argv[2] ?? 1500);
const netns = process.argv[3] ?? '';
const fdCount = (): number | string => {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch (error) {
    return (error as { code?: string }).code ?? String(error); // EMFILE: the leak itself
  }
};

const server = createServer((socket) => socket.destroy());
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const port = (server.address() as AddressInfo).port;
// A port that was free a moment ago: connects to it are refused.
const closed = createServer();
closed.listen(0, '127.0.0.1');
await once(closed, 'listening');
const refusedPort = (closed.address() as AddressInfo).port;
await new Promise<void>((resolve) => closed.close(() => resolve()));

// One call first: loading the addon keeps a few fds for the process's life.
await connectInNetns(netns, '127.0.0.1', refusedPort, { timeoutMs: 5000 }).catch(() => undefined);
const baseline = fdCount();
let connected = 0;
const failures: Record<string, number> = {};
for (let i = 0; i < calls; i++) {
  const refused = i % 4 === 3;
  try {
    const socket = await connectInNetns(netns, '127.0.0.1', refused ? refusedPort : port, { timeoutMs: 5000 });
    connected++;
    socket.destroy();
    await once(socket, 'close');
  } catch (error) {
    const code = (error as { code?: string }).code ?? String(error);
    failures[code] = (failures[code] ?? 0) + 1;
  }
}
const after = fdCount();
server.close();
console.log(JSON.stringify({ baseline, after, connected, failures }));
