/**
 * What other ways of injecting the same fault cost, one operation each, on
 * this machine, in the same bench run (median of several samples):
 *  - iptables -A/-D of a DROP rule through `ip netns exec` (exec-based injectors),
 *  - `ip link set … xdpgeneric obj … sec xdp` / `xdpgeneric off` (exec + load per fault),
 *  - load + attach a fresh XDP program in-process per fault, detach + unload on
 *    heal (the Go pakostii design),
 *  - one raw bpf(BPF_MAP_UPDATE_ELEM) on an ARRAY map from C: the floor of
 *    any syscall-based map toggle.
 */
import { existsSync } from 'node:fs';
import * as native from '../lib/native/index.js';
import { FAULT_BPF_OBJECT, type HelperPaths } from './helpers.js';
import { run, timedExec } from './exec.js';
import { createScratchNetns, deleteScratchNetns } from './scratch.js';
import { median, round } from './stats.js';

export interface BaselineResults {
  iptables_exec_us: number;
  iptables_delete_exec_us: number;
  ip_xdp_exec_us: number;
  ip_xdp_off_exec_us: number;
  /** Through the native addon: FaultEngine.load + attach per fault, detach + close per heal. */
  load_attach_inprocess_us: number;
  detach_unload_inprocess_us: number;
  load_attach_source: 'addon';
  /** The libbpf C helper's figures (same design, no JS in the loop). */
  load_attach_c_us: number;
  detach_unload_c_us: number;
  map_update_c_us: number;
  /** Which XDP object the exec/in-process baselines loaded. */
  xdp_object: string;
  samples: number;
}

export async function runBaselines(runId: string, helpers: HelperPaths, samples = 15): Promise<BaselineResults> {
  // The real fault program when the native build produced it (what a per-fault loader
  // would load); otherwise a trivial one, which only makes the baseline cheaper.
  const object = existsSync(FAULT_BPF_OBJECT) ? FAULT_BPF_OBJECT : helpers.xdpPassObject;
  const scratch = await createScratchNetns(runId, 'baseline');
  try {
    const iptablesAdd: number[] = [];
    const iptablesDel: number[] = [];
    const rule = ['INPUT', '-s', scratch.peerAddress, '-j', 'DROP'];
    const iptables = ['ip', 'netns', 'exec', scratch.netns, 'iptables', '-w'];
    await run([...iptables, '-A', ...rule]); // warm-up: loads the nf_tables table in the namespace
    await run([...iptables, '-D', ...rule]);
    for (let i = 0; i < samples; i++) {
      iptablesAdd.push(await timedExec([...iptables, '-A', ...rule]));
      iptablesDel.push(await timedExec([...iptables, '-D', ...rule]));
    }

    const xdpOn: number[] = [];
    const xdpOff: number[] = [];
    const link = ['ip', '-n', scratch.netns, 'link', 'set', 'dev', scratch.ifname];
    for (let i = 0; i < samples; i++) {
      xdpOn.push(await timedExec([...link, 'xdpgeneric', 'obj', object, 'sec', 'xdp']));
      xdpOff.push(await timedExec([...link, 'xdpgeneric', 'off']));
    }

    const inProcess = JSON.parse(
      (await run(['ip', 'netns', 'exec', scratch.netns, helpers.xdpLoadAttach, object, scratch.ifname, String(samples + 1)])).stdout,
    ) as { apply_us: number[]; heal_us: number[] };
    const addon = await addonLoadAttach(scratch.netns, scratch.ifname, samples);
    const mapUpdate = JSON.parse((await run([helpers.mapUpdate, '7', '100000'])).stdout) as { ns_per_op: number[] };

    return {
      iptables_exec_us: round(median(iptablesAdd)),
      iptables_delete_exec_us: round(median(iptablesDel)),
      ip_xdp_exec_us: round(median(xdpOn)),
      ip_xdp_off_exec_us: round(median(xdpOff)),
      load_attach_inprocess_us: round(median(addon.apply)),
      detach_unload_inprocess_us: round(median(addon.heal)),
      load_attach_source: 'addon',
      // The first C sample pays libbpf's one-time feature probes: dropped.
      load_attach_c_us: round(median(inProcess.apply_us.slice(1))),
      detach_unload_c_us: round(median(inProcess.heal_us.slice(1))),
      map_update_c_us: round(median(mapUpdate.ns_per_op) / 1000),
      xdp_object: object,
      samples,
    };
  } finally {
    await deleteScratchNetns(scratch.netns);
  }
}

/**
 * The Go design through our own addon: per fault a fresh FaultEngine (load =
 * open + verify), attached to the interface; heal = detach + close.
 */
async function addonLoadAttach(netns: string, ifname: string, samples: number): Promise<{ apply: number[]; heal: number[] }> {
  const apply: number[] = [];
  const heal: number[] = [];
  for (let i = 0; i <= samples; i++) {
    const t0 = process.hrtime.bigint();
    const engine = await native.FaultEngine.load({ maxNodes: 4 });
    try {
      await engine.attach(netns, ifname);
      const t1 = process.hrtime.bigint();
      await engine.detach(netns, ifname);
      engine.close();
      const t2 = process.hrtime.bigint();
      if (i > 0) {
        // The first sample loads the addon itself: dropped.
        apply.push(Number(t1 - t0) / 1000);
        heal.push(Number(t2 - t1) / 1000);
      }
    } finally {
      engine.close(); // idempotent; frees the program if attach/detach threw
    }
  }
  return { apply, heal };
}
