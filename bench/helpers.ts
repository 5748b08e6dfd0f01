/**
 * The bench's C helpers (bench/c/), compiled on demand with the system's cc
 * and clang into build/bench/ (git-ignored). Recompiled only when the source
 * is newer than the binary.
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './exec.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCES = join(ROOT, 'bench', 'c');
export const BUILD_DIR = join(ROOT, 'build', 'bench');

/** The XDP program the native build compiles; preferred by the exec/load baselines when present. */
export const FAULT_BPF_OBJECT = join(ROOT, 'build', 'bpf', 'fault.bpf.o');

export interface HelperPaths {
  mapUpdate: string;
  udpSend: string;
  udpRecv: string;
  /** Paced UDP flood at a fixed rate (delay-line throughput). */
  udpFlood: string;
  /** Round trips at a steady rate (delay-line accuracy under load), and its echo. */
  udpRtt: string;
  /** The same with ICMP echoes answered by the destination's kernel, timed by kernel stamps. */
  icmpRtt: string;
  xdpLoadAttach: string;
  /** Trivial XDP object (always built). */
  xdpPassObject: string;
}

/** Whether `output` is missing or older than `source` or any header of bench/c/ (which every helper may include). */
function stale(output: string, source: string): boolean {
  if (!existsSync(output)) return true;
  const headers = readdirSync(SOURCES).filter((f) => f.endsWith('.h')).map((f) => join(SOURCES, f));
  const newest = Math.max(...[source, ...headers].map((f) => statSync(f).mtimeMs));
  return statSync(output).mtimeMs < newest;
}

async function compileC(name: string, libs: string[] = []): Promise<string> {
  const source = join(SOURCES, `${name}.c`);
  const output = join(BUILD_DIR, name);
  if (stale(output, source)) await run(['cc', '-O2', '-Wall', '-o', output, source, ...libs]);
  return output;
}

async function compileBpf(name: string): Promise<string> {
  const source = join(SOURCES, `${name}.bpf.c`);
  const output = join(BUILD_DIR, `${name}.bpf.o`);
  // -I for asm/types.h on Debian's multiarch layout (see platform findings).
  if (stale(output, source)) {
    await run(['clang', '-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c', source, '-o', output]);
  }
  return output;
}

export async function buildHelpers(): Promise<HelperPaths> {
  mkdirSync(BUILD_DIR, { recursive: true });
  const [mapUpdate, udpSend, udpRecv, udpFlood, udpRtt, icmpRtt, xdpLoadAttach, xdpPassObject] = await Promise.all([
    compileC('map_update'),
    compileC('udp_send'),
    compileC('udp_recv'),
    compileC('udp_flood'),
    compileC('udp_rtt', ['-lpthread']),
    compileC('icmp_rtt', ['-lpthread']),
    compileC('xdp_load_attach', ['-lbpf']),
    compileBpf('xdp_pass'),
  ]);
  return { mapUpdate, udpSend, udpRecv, udpFlood, udpRtt, icmpRtt, xdpLoadAttach, xdpPassObject };
}
