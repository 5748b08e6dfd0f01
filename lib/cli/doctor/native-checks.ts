/**
 * Checks through the native addon: that it loads (and from where), and that
 * this kernel lets us load the run's XDP program and attach it to a veth in a
 * namespace — the same path a run takes (a bridge in a switch namespace,
 * provisionNodeLink with an engine), on throwaway objects named like a run's so
 * the janitor would find any leftover. Nothing is created in the host's
 * namespace: the host's links are not ours to touch, even for a moment.
 */
import * as native from '../../native/index.js';
import { names, newRunId } from '../../host/names.js';
import { fail, firstLine, ok, type CheckResult } from './check.js';

export function checkAddon(): CheckResult {
  try {
    const info = native.addonInfo();
    return ok('addon', `${info.source === 'prebuild' ? 'prebuild' : 'built from source'}: ${info.path}`);
  } catch (error) {
    return fail(
      'addon',
      `native addon does not load: ${firstLine(error)}`,
      'in a checkout: npm run build:native (or sudo bash scripts/setup.sh); installed package: reinstall pakostii on linux-x64',
    );
  }
}

/** Address of the throwaway node: inside its own namespace, behind a bridge without a host address. */
const PROBE_CIDR = '192.0.2.2/24';

export async function checkBpfXdp(addon: CheckResult): Promise<CheckResult> {
  if (addon.status !== 'ok') return fail('bpf-xdp', 'skipped: the native addon does not load', 'fix the addon check first');
  const runId = newRunId();
  const netns = names.nodeNetns(runId, 'doctor');
  const switchNetns = names.switchNetns(runId);
  const bridge = names.bridge(runId);
  const hostVeth = names.hostVeth(runId, 1);
  const started = performance.now();
  let engine: native.FaultEngine | undefined;
  let stage = 'load the XDP program (bpf syscall)';
  const cleanup: Array<() => Promise<void>> = [];
  try {
    engine = await native.FaultEngine.load({ maxNodes: 2 });
    stage = 'create a network namespace';
    await native.createNetns(switchNetns);
    cleanup.push(() => native.deleteNetns(switchNetns));
    await native.createNetns(netns);
    cleanup.push(() => native.deleteNetns(netns));
    stage = 'create a bridge';
    await native.createBridge(bridge, switchNetns);
    stage = 'create a veth pair and attach XDP inside the namespace';
    await native.provisionNodeLink({
      netns,
      bridge,
      bridgeNetns: switchNetns,
      hostVeth,
      ifname: names.nodeIf,
      cidr: PROBE_CIDR,
      engine,
    });
    stage = 'write the policy maps';
    engine.commit(new native.PolicyMatrix(engine.maxNodes));
    const ms = (performance.now() - started).toFixed(1);
    return ok('bpf-xdp', `XDP program loaded and attached on a throwaway veth in ${ms} ms (objects of run ${runId}, removed)`);
  } catch (error) {
    return fail(
      'bpf-xdp',
      `could not ${stage}: ${firstLine(error)}`,
      'needs root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN), a kernel with BPF/XDP, and a writable /run/netns; ' +
        'leftovers: pakostii cleanup',
    );
  } finally {
    // Reverse order: the node's namespace (takes the veth pair along), then the switch's (and its bridge).
    for (const undo of cleanup.reverse()) await undo().catch(() => undefined);
    engine?.close();
  }
}
