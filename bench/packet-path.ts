/**
 * The packet path: what the fault program costs per packet, measured with
 * BPF_PROG_TEST_RUN (the kernel's own average over `repeat` runs of one frame,
 * on a pool thread of the addon). Three frames against a 100-node engine: a
 * judged packet between two nodes with no fault, one of a cut pair (dropped),
 * and one to an address of no node (passes unjudged). Median of several rounds.
 */
import { FaultEngine } from '../lib/native/fault-engine.js';
import { median, round } from './stats.js';

export interface PacketPathResult {
  /** ns per run, median over rounds: node → node, no fault (judged, passes). */
  judged_pass_ns: number;
  /** node → node across a cut (judged, dropped). */
  judged_drop_ns: number;
  /** to an address of no node (passes unjudged). */
  outside_ns: number;
  repeat: number;
  rounds: number;
}

function ipv4Frame(src: string, dst: string): Uint8Array {
  const bytes = (ip: string) => ip.split('.').map(Number);
  const ip = [0x45, 0, 0, 32, 0, 1, 0x40, 0, 64, 17, 0, 0, ...bytes(src), ...bytes(dst)];
  const udp = [0x30, 0x39, 0x30, 0x39, 0, 12, 0, 0, 0xde, 0xad, 0xbe, 0xef];
  const eth = [0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00];
  return Uint8Array.from([...eth, ...ip, ...udp]);
}

export async function runPacketPath(options: { repeat: number; rounds: number }): Promise<PacketPathResult> {
  const nodes = 100;
  const engine = await FaultEngine.load({ maxNodes: nodes + 1 });
  try {
    const address = (i: number) => `198.51.${Math.floor(i / 250)}.${(i % 250) + 1}`;
    for (let i = 0; i <= nodes; i++) engine.setNodeAddress(address(i), i);
    const policy = engine.createPolicy();
    policy.cut(3, 4);
    engine.commit(policy);
    const measure = async (frame: Uint8Array): Promise<number> => {
      const samples: number[] = [];
      for (let r = 0; r < options.rounds; r++) samples.push((await engine.testRunRepeat(frame, options.repeat)).durationNs);
      return round(median(samples));
    };
    return {
      judged_pass_ns: await measure(ipv4Frame(address(1), address(2))),
      judged_drop_ns: await measure(ipv4Frame(address(3), address(4))),
      outside_ns: await measure(ipv4Frame(address(1), '192.0.2.1')),
      repeat: options.repeat,
      rounds: options.rounds,
    };
  } finally {
    engine.close();
  }
}
