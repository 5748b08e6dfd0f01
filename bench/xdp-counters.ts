/**
 * Reads the fault program's per-destination counters from outside the
 * library, as an observer: the XDP program attached to a node's eth0
 * (`ip -j link`), its `pk_counters` map (`bpftool prog show`), one lookup of
 * the node's index (`bpftool map lookup`), summed over CPUs. The public API
 * does not expose the engine, and the bench may use tools to observe.
 */
import { run } from './exec.js';

export interface DstCounters {
  passed: number;
  dropped: number;
}

/** Id of the pk_counters map of the XDP program on `ifname` in `netns`. */
export async function findCountersMap(netns: string, ifname = 'eth0'): Promise<number> {
  const links = JSON.parse((await run(['ip', '-n', netns, '-j', '-d', 'link', 'show', 'dev', ifname])).stdout) as Array<{
    xdp?: { prog?: { id?: number }; attached?: Array<{ prog?: { id?: number } }> };
  }>;
  const xdp = links[0]?.xdp;
  const progId = xdp?.prog?.id ?? xdp?.attached?.[0]?.prog?.id;
  if (progId === undefined) throw new Error(`no XDP program on ${ifname} in namespace ${netns}`);
  const prog = JSON.parse((await run(['bpftool', '-j', 'prog', 'show', 'id', String(progId)])).stdout) as { map_ids?: number[] };
  for (const mapId of prog.map_ids ?? []) {
    const map = JSON.parse((await run(['bpftool', '-j', 'map', 'show', 'id', String(mapId)])).stdout) as { name?: string };
    if (map.name === 'pk_counters') return mapId;
  }
  throw new Error(`XDP program ${progId} on ${ifname} in ${netns} has no pk_counters map`);
}

type Value = { passed: number | string; dropped: number | string } | string[];

function decode(value: Value): DstCounters {
  if (Array.isArray(value)) {
    // No BTF: 16 raw bytes, two little-endian u64.
    const bytes = Buffer.from(value.map((b) => Number.parseInt(b, 16)));
    return { passed: Number(bytes.readBigUInt64LE(0)), dropped: Number(bytes.readBigUInt64LE(8)) };
  }
  return { passed: Number(value.passed), dropped: Number(value.dropped) };
}

/** Counters of destination node `index`, summed over CPUs. */
export async function readDstCounters(mapId: number, index: number): Promise<DstCounters> {
  const key = [0, 8, 16, 24].map((shift) => String((index >>> shift) & 0xff));
  const out = JSON.parse((await run(['bpftool', '-j', 'map', 'lookup', 'id', String(mapId), 'key', ...key])).stdout) as {
    values?: Array<{ value: Value }>;
    formatted?: { values?: Array<{ value: Value }> };
  };
  const values = out.formatted?.values ?? out.values ?? [];
  const total = { passed: 0, dropped: 0 };
  for (const { value } of values) {
    const v = decode(value);
    total.passed += v.passed;
    total.dropped += v.dropped;
  }
  return total;
}
