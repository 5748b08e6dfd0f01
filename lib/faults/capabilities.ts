/**
 * Which engine carries each network fault kind on this machine, from the
 * kernel probe of the run (lib/native/shape-engine.ts, probeTrafficControl).
 * A kind without an engine names the kernel feature it misses; defining such a
 * fault throws NotSupportedError with that text — never a silent no-op.
 */
import { NotSupportedError } from '../errors.js';

/** What the kernel offers (the probe's answer). */
export interface KernelTrafficSupport {
  htb: boolean;
  tbf: boolean;
  netem: boolean;
  clsBpf: boolean;
  afXdp: boolean;
}

export type FaultKindName = 'partition' | 'loss' | 'bandwidth' | 'delay';

export interface FaultCapability {
  /** The fault kind ("partition" stands for every partition.* topology). */
  readonly kind: FaultKindName;
  /** The engine used here, or null when none can carry it on this kernel. */
  readonly engine: 'xdp' | 'htb+cls_bpf' | 'netem' | 'delay-line' | null;
  /** What the engine is, or what is missing. */
  readonly detail: string;
  /** Kernel features missing for the kind (empty when supported). */
  readonly missing: readonly string[];
}

export function faultCapabilities(kernel: KernelTrafficSupport | undefined): FaultCapability[] {
  const k = kernel ?? { htb: false, tbf: false, netem: false, clsBpf: false, afXdp: false };
  const shapingMissing = [...(k.htb ? [] : ['sch_htb (CONFIG_NET_SCH_HTB)']), ...(k.clsBpf ? [] : ['cls_bpf (CONFIG_NET_CLS_BPF)'])];
  const caps: FaultCapability[] = [
    { kind: 'partition', engine: 'xdp', detail: 'XDP program, drop matrix (map write)', missing: [] },
    { kind: 'loss', engine: 'xdp', detail: 'XDP program, per-pair loss thresholds (map write)', missing: [] },
    shapingMissing.length === 0
      ? { kind: 'bandwidth', engine: 'htb+cls_bpf', detail: 'HTB class per pair on the destination link, picked by a cls_bpf map', missing: [] }
      : { kind: 'bandwidth', engine: null, detail: `needs ${shapingMissing.join(' and ')}`, missing: shapingMissing },
  ];
  // netem where the kernel has it; else the addon's delay line, which needs AF_XDP sockets only.
  const netemMissing = [...(k.netem ? [] : ['sch_netem (CONFIG_NET_SCH_NETEM)']), ...shapingMissing];
  if (netemMissing.length === 0) {
    caps.push({ kind: 'delay', engine: 'netem', detail: 'netem leaf of an HTB class per pair, picked by a cls_bpf map', missing: [] });
  } else if (k.afXdp) {
    caps.push({
      kind: 'delay',
      engine: 'delay-line',
      detail: `the addon's delay line: XDP sends delayed pairs' frames to AF_XDP sockets, a native thread sends them on when due (no ${netemMissing.join(' or ')} needed)`,
      missing: [],
    });
  } else {
    const missing = [...netemMissing, 'AF_XDP sockets (CONFIG_XDP_SOCKETS) for the delay line'];
    caps.push({ kind: 'delay', engine: null, detail: `needs ${netemMissing.join(' and ')}, or AF_XDP sockets (CONFIG_XDP_SOCKETS) for the addon's delay line`, missing });
  }
  return caps;
}

/** Throws NotSupportedError when no engine carries `kind` here. */
export function requireEngine(kernel: KernelTrafficSupport | undefined, kind: FaultKindName, where: string): FaultCapability {
  const cap = faultCapabilities(kernel).find((c) => c.kind === kind)!;
  if (cap.engine === null) {
    throw new NotSupportedError(`${where}: not supported by this kernel: ${cap.detail}`, {
      hint: kernel === undefined
        ? 'the kernel was not probed for traffic control (a test handle built by hand?)'
        : `use a kernel with ${cap.missing.join(' and ')} (\`pakostii doctor\` shows what each fault kind uses), or simulate slowness with t.network.loss() / t.containers.pause()`,
    });
  }
  return cap;
}
