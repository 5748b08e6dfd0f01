/**
 * Which engine carries each network fault kind on this machine (the same probe
 * a run makes, in a throwaway namespace): one row per kind. Kinds without an
 * engine are warnings, not failures — a run works, only those faults throw
 * NotSupportedError naming the missing kernel feature.
 */
import { faultCapabilities } from '../../faults/capabilities.js';
import * as native from '../../native/index.js';
import { firstLine, ok, warn, type CheckResult } from './check.js';

export async function checkFaultEngines(addon: CheckResult): Promise<CheckResult[]> {
  if (addon.status !== 'ok') return [warn('fault-engines', 'skipped: the native addon does not load', 'fix the addon check first')];
  let support: native.TrafficControlSupport;
  try {
    support = await native.probeTrafficControl();
  } catch (error) {
    return [warn('fault-engines', `traffic-control probe failed: ${firstLine(error)}`, 'needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN)')];
  }
  return faultCapabilities(support).map((cap) =>
    cap.engine !== null
      ? ok(`fault-${cap.kind}`, `${cap.engine}: ${cap.detail}`)
      : warn(
          `fault-${cap.kind}`,
          `not supported here: ${cap.detail}`,
          `t.network.${cap.kind}() throws NotSupportedError on this kernel; a kernel with ${cap.missing.join(' and ')} enables it`,
        ),
  );
}
