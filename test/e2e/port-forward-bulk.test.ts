/**
 * A port forward carries a bulk transfer to a peer that stays silent until it
 * has everything (the shape of an upload followed by one answer). The relay
 * once took the busy direction's socket out of its epoll set while the idle
 * direction waited for input, and the transfer stalled after a few MB; on
 * loopback alone (test/native/relay.test.ts) it rarely shows, through a node's
 * namespace it did every time.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { spec, Test } from '../../lib/index.js';
import { names } from '../../lib/host/names.js';
import { captureLogger } from './support.js';
import { expectNoLeaks } from '../helpers/leak-audit.js';

const PORT = 39_997;
const BYTES = 64 * 1024 * 1024;
// Reads BYTES, then answers one byte; prints "ready" once listening.
const SINK = `
const server = require('node:net').createServer((s) => {
  let got = 0;
  s.on('data', (c) => { got += c.length; if (got === ${BYTES}) s.write('k'); });
  s.on('error', () => {});
});
server.listen(${PORT}, () => console.log('ready'));
`;

describe('port forward', () => {
  it('carries a 64 MiB upload to a silent peer, then its answer', async () => {
    const { logger } = captureLogger();
    const cluster = spec.newCluster().addNode(spec.newNode('n1'));
    const result = await new Test('pf_bulk', cluster, { logger }).run(async (t) => {
      const sink = spawn('ip', ['netns', 'exec', names.nodeNetns(t.id, 'n1'), process.execPath, '-e', SINK], { stdio: ['ignore', 'pipe', 'inherit'] });
      try {
        await once(sink.stdout, 'data');
        const fw = t.network.forwardPort('n1', PORT);
        await fw.listen(t.signal);
        const socket = connect({ host: '127.0.0.1', port: fw.port() });
        await once(socket, 'connect');
        const upload = async (): Promise<string> => {
          const answered = new Promise<string>((resolve, reject) => {
            socket.once('data', (c: Buffer) => resolve(c.toString()));
            socket.once('error', reject);
          });
          const chunk = Buffer.alloc(1024 * 1024, 0x61);
          for (let sent = 0; sent < BYTES; sent += chunk.length) {
            if (!socket.write(chunk)) await once(socket, 'drain');
          }
          return answered;
        };
        let timer: NodeJS.Timeout | undefined;
        const stalled = new Promise<string>((resolve) => {
          timer = setTimeout(() => resolve('stalled: no answer within 30 s'), 30_000);
        });
        expect(await Promise.race([upload(), stalled])).toBe('k');
        clearTimeout(timer);
        socket.destroy();
      } finally {
        sink.kill();
        await once(sink, 'exit');
      }
    });
    await expectNoLeaks(result.id);
  }, 90_000);
});
