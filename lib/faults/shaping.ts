/**
 * Latency, jitter and bandwidth limits. XDP can drop a packet but cannot hold
 * it back, so these would need a qdisc (sch_netem for delay/jitter, sch_fq or
 * sch_tbf pacing for bandwidth) on each node's veth. The kernel of this host
 * ships without them, so the faults exist in the API, are checked up front and
 * fail with NotSupportedError naming the missing module — never silently
 * becoming a no-op that would make a test pass for the wrong reason.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { release } from 'node:os';
import { NotSupportedError, SpecError } from '../errors.js';
import type { ClusterPlan } from '../spec/plan.js';
import type { NodeSelector } from './node-groups.js';
import { resolveGroup } from './node-groups.js';

export interface DelayOptions {
  from: NodeSelector;
  to: NodeSelector;
  /** Added one-way latency. */
  ms: number;
  /** Random variation around ms. */
  jitterMs?: number;
}

export interface BandwidthOptions {
  from: NodeSelector;
  to: NodeSelector;
  /** Rate limit in kbit/s. */
  kbit: number;
}

/** Where a qdisc module can come from: loaded, built in, or installable from /lib/modules. */
export function kernelHasModule(module: string, kernelRelease: string = release()): boolean {
  try {
    if (readFileSync('/proc/modules', 'utf8').split('\n').some((line) => line.startsWith(`${module} `))) return true;
  } catch {
    // no /proc/modules (kernel without module support): look further
  }
  if (existsSync(join('/sys/module', module))) return true;
  try {
    if (readFileSync(join('/lib/modules', kernelRelease, 'modules.builtin'), 'utf8').includes(`/${module}.ko`)) return true;
  } catch {
    // no modules.builtin
  }
  return findModuleFile(join('/lib/modules', kernelRelease, 'kernel', 'net', 'sched'), module);
}

function findModuleFile(dir: string, module: string): boolean {
  try {
    return readdirSync(dir).some((file) => file.startsWith(`${module}.ko`));
  } catch {
    return false;
  }
}

function notSupported(what: string, module: string): NotSupportedError {
  const hasModule = kernelHasModule(module);
  const reason = hasModule
    ? `pakostii does not drive ${module} yet (faults are XDP programs, which can drop packets but not delay them)`
    : `not supported by this kernel: needs ${module} (kernel ${release()} has no ${module} module)`;
  return new NotSupportedError(`${what}: ${reason}`, {
    hint: hasModule
      ? 'use t.network.loss() or partitions; delay/bandwidth faults are planned'
      : `use a kernel built with CONFIG_NET_SCH_${module.slice(4).toUpperCase()} (check \`modprobe ${module}\`), or simulate slowness with t.network.loss() / t.containers.pause()`,
  });
}

function checkEnds(plan: ClusterPlan, options: { from: NodeSelector; to: NodeSelector } | undefined, where: string): void {
  if (typeof options !== 'object' || options === null) throw new SpecError(`${where}: options are missing`, { hint: 'give { from, to, … }' });
  resolveGroup(plan, options.from, 'from', where);
  resolveGroup(plan, options.to, 'to', where);
}

/** t.network.delay(): always throws — SpecError for bad arguments, else NotSupportedError. */
export function rejectDelay(plan: ClusterPlan, name: string, options: DelayOptions): never {
  const where = `delay(${JSON.stringify(name)})`;
  checkEnds(plan, options, where);
  throw notSupported(where, 'sch_netem');
}

/** t.network.bandwidth(): always throws — SpecError for bad arguments, else NotSupportedError. */
export function rejectBandwidth(plan: ClusterPlan, name: string, options: BandwidthOptions): never {
  const where = `bandwidth(${JSON.stringify(name)})`;
  checkEnds(plan, options, where);
  throw notSupported(where, 'sch_netem');
}
