/**
 * Port-forward bench client: the same code measures the forwarded path
 * (127.0.0.1:<local port>, host namespace) and the direct one (run with
 * `ip netns exec <runner namespace>` against the node's address). Separate
 * process, so the forwarder's work is not mixed with the client's.
 *
 * usage: node --import tsx bench/pf-client.ts <host> <port> <throughput-MiB> <trials> <rounds>
 * prints "bulk start" / "bulk end" around the timed transfers, then {"mb_s":[...],"rtt_us":[...]}
 */
import { connect, type Socket } from 'node:net';

const [host = '127.0.0.1', portText = '0', mibText = '256', trialsText = '3', roundsText = '2000'] = process.argv.slice(2);
const port = Number(portText);

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, noDelay: true }, () => resolve(socket));
    socket.once('error', reject);
  });
}

async function throughput(bytes: number): Promise<number> {
  const socket = await open();
  const chunk = Buffer.alloc(256 * 1024, 0x61);
  const header = Buffer.alloc(9);
  header[0] = 0x54; // 'T'
  header.writeBigUInt64LE(BigInt(bytes), 1);
  const start = process.hrtime.bigint();
  const acked = new Promise<void>((resolve) => socket.once('data', () => resolve()));
  socket.write(header);
  for (let sent = 0; sent < bytes; sent += chunk.length) {
    const piece = bytes - sent < chunk.length ? chunk.subarray(0, bytes - sent) : chunk;
    if (!socket.write(piece)) await new Promise((resolve) => socket.once('drain', resolve));
  }
  await acked;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  socket.destroy();
  return bytes / 1e6 / seconds;
}

async function roundTrips(rounds: number, warmup: number): Promise<number[]> {
  const socket = await open();
  const request = Buffer.alloc(64, 0x62);
  socket.write('E');
  const rtts: number[] = [];
  let pending: (() => void) | undefined;
  let buffered = 0;
  socket.on('data', (chunk: Buffer) => {
    buffered += chunk.length;
    if (buffered >= request.length && pending) {
      buffered -= request.length;
      const wake = pending;
      pending = undefined;
      wake();
    }
  });
  for (let i = 0; i < warmup + rounds; i++) {
    const start = process.hrtime.bigint();
    await new Promise<void>((resolve) => {
      pending = resolve;
      socket.write(request);
    });
    if (i >= warmup) rtts.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  socket.destroy();
  return rtts;
}

const mbS: number[] = [];
await throughput(32 * 1024 * 1024); // warm-up: JIT, TCP windows
// Markers for the parent, which measures the forwarder's CPU over exactly the timed transfers.
process.stdout.write('bulk start\n');
for (let i = 0; i < Number(trialsText); i++) mbS.push(await throughput(Number(mibText) * 1024 * 1024));
process.stdout.write('bulk end\n');
const rtt = await roundTrips(Number(roundsText), 200);
process.stdout.write(`${JSON.stringify({ mb_s: mbS, rtt_us: rtt })}\n`);
