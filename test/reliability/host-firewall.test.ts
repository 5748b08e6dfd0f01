/**
 * A host firewall that drops forwarded traffic (Docker's default: br_netfilter
 * on, iptables FORWARD policy DROP; also Kubernetes, libvirt) must not break
 * runs. The "host" here is a scratch network namespace set up like such a
 * host, so the real host's firewall is never touched: a whole run (nodes,
 * runner, direct reach) is made by a child process that lives in that
 * namespace. A control shows the firewall there really drops bridged frames
 * between namespaces on a bridge in that "host" namespace, which is where
 * every run's bridge used to be.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectInNetns } from '../../lib/native/index.js';
import { expectNoLeaks } from '../helpers/leak-audit.js';

// Not a run's name pattern (pk-<id>-…): the janitor must never take these for a run's.
const scratch = `pakostii-fw-${process.pid}`;
const control = [`${scratch}-a`, `${scratch}-b`];

const ECHO_PORT = 7007;
const ECHO = `require('net').createServer((s) => s.end()).listen(${ECHO_PORT}, '0.0.0.0', () => console.log('ready'))`;
let stopServer: (() => Promise<void>) | undefined;

const sh = (file: string, args: string[]) => execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const inScratch = (...args: string[]) => sh('ip', ['netns', 'exec', scratch, ...args]);

beforeAll(() => {
  sh('ip', ['netns', 'add', scratch]);
  sh('ip', ['-n', scratch, 'link', 'set', 'lo', 'up']);
  inScratch('iptables', '-P', 'FORWARD', 'DROP');
}, 30_000);

afterAll(async () => {
  await stopServer?.();
  for (const ns of [...control, scratch]) {
    try {
      sh('ip', ['netns', 'del', ns]);
    } catch {
      // not created
    }
  }
});

describe('a host whose firewall drops forwarded traffic (br_netfilter + FORWARD DROP)', () => {
  it('the scratch host really filters bridged frames: a bridge of its own drops IPv4 between two namespaces', async () => {
    // Conditions: bridged IPv4 is handed to iptables, whose FORWARD policy is DROP.
    expect(inScratch('cat', '/proc/sys/net/bridge/bridge-nf-call-iptables').trim()).toBe('1');
    expect(inScratch('iptables', '-S', 'FORWARD')).toContain('-P FORWARD DROP');
    sh('ip', ['-n', scratch, 'link', 'add', 'br0', 'type', 'bridge']);
    sh('ip', ['-n', scratch, 'link', 'set', 'br0', 'up']);
    control.forEach((ns, i) => {
      sh('ip', ['netns', 'add', ns]);
      sh('ip', ['-n', scratch, 'link', 'add', `v${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      sh('ip', ['-n', scratch, 'link', 'set', `v${i}`, 'master', 'br0', 'up']);
      sh('ip', ['-n', ns, 'addr', 'add', `192.0.2.${i + 1}/24`, 'dev', 'eth0']);
      sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    });
    const server = spawn('ip', ['netns', 'exec', control[1]!, process.execPath, '-e', ECHO], { stdio: ['ignore', 'pipe', 'inherit'] });
    await once(server.stdout!, 'data');
    const ping = async () => {
      try {
        (await connectInNetns(control[0]!, '192.0.2.2', ECHO_PORT, { timeoutMs: 2_000 })).destroy();
        return 'answered';
      } catch (error) {
        return (error as { code?: string }).code === 'ETIMEDOUT' ? 'dropped' : String(error);
      }
    };
    stopServer = async () => {
      server.kill();
      if (server.exitCode === null) await once(server, 'exit');
    };
    expect(await ping()).toBe('dropped');
    // …and it is the firewall: with the policy ACCEPT the same ping answers.
    inScratch('iptables', '-P', 'FORWARD', 'ACCEPT');
    try {
      expect(await ping()).toBe('answered');
    } finally {
      inScratch('iptables', '-P', 'FORWARD', 'DROP');
    }
  });

  it('a run inside it passes: readiness, runner → node, node → node, host → node (direct reach), a cut still cuts; nothing left behind', async () => {
    const child = fileURLToPath(new URL('./fixtures/host-firewall-run.mts', import.meta.url));
    // nsenter moves only the network namespace: /run/netns and the state dir stay shared with this process.
    const out = sh('nsenter', [`--net=/run/netns/${scratch}`, '--', process.execPath, '--import', 'tsx', child]);
    const result = JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(result, JSON.stringify(result)).toMatchObject({
      passed: true,
      runnerToNode: 'n2',
      nodeToNode: 'n2',
      hostToNode: 'n1',
      nodeToNodeDuringCut: 'blocked',
    });
    // The scratch host's firewall is as the test left it.
    expect(inScratch('iptables', '-S', 'FORWARD')).toContain('-P FORWARD DROP');
    await expectNoLeaks(result.runId as string);
  }, 180_000);
});
