/**
 * Port-forward bench server, run inside a node's namespace (`ip netns exec`).
 * One port, two modes chosen by the first byte of a connection:
 *   'T' + u64 length: read that many bytes, then answer one byte 'k' (throughput)
 *   'E': echo everything back (request/response latency)
 * Prints "ready" once listening.
 *
 * usage: node --import tsx bench/pf-sink.ts <port>
 */
import { createServer, type Socket } from 'node:net';

const port = Number(process.argv[2]);

function serve(socket: Socket): void {
  socket.setNoDelay(true);
  let mode: 'T' | 'E' | undefined;
  let header = Buffer.alloc(0);
  let remaining = -1n;
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => {
    if (mode === 'E') return void socket.write(chunk);
    if (mode === undefined) {
      mode = chunk[0] === 0x45 ? 'E' : 'T';
      chunk = chunk.subarray(1);
      if (mode === 'E') {
        if (chunk.length) socket.write(chunk);
        return;
      }
    }
    if (remaining < 0n) {
      header = Buffer.concat([header, chunk]);
      if (header.length < 8) return;
      remaining = header.readBigUInt64LE(0);
      chunk = header.subarray(8);
    }
    remaining -= BigInt(chunk.length);
    if (remaining === 0n) socket.write('k');
  });
}

createServer(serve).listen({ host: '0.0.0.0', port }, () => process.stdout.write('ready\n'));
