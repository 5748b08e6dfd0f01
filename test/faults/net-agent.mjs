// Traffic agent of the test/faults suites, started inside a node's (or the
// runner's) network namespace with `ip netns exec <ns> node net-agent.mjs`.
// Serves TCP on 7100 (accept and close), counts UDP datagrams on 7101 per
// source address, and sinks TCP streams on 7102 (bytes per source address) for
// throughput measurements. Latency: UDP echo on 7103 (round trips), and
// datagrams stamped with the sender's CLOCK_MONOTONIC on 7101 give one-way
// latencies (every agent runs on the same host, so the clocks are one). One JSON command per stdin line, one JSON answer per
// stdout line, matched by `id`. AGENT_BIND (an address) limits the servers to
// it: an agent in the host namespace listens on the run's address only.
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { createInterface } from 'node:readline';

const TCP_PORT = 7100;
const UDP_PORT = 7101;
const STREAM_PORT = 7102;
const ECHO_PORT = 7103;
const STAMP = 0x54; // first byte of a datagram that carries a send time (8 bytes, ns)
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
const latencies = new Map(); // source address -> one-way latencies (ms) of stamped datagrams
sink.on('message', (msg, from) => {
  received.set(from.address, (received.get(from.address) ?? 0) + 1);
  if (msg.length >= 9 && msg[0] === STAMP) {
    const list = latencies.get(from.address) ?? [];
    list.push(Number(process.hrtime.bigint() - msg.readBigUInt64LE(1)) / 1e6);
    latencies.set(from.address, list);
  }
});
sink.bind(UDP_PORT, BIND);
const echo = createSocket('udp4');
echo.on('message', (msg, from) => echo.send(msg, from.port, from.address));
echo.bind(ECHO_PORT, BIND);
const sender = createSocket('udp4');

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return sorted.length === 0 ? { n: 0 } : { n: sorted.length, min: sorted[0], p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] };
}

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
  // `count` stamped datagrams to host's sink, one per `intervalMs` (one-way latency at the receiver).
  udpStamped: async ({ host, count, intervalMs = 2, size = 64 }) => {
    for (let i = 0; i < count; i++) {
      const msg = Buffer.alloc(Math.max(9, size));
      msg[0] = STAMP;
      msg.writeBigUInt64LE(process.hrtime.bigint(), 1);
      await new Promise((resolve) => sender.send(msg, UDP_PORT, host, resolve));
      await pause(intervalMs);
    }
    return { ok: true };
  },
  // One-way latencies (ms) of the stamped datagrams from `from` since the last call: { n, min, p50, p99, max }.
  udpLatency: async ({ from }) => {
    const list = latencies.get(from) ?? [];
    latencies.delete(from);
    return { ok: true, stats: stats(list), values: list };
  },
  // `count` UDP round trips to host's echo: one at a time, or one every `intervalMs` without waiting
  // for answers (each probe carries its send time). { n (answered), lost, p50, p99, … } in ms; `values` too.
  udpRtt: async ({ host, count, timeoutMs = 1000, intervalMs }) => {
    const socket = createSocket('udp4');
    await new Promise((resolve) => socket.bind(0, resolve));
    const rtts = [];
    let waiting;
    socket.on('message', (msg) => {
      if (msg.length < 9 || msg[0] !== STAMP) return;
      rtts.push(Number(process.hrtime.bigint() - msg.readBigUInt64LE(1)) / 1e6);
      waiting?.();
    });
    for (let i = 0; i < count; i++) {
      const msg = Buffer.alloc(64);
      msg[0] = STAMP;
      const before = rtts.length;
      const answered = intervalMs === undefined ? new Promise((resolve) => (waiting = resolve)) : undefined;
      msg.writeBigUInt64LE(process.hrtime.bigint(), 1);
      socket.send(msg, ECHO_PORT, host);
      if (answered) await Promise.race([answered, pause(timeoutMs)]);
      else await pause(intervalMs);
      if (answered && rtts.length === before) waiting = undefined;
    }
    if (intervalMs !== undefined) await pause(timeoutMs);
    socket.close();
    return { ok: true, stats: { ...stats(rtts), lost: count - rtts.length }, values: rtts };
  },
  // `count` TCP connects to host, one at a time: handshake times (ms) of those that connected.
  tcpConnectTimes: async ({ host, count, timeoutMs = 2000 }) => {
    const times = [];
    for (let i = 0; i < count; i++) {
      const t0 = process.hrtime.bigint();
      if ((await connectOnce(host, timeoutMs)) === 'ok') times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return { ok: true, stats: stats(times) };
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
