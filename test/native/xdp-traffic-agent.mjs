// Traffic agent for xdp-traffic.test.ts, started inside a network namespace
// (`ip netns exec <ns> node xdp-traffic-agent.mjs`). Serves a TCP echo on 7000
// and a counting UDP sink on 7001; runs probes on request. Protocol: one JSON
// command per stdin line, one JSON answer per stdout line, matched by `id`.
import { createSocket } from 'node:dgram';
import { createConnection, createServer } from 'node:net';
import { createInterface } from 'node:readline';

const TCP_PORT = 7000;
const UDP_PORT = 7001;
const received = new Map(); // source address -> datagrams
let persistent; // { socket, data }

createServer((socket) => socket.pipe(socket)).listen(TCP_PORT);
const sink = createSocket('udp4');
sink.on('message', (_msg, from) => received.set(from.address, (received.get(from.address) ?? 0) + 1));
sink.bind(UDP_PORT);
const sender = createSocket('udp4');

function tcpRoundTrip(host, timeoutMs) {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port: TCP_PORT });
    const timer = setTimeout(() => done({ ok: false, error: 'timeout' }), timeoutMs);
    function done(result) {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    }
    socket.on('connect', () => socket.write('ping'));
    socket.on('data', (data) => data.toString().includes('ping') && done({ ok: true }));
    socket.on('error', (error) => done({ ok: false, error: error.code }));
  });
}

function waitForEcho(payload, timeoutMs) {
  return new Promise((resolve) => {
    const check = () => {
      if (persistent.data.includes(payload)) finish({ ok: true });
    };
    const timer = setTimeout(() => finish({ ok: false, error: 'timeout' }), timeoutMs);
    function finish(result) {
      clearTimeout(timer);
      persistent.socket.off('data', check);
      resolve(result);
    }
    persistent.socket.on('data', check);
    check();
  });
}

const commands = {
  ready: async () => ({ ok: true }),
  tcp: ({ host, timeoutMs }) => tcpRoundTrip(host, timeoutMs),
  tcpOpen: ({ host }) =>
    new Promise((resolve) => {
      const socket = createConnection({ host, port: TCP_PORT }, () => resolve({ ok: true }));
      persistent = { socket, data: '' };
      socket.on('data', (data) => (persistent.data += data.toString()));
      socket.on('error', (error) => resolve({ ok: false, error: error.code }));
    }),
  // Sends `payload` on the connection opened by tcpOpen; ok once it has come back.
  tcpEcho: ({ payload, timeoutMs }) => {
    persistent.socket.write(payload);
    return waitForEcho(payload, timeoutMs);
  },
  // Waits (without sending again) for an earlier payload, e.g. after a heal.
  tcpAwait: ({ payload, timeoutMs }) => waitForEcho(payload, timeoutMs),
  udpSend: async ({ host, count }) => {
    for (let i = 0; i < count; i++) await new Promise((resolve) => sender.send(`d${i}`, UDP_PORT, host, resolve));
    return { ok: true };
  },
  // Datagrams received from `from` since the last call.
  udpReceived: async ({ from }) => {
    const count = received.get(from) ?? 0;
    received.delete(from);
    return { ok: true, count };
  },
};

createInterface({ input: process.stdin }).on('line', async (line) => {
  const request = JSON.parse(line);
  const answer = await commands[request.cmd](request);
  process.stdout.write(`${JSON.stringify({ id: request.id, ...answer })}\n`);
});
process.stdin.on('end', () => process.exit(0));
