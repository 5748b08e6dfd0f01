/**
 * Atomicity of apply()/heal() on real traffic (method: bench/README.md).
 * A 3-node network-only cluster, one node per AZ; isolateAZ(az1) cuts n1 (A)
 * from n2 (B). A paced UDP sender in A's namespace stamps each datagram with
 * its sequence number and send time; a receiver in B's namespace logs what
 * arrives. Meanwhile the bench runs `cycles` apply/heal cycles, holding each
 * state for `holdUs`, and records the four timestamps of every cycle.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test } from '../lib/index.js';
import { names } from '../lib/host/names.js';
import { classify, type Classification, type SentPacket, type Timeline } from './atomicity-analysis.js';
import { BENCH_ARTIFACTS, networkOnlyCluster, quietLogger } from './clusters.js';
import { Helper } from './exec.js';
import type { HelperPaths } from './helpers.js';
import { findCountersMap, readDstCounters } from './xdp-counters.js';

export interface AtomicityOptions {
  cycles: number;
  /** How long each state (cut, open) is held, in µs. */
  holdUs: number;
  /** Sender pacing: pause between datagrams, in µs. */
  intervalUs: number;
}

export interface AtomicityResult extends Classification {
  cycles: number;
  hold_us: number;
  interval_us: number;
  packets_sent: number;
  packets_received: number;
  /** Dropped by the XDP filter at B's ingress (engine counter delta). */
  filter_drops: number;
  /** Dropped by B's full socket buffer (SO_RXQ_OVFL). */
  socket_drops: number;
  /** sent - received - filter_drops - socket_drops: losses nobody accounts for. */
  unexplained_losses: number;
}

const PORT = 39_999;
const NODE_B_INDEX = 2; // n2: second node of the plan (0 is the runner)

function busyWaitUntil(deadline: bigint): void {
  while (process.hrtime.bigint() < deadline);
}

function readSent(path: string): SentPacket[] {
  const buf = readFileSync(path);
  const packets: SentPacket[] = [];
  for (let off = 0; off + 24 <= buf.length; off += 24) {
    packets.push({ seq: Number(buf.readBigUInt64LE(off)), before: buf.readBigUInt64LE(off + 8), after: buf.readBigUInt64LE(off + 16) });
  }
  return packets;
}

function readArrivals(path: string): Map<number, bigint> {
  const buf = readFileSync(path);
  const arrivals = new Map<number, bigint>();
  for (let off = 0; off + 16 <= buf.length; off += 16) arrivals.set(Number(buf.readBigUInt64LE(off)), buf.readBigUInt64LE(off + 8));
  return arrivals;
}

export async function runAtomicity(helpers: HelperPaths, options: AtomicityOptions): Promise<AtomicityResult> {
  const { cycles, holdUs, intervalUs } = options;
  const dir = mkdtempSync(join(tmpdir(), 'pakostii-bench-atomicity-'));
  const sentLog = join(dir, 'sent.bin');
  const recvLog = join(dir, 'recv.bin');
  const hold = BigInt(Math.round(holdUs * 1000));
  const timeline: Timeline = {
    applyCalled: new BigInt64Array(cycles),
    applied: new BigInt64Array(cycles),
    healCalled: new BigInt64Array(cycles),
    healed: new BigInt64Array(cycles),
    end: 0n,
  };
  let receiverReport = { received: 0, socket_drops: 0 };
  let counterDelta = { passed: 0, dropped: 0 };

  try {
    await new Test('bench_atomicity', networkOnlyCluster(3, 3), { logger: quietLogger(), artifactsDir: BENCH_ARTIFACTS }).run(async (t) => {
      const netnsA = names.nodeNetns(t.id, 'n1');
      const netnsB = names.nodeNetns(t.id, 'n2');
      const receiver = new Helper(['ip', 'netns', 'exec', netnsB, helpers.udpRecv, String(PORT), recvLog]);
      let sender: Helper | undefined;
      try {
        await receiver.waitForLine((l) => l === 'ready');
        sender = new Helper(['ip', 'netns', 'exec', netnsA, helpers.udpSend, t.network.ipOf('n2'), String(PORT), String(intervalUs), sentLog]);
        await sender.waitForLine((l) => l === 'ready');
        await new Promise((r) => setTimeout(r, 200)); // neighbour entries resolved, sender at pace

        const countersMap = await findCountersMap(netnsB);
        const before = await readDstCounters(countersMap, NODE_B_INDEX);
        const iso = t.network.partition.isolateAZ('atomicity', 'az1');
        for (let i = 0; i < cycles; i++) {
          timeline.applyCalled[i] = process.hrtime.bigint();
          await iso.apply();
          const applied = process.hrtime.bigint();
          timeline.applied[i] = applied;
          busyWaitUntil(applied + hold);
          timeline.healCalled[i] = process.hrtime.bigint();
          await iso.heal();
          const healed = process.hrtime.bigint();
          timeline.healed[i] = healed;
          busyWaitUntil(healed + hold);
        }
        timeline.end = process.hrtime.bigint();
        if ((await sender.stop()) !== 0) throw new Error(`udp_send failed: ${sender.stderr}`);
        await new Promise((r) => setTimeout(r, 200)); // let the last datagrams land
        const after = await readDstCounters(countersMap, NODE_B_INDEX);
        counterDelta = { passed: after.passed - before.passed, dropped: after.dropped - before.dropped };
        if ((await receiver.stop()) !== 0) throw new Error(`udp_recv failed: ${receiver.stderr}`);
        receiverReport = JSON.parse(receiver.lines.find((l) => l.startsWith('{')) ?? '{}') as typeof receiverReport;
      } finally {
        await sender?.stop();
        await receiver.stop();
      }
    });

    const sent = readSent(sentLog);
    const arrivals = readArrivals(recvLog);
    const classification = classify(timeline, sent, (seq) => arrivals.get(seq));
    return {
      cycles,
      hold_us: holdUs,
      interval_us: intervalUs,
      packets_sent: sent.length,
      packets_received: arrivals.size,
      filter_drops: counterDelta.dropped,
      socket_drops: receiverReport.socket_drops,
      unexplained_losses: sent.length - arrivals.size - counterDelta.dropped - receiverReport.socket_drops,
      ...classification,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
