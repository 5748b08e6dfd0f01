// Traffic agent of the test/faults suites, started inside a node's (or the
// runner's) network namespace with `ip netns exec <ns> node net-agent.mjs`.
// Serves TCP on 7100 (accept and close), counts UDP datagrams on 7101 per
// source address, and sinks TCP streams on 7102 (bytes per source address) for
// throughput measurements. One JSON command per stdin line, one JSON answer per
// stdout line, matched by `id`. AGENT_BIND (an address) limits the servers to
// it: an agent in the host namespace listens on the run's address only.
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { createInterface } from 'node:readline';

const TCP_PORT = 7100;
const UDP_PORT = 7101;
const STREAM_PORT = 7102;
const received = new Map(); // source address -> datagrams
const streamed = new Map(); // source address -> bytes received on STREAM_PORT

createServer((socket) => {
  const from = socket.remoteAddress.replace(/^::ffff:/, '');
  socket.on('data', (chunk) => streamed.set(from, (streamed.get(from) ?? 0) + chunk.length));
  socket.on('error', () => undefined);
}).listen(STREAM_PORT, process.env.AGENT_BIND || undefined);

const BIND = process.env.AGENT_BIND || undefined;
createServer((socket) => socket.end()).listen(TCP_PORT, BIND);
const sink = createSocket({ type: 'udp4', recvBufferSize: 8 * 1024 * 1024 });
sink.on('message', (_msg, from) => received.set(from.address, (received.get(from.address) ?? 0) + 1));
sink.bind(UDP_PORT, BIND);
const sender = createSocket('udp4');

function connectOnce(host, timeoutMs) {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port: TCP_PORT });
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    function done(outcome) {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    }
    socket.on('connect', () => done('ok'));
    socket.on('error', (error) => done(error.code ?? 'error'));
  });
}

// A neighbour entry that failed while a pair was cut both ways (ARP is judged
// on full cuts) answers EHOSTUNREACH at once for about a second after heal, as
// on a real L2 network (README, fault catalogue). Such a fast failure is tried
// once more after the kernel re-probes; a pair that is really cut fails again.
async function connects(host, timeoutMs) {
  const started = Date.now();
  const first = await connectOnce(host, timeoutMs);
  if (first === 'ok') return true;
  if (first !== 'EHOSTUNREACH') return false;
  await pause(1200);
  return (await connectOnce(host, Math.max(500, timeoutMs - (Date.now() - started)))) === 'ok';
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
  // `count` datagrams (of `size` bytes, default tiny), in bursts of `burst` (default 200, small
  // enough for the sink's buffer) with `gapMs` between bursts (default 2).
  udpSend: async ({ host, count, size, burst = 200, gapMs = 2 }) => {
    const padded = size ? Buffer.alloc(size, 0x61) : undefined;
    for (let i = 0; i < count; i++) {
      await new Promise((resolve) => sender.send(padded ?? `d${i}`, UDP_PORT, host, resolve));
      if (i % burst === burst - 1) await pause(gapMs);
    }
    return { ok: true };
  },
  // Stream to host:STREAM_PORT as fast as TCP allows, for `ms`.
  tcpSend: async ({ host, ms }) => {
    const socket = createConnection({ host, port: STREAM_PORT });
    socket.on('error', () => undefined);
    const chunk = Buffer.alloc(64 * 1024, 0x62);
    const until = Date.now() + ms;
    await new Promise((resolve) => socket.once('connect', resolve));
    while (Date.now() < until) {
      if (!socket.write(chunk)) await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), pause(Math.max(1, until - Date.now()))]);
    }
    socket.destroy();
    return { ok: true };
  },
  // Bytes per second received from `from` between warmupMs and warmupMs + ms from now.
  tcpRate: async ({ from, warmupMs, ms }) => {
    await pause(warmupMs);
    const b0 = streamed.get(from) ?? 0;
    const t0 = process.hrtime.bigint();
    await pause(ms);
    const b1 = streamed.get(from) ?? 0;
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    return { ok: true, rate: (b1 - b0) / seconds };
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
