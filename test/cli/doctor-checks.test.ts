/** Pure logic of the doctor's system checks (parsing and lookups; the live checks are in doctor.test.ts). */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkHostFirewall, checkKernel, checkPrivileges, findExecutable, missingCapabilities, parseKernelRelease } from '../../lib/cli/doctor/system-checks.js';

describe('kernel check', () => {
  it('parses distribution release strings', () => {
    expect(parseKernelRelease('6.18.0-1-cloud-amd64')).toEqual([6, 18]);
    expect(parseKernelRelease('5.10.0-28-amd64')).toEqual([5, 10]);
    expect(parseKernelRelease('garbage')).toBeUndefined();
  });

  it('needs 5.9 or newer', () => {
    expect(checkKernel('5.8.18').status).toBe('fail');
    expect(checkKernel('5.8.18').hint).toMatch(/5\.9/);
    expect(checkKernel('5.9.0').status).toBe('ok');
    expect(checkKernel('4.19.0').status).toBe('fail');
    expect(checkKernel('6.1.0-18-amd64').status).toBe('ok');
  });
});

describe('privileges check', () => {
  it('reads CAP_NET_ADMIN (12), CAP_SYS_ADMIN (21) and CAP_BPF (39) from CapEff', () => {
    expect(missingCapabilities('000001ffffffffff')).toEqual([]);
    expect(missingCapabilities('0000000000000000')).toEqual(['CAP_NET_ADMIN', 'CAP_SYS_ADMIN', 'CAP_BPF']);
    expect(missingCapabilities((1n << 12n | 1n << 21n).toString(16))).toEqual(['CAP_BPF']);
    expect(missingCapabilities((1n << 39n).toString(16))).toEqual(['CAP_NET_ADMIN', 'CAP_SYS_ADMIN']);
  });

  it('fails with a hint naming what is missing', () => {
    const result = checkPrivileges('Name:\tnode\nCapEff:\t0000000000001000\n');
    expect(result.status).toBe('fail');
    expect(result.detail).toContain('missing CAP_SYS_ADMIN, CAP_BPF');
    expect(result.hint).toMatch(/sudo/);
    expect(checkPrivileges('CapEff:\t000001ffffffffff\n').status).toBe('ok');
  });
});

describe('PATH lookup without spawning', () => {
  it('finds an executable file and skips non-executable ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pakostii-path-'));
    try {
      writeFileSync(join(dir, 'tool-x'), '#!/bin/sh\n');
      chmodSync(join(dir, 'tool-x'), 0o755);
      writeFileSync(join(dir, 'tool-noexec'), '');
      chmodSync(join(dir, 'tool-noexec'), 0o644);
      expect(findExecutable('tool-x', dir)).toBe(join(dir, 'tool-x'));
      // root passes access(X_OK) only when some execute bit is set.
      expect(findExecutable('tool-noexec', dir)).toBeUndefined();
      expect(findExecutable('sh', dir)).toMatch(/\/sh$/); // falls back to the system dirs
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('host firewall check', () => {
  it('says what br_netfilter means for runs (nothing: their bridges are in namespaces of their own), never a failure', () => {
    const off = checkHostFirewall(() => undefined);
    expect(off).toMatchObject({ name: 'host-firewall', status: 'ok' });
    expect(off.detail).toMatch(/br_netfilter is off/);
    const on = checkHostFirewall((path) => (path.endsWith('arptables') ? '0' : '1'));
    expect(on.status).toBe('ok');
    expect(on.detail).toMatch(/bridge-nf-call-iptables, bridge-nf-call-ip6tables = 1/);
    expect(on.detail).toMatch(/FORWARD.*DROP on Docker hosts.*Runs are unaffected/);
  });
});
