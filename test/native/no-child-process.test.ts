/**
 * Design rule 2: nothing in lib/ starts a child process. The kernel is driven by
 * the addon (netlink, setns, libbpf) and containerd by gRPC, never by `ip`,
 * `iptables`, `nft`, `tc`, `bpftool`, `ctr`, `runc` or a shell: without
 * child_process (checked below) Node has no way to start one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LIB = join(ROOT, 'lib');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|cts|js|mjs|cjs)$/.test(entry.name) ? [path] : [];
  });
}

/** Code without comments, so documentation may name the tools it does not use. */
function code(path: string): string {
  return readFileSync(path, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`\\])\/\/[^\n]*/g, '$1');
}

const files = sourceFiles(LIB);

describe('lib/ never spawns a process', () => {
  it('has sources to check', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it('no module imports child_process (or reaches it through process.binding)', () => {
    const offenders = files.filter((f) => /child_process|process\.binding\(\s*['"]spawn_sync/.test(code(f)));
    expect(offenders.map((f) => relative(ROOT, f))).toEqual([]);
  });

  it('no worker evaluates code the scan cannot see', () => {
    // An eval'd worker could hide a spawn in a computed string. The one allowed
    // is the checker's source-checkout boot: a constant that registers tsx and
    // imports ./partition-worker.ts, which this scan reads like any other file.
    const allowedBoot = /const boot = `import\('tsx\/esm\/api'\)\.then\(\(tsx\) => \{ tsx\.register\(\); return import\(\$\{JSON\.stringify\(entry\)\}\); \}\);`;/;
    const offenders = files.filter((f) => {
      const source = code(f);
      if (!/['"]node:worker_threads['"][\s\S]*eval:\s*true/.test(source)) return false;
      return !(relative(ROOT, f) === join('lib', 'checker', 'workers.ts') && allowedBoot.test(source));
    });
    expect(offenders.map((f) => relative(ROOT, f))).toEqual([]);
  });

  it('no argv naming a host network or container tool (which could only be meant for a spawn)', () => {
    // `'ip', [...]`, `"bpftool", [` … Commands run INSIDE containers go through
    // containerd's exec API (lib/containerd) and never name these tools.
    const toolArgv = /['"`](?:\/usr\/s?bin\/)?(ip|iptables|ip6tables|nft|tc|bpftool|ctr|runc)['"`]\s*,\s*\[/;
    const offenders = files.flatMap((f) =>
      code(f)
        .split('\n')
        .filter((line) => toolArgv.test(line))
        .map((line) => `${relative(ROOT, f)}: ${line.trim()}`),
    );
    expect(offenders).toEqual([]);
  });
});
