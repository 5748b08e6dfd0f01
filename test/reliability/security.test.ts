/**
 * Security of a run, through the public API on the real kernel and containerd:
 * lib/ starts no process and builds no shell string; files a spec injects are
 * written under the run's own directory and mounted read-only; containers get
 * no admin capabilities; the host's routes, addresses and firewall are the
 * same after a run. (Isolated nodes are reachable from the runner only with
 * withNetworkAccess: test/e2e/isolation.test.ts.)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { spec, Test } from '../../lib/index.js';
import { expectNoLeaks, snapshotHostNetwork } from '../helpers/leak-audit.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const IMAGE = process.env.PAKOSTII_BUSYBOX_IMAGE ?? 'pakostii.local/busybox:latest';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|js|mjs|cjs)$/.test(name) ? [path] : [];
  });
}

/** Capability bits (linux/capability.h) a container must not have by default. */
const ADMIN_CAPS = { CAP_SYS_ADMIN: 21, CAP_NET_ADMIN: 12, CAP_SYS_MODULE: 16, CAP_SYS_PTRACE: 19, CAP_BPF: 39 } as const;

describe('security', () => {
  it('lib/ never starts a process, and nothing passes a shell string to one', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(join(ROOT, 'lib'))) {
      const text = readFileSync(file, 'utf8');
      if (/['"](?:node:)?child_process['"]|\bexecSync\b|\bspawnSync\b/.test(text)) offenders.push(`${relative(ROOT, file)}: child_process`);
    }
    for (const dir of ['lib', 'scripts', 'test', 'bench']) {
      let files: string[];
      try {
        files = sourceFiles(join(ROOT, dir));
      } catch {
        continue;
      }
      for (const file of files) {
        if (/\bshell:\s*true\b/.test(readFileSync(file, 'utf8'))) offenders.push(`${relative(ROOT, file)}: a process started through a shell`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('injected files live under the run’s directory and are read-only; containers are unprivileged; the host is untouched', async () => {
    const hostBefore = await snapshotHostNetwork();
    const cluster = spec.newCluster().addNode(
      spec.newNode('n1').runs(
        spec
          .newContainer('app', IMAGE)
          .withFile('/etc/app/settings.conf', 'mode=safe\n')
          .withCommand(['sleep', '3600']),
      ),
    );
    const logger = pino({ level: process.env.PAKOSTII_TEST_LOG_LEVEL ?? 'warn' }, pino.destination(2));
    const result = await new Test('security', cluster, { logger }).run(async (t) => {
      // Read-only: neither the file nor its content can be changed from inside.
      const touch = await t.exec.inContainer('n1', 'app', 'touch', '/etc/app/settings.conf');
      expect(touch.exitCode).not.toBe(0);
      expect(touch.stderr).toMatch(/read-only/i);
      expect((await t.exec.inContainer('n1', 'app', 'cat', '/etc/app/settings.conf')).stdout).toBe('mode=safe\n');

      // The mount's source is a file of this run's scratch dir, mounted with "ro".
      const mountinfo = (await t.exec.inContainer('n1', 'app', 'cat', '/proc/self/mountinfo')).stdout.split('\n');
      const line = mountinfo.find((l) => l.split(' ')[4] === '/etc/app/settings.conf');
      expect(line, mountinfo.join('\n')).toBeDefined();
      const [, , , source, , options] = line!.split(' ');
      // Scratch lives in the root-only work dir of the state dir: <state>/work/<run id>/.
      expect(source).toMatch(new RegExp(`/work/${t.id}/`));
      expect(options!.split(',')).toContain('ro');

      // Unprivileged: no admin capabilities in the effective set.
      const status = (await t.exec.inContainer('n1', 'app', 'cat', '/proc/self/status')).stdout;
      const capEff = BigInt(`0x${/^CapEff:\s*([0-9a-f]+)$/m.exec(status)![1]}`);
      for (const [name, bit] of Object.entries(ADMIN_CAPS)) expect((capEff >> BigInt(bit)) & 1n, name).toBe(0n);
    });
    await expectNoLeaks(result.id);
    expect(await snapshotHostNetwork()).toEqual(hostBefore);
  }, 120_000);
});
