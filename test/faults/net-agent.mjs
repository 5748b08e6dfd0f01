// Traffic agent of the test/faults suites, started inside a node's (or the
// runner's) network namespace with `ip netns exec <ns> node net-agent.mjs`.
// Serves TCP on 7100 (accept and close) and counts UDP datagrams on 7101 per
// source address. One JSON command per stdin line, one JSON answer per stdout
// line, matched by `id`. AGENT_BIND (an address) limits the servers to it: an
// agent in the host namespace listens on the run's address only.
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { createInterface } from 'node:readline';

const TCP_PORT = 7100;
const UDP_PORT = 7101;
const received = new Map(); // source address -> datagrams

const BIND = process.env.AGENT_BIND || undefined;
createServer((socket) => socket.end()).listen(TCP_PORT, BIND);
const sink = createSocket({ type: 'udp4', recvBufferSize: 8 * 1024 * 1024 });
sink.on('message', (_msg, from) => received.set(from.address, (received.get(from.address) ?? 0) + 1));
sink.bind(UDP_PORT, BIND);
const sender = createSocket('udp4');

function connects(host, timeoutMs) {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port: TCP_PORT });
    const timer = setTimeout(() => done(false), timeoutMs);
    function done(ok) {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    }
    socket.on('connect', () => done(true));
    socket.on('error', () => done(false));
  });
}

// Datagrams the kernel passed but dropped because the sink's buffer was full
// (a busy machine): counted so the loss statistics only see the XDP verdicts.
function rcvbufErrors() {
  const lines = readFileSync('/proc/self/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
  const names = lines[0].split(/\s+/);
  const values = lines[1].split(/\s+/);
  return Number(values[names.indexOf('RcvbufErrors')]);
}
let overflowBase = rcvbufErrors();

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const commands = {
  ready: async () => ({ ok: true }),
  // TCP connects to every host in parallel: [true|false, ...].
  reach: async ({ hosts, timeoutMs }) => ({ ok: true, results: await Promise.all(hosts.map((h) => connects(h, timeoutMs))) }),
  // `count` datagrams, in bursts small enough for the sink's buffer.
  udpSend: async ({ host, count }) => {
    for (let i = 0; i < count; i++) {
      await new Promise((resolve) => sender.send(`d${i}`, UDP_PORT, host, resolve));
      if (i % 200 === 199) await pause(2);
    }
    return { ok: true };
  },
  // Datagrams received from `from` since the last call.
  // (and buffer overflows, from any source, since the last call).
  udpReceived: async ({ from }) => {
    const count = received.get(from) ?? 0;
    received.delete(from);
    const now = rcvbufErrors();
    const overflow = now - overflowBase;
    overflowBase = now;
    return { ok: true, count, overflow };
  },
};

createInterface({ input: process.stdin }).on('line', async (line) => {
  const request = JSON.parse(line);
  const answer = await commands[request.cmd](request);
  process.stdout.write(`${JSON.stringify({ id: request.id, ...answer })}\n`);
});
process.stdin.on('end', () => process.exit(0));
