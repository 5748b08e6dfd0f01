/**
 * `pakostii doctor` run as a child process against this machine's real kernel
 * and containerd: all green here; a missing or bogus containerd socket and
 * dropped capabilities are named with a hint and a non-zero exit status.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDoctor, runCli, type DoctorCheckJson } from './support.js';

const FAULT_CHECKS = ['fault-partition', 'fault-loss', 'fault-bandwidth', 'fault-delay'];
const EXPECTED_CHECKS = ['kernel', 'privileges', 'netns-dir', 'addon', 'bpf-xdp', ...FAULT_CHECKS, 'containerd', 'snapshotter', 'runc', 'host-firewall'];
/** Every fault kind has an engine here (delay: the addon's delay line, as there is no sch_netem). */
const WARN_HERE = new Set<string>();

function byName(checks: DoctorCheckJson[], name: string): DoctorCheckJson {
  const check = checks.find((c) => c.name === name);
  if (!check) throw new Error(`doctor reported no "${name}" check: ${JSON.stringify(checks)}`);
  return check;
}

describe('pakostii doctor on this machine', () => {
  it('reports every check green as JSON and exits 0', async () => {
    const result = await runCli(['doctor', '--json']);
    const report = parseDoctor(result.stdout);
    expect(report.checks.map((c) => c.name)).toEqual(EXPECTED_CHECKS);
    for (const check of report.checks) {
      expect(check, `${check.name}: ${check.detail}`).toMatchObject({ status: WARN_HERE.has(check.name) ? 'warn' : 'ok' });
    }
    expect(byName(report.checks, 'fault-bandwidth').detail).toMatch(/^htb\+cls_bpf: /);
    expect(byName(report.checks, 'fault-delay').detail).toMatch(/^delay-line: .*AF_XDP/);
    expect(report.ok).toBe(true);
    expect(result.code).toBe(0);
    expect(byName(report.checks, 'containerd').detail).toMatch(/^v?1\.\d+\.\d+/);
    expect(byName(report.checks, 'snapshotter').detail).toContain('overlayfs');
    expect(byName(report.checks, 'addon').detail).toMatch(/^(prebuild|built from source): \/.+\.node$/);
  });

  it('removes the throwaway namespace, bridge and veth of the XDP check', async () => {
    const result = await runCli(['doctor', '--json']);
    const detail = byName(parseDoctor(result.stdout).checks, 'bpf-xdp').detail;
    const runId = /run ([a-z]{5})/.exec(detail)?.[1];
    expect(runId, detail).toBeDefined();
    // Observed with iproute2, independently of the library.
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(runId!);
    expect(execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })).not.toContain(runId!);
  });

  it('creates nothing in the host namespace for its XDP check (the host\'s links are not ours)', async () => {
    // Every link event of the host's namespace while doctor runs, observed with iproute2.
    const monitor = spawn('ip', ['-o', 'monitor', 'link'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let events = '';
    monitor.stdout.on('data', (chunk: Buffer) => (events += chunk.toString()));
    await new Promise((resolve) => setTimeout(resolve, 300)); // the monitor is listening
    try {
      const result = await runCli(['doctor', '--json']);
      const detail = byName(parseDoctor(result.stdout).checks, 'bpf-xdp').detail;
      const runId = /run ([a-z]{5})/.exec(detail)?.[1];
      expect(runId, detail).toBeDefined();
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Other runs on this host may make links of their own: only this check's run id counts.
      expect(events.split('\n').filter((line) => line.includes(runId!))).toEqual([]);
    } finally {
      monitor.kill();
    }
  });

  it('prints a table with ✓ per check and a closing verdict', async () => {
    const result = await runCli(['doctor']);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^CHECK\s+STATUS\s+DETAIL\s+FIX$/);
    for (const name of EXPECTED_CHECKS) expect(lines.find((l) => l.startsWith(`${name} `))).toMatch(WARN_HERE.has(name) ? /\s!\s/ : /\s✓\s/);
    expect(result.stdout).toContain('All required checks passed');
  });
});

describe('pakostii doctor when something is missing', () => {
  let dir: string;
  let bogus: Server;
  let bogusSocket: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pakostii-doctor-'));
    // A unix socket that accepts and hangs up: exists, but is not containerd.
    bogusSocket = join(dir, 'not-containerd.sock');
    bogus = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => bogus.listen(bogusSocket, resolve));
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => bogus.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('names the containerd check with a hint and exits 1 when the socket does not exist (--containerd-socket)', async () => {
    const result = await runCli(['doctor', '--containerd-socket', '/nonexistent.sock']);
    expect(result.code).toBe(1);
    const row = result.stdout.split('\n').find((l) => l.startsWith('containerd '));
    expect(row).toMatch(/\s✗\s+no socket at \/nonexistent\.sock\s+.*start-containerd\.sh/);
    expect(result.stdout).toMatch(/check\(s\) failed: containerd, snapshotter\./);
  });

  it('reads the socket from PAKOSTII_CONTAINERD_SOCKET and keeps the other checks green', async () => {
    const result = await runCli(['doctor', '--json'], { env: { ...process.env, PAKOSTII_CONTAINERD_SOCKET: '/nonexistent.sock' } });
    expect(result.code).toBe(1);
    const report = parseDoctor(result.stdout);
    expect(report.ok).toBe(false);
    expect(byName(report.checks, 'containerd')).toMatchObject({ status: 'fail', required: true });
    expect(byName(report.checks, 'containerd').hint).toMatch(/start-containerd\.sh/);
    for (const name of ['kernel', 'privileges', 'addon', 'bpf-xdp', 'runc']) expect(byName(report.checks, name).status).toBe('ok');
  });

  it('fails the containerd check (not hang) when the socket answers but is not containerd', async () => {
    const started = Date.now();
    const result = await runCli(['doctor', '--json', '--containerd-socket', bogusSocket]);
    expect(result.code).toBe(1);
    const check = byName(parseDoctor(result.stdout).checks, 'containerd');
    expect(check.status).toBe('fail');
    expect(check.detail).toContain(bogusSocket);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('names the missing capabilities when run without CAP_BPF/CAP_NET_ADMIN (setpriv), and the XDP check fails too', async () => {
    const result = await runCli(['doctor', '--json'], {
      wrapper: ['setpriv', '--inh-caps=-all', '--bounding-set=-net_admin,-bpf'],
    });
    expect(result.code).toBe(1);
    const report = parseDoctor(result.stdout);
    const privileges = byName(report.checks, 'privileges');
    expect(privileges.status).toBe('fail');
    expect(privileges.detail).toContain('missing CAP_NET_ADMIN, CAP_BPF');
    expect(privileges.hint).toMatch(/root|CAP_/);
    expect(byName(report.checks, 'bpf-xdp').status).toBe('fail');
    expect(byName(report.checks, 'kernel').status).toBe('ok');
  });
});
