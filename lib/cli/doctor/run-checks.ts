/** Runs every doctor check in an order where later checks can rely on earlier ones. */
import type { CheckResult } from './check.js';
import { checkContainerd } from './containerd-checks.js';
import { checkFaultEngines } from './fault-engine-checks.js';
import { checkAddon, checkBpfXdp } from './native-checks.js';
import { checkHostFirewall, checkKernel, checkNetnsDir, checkPrivileges, checkRunc } from './system-checks.js';

export interface DoctorOptions {
  containerdSocket: string;
  namespace: string;
}

export interface DoctorReport {
  /** False when a required check failed: a run would not work on this machine. */
  ok: boolean;
  checks: CheckResult[];
}

export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const checks: CheckResult[] = [checkKernel(), checkPrivileges(), checkNetnsDir()];
  const addon = checkAddon();
  checks.push(addon, await checkBpfXdp(addon));
  checks.push(...(await checkFaultEngines(addon)));
  checks.push(...(await checkContainerd(options.containerdSocket, options.namespace)));
  checks.push(checkRunc(), checkHostFirewall());
  return { ok: checks.every((c) => c.status !== 'fail' || !c.required), checks };
}
