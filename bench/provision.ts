/**
 * Network up and down per node, through the native core directly (the
 * runtime caps a run at one /24; this bench goes to 1,000 nodes): per node a
 * namespace, a veth into it, the host end on the bridge, an address, the
 * run's XDP program attached — the same calls NetworkManager makes, issued
 * concurrently (UP_CONCURRENCY / DOWN_CONCURRENCY in flight; NetworkManager
 * currently brings nodes up one after the other, which the sequential figure
 * shows). Then the baseline: the same steps for 10 nodes with `ip` commands,
 * one exec each.
 */
import * as native from '../lib/native/index.js';
import { names } from '../lib/host/names.js';
import { run } from './exec.js';
import { round } from './stats.js';

/**
 * In-flight operations; each is one short-lived addon thread. Measured here
 * (100 nodes, 2 cores): bring-up is fastest at ~2 per core (the kernel work
 * serialises on the rtnl lock; more threads only add switching), teardown
 * keeps improving up to 64 (the kernel batches the unregistering veths'
 * RCU waits across concurrent deletes).
 */
export const UP_CONCURRENCY = 4;
export const DOWN_CONCURRENCY = 64;
const CONCURRENCY = DOWN_CONCURRENCY;

/** 198.19.252.0/22: room for 1,021 nodes; the bridge has no host address, so it never meets a host route. */
function address(index: number): string {
  const n = 252 * 256 + 1 + index;
  return `198.19.${n >> 8}.${n & 255}`;
}
const PREFIX = 22;

async function inBatches(count: number, work: (i: number) => Promise<void>, concurrency = CONCURRENCY): Promise<void> {
  let next = 1;
  let failure: unknown;
  const worker = async () => {
    while (next <= count && failure === undefined) {
      const i = next++;
      try {
        await work(i);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  if (failure !== undefined) throw failure;
}

export interface ProvisionSample {
  nodes: number;
  up_per_node_ms: number;
  down_per_node_ms: number;
  /** CPU time (user + system, this process and its addon threads) spent per node while provisioning. */
  up_cpu_per_node_ms: number;
}

/** Provision `count` nodes, tear them down, time both. Always removes what it created. */
export async function provisionOnce(runId: string, count: number, upConcurrency = UP_CONCURRENCY): Promise<ProvisionSample> {
  const engine = await native.FaultEngine.load({ maxNodes: count + 1 });
  const bridge = names.bridge(runId);
  const namespaces = new Set<string>();
  const veths = new Set<string>();
  let bridgeCreated = false;
  try {
    await native.createBridge(bridge);
    bridgeCreated = true;
    const cpu0 = process.cpuUsage();
    const up0 = process.hrtime.bigint();
    await inBatches(count, async (i) => {
      const netns = names.nodeNetns(runId, `n${i}`);
      await native.createNetns(netns);
      namespaces.add(netns);
      const hostVeth = names.hostVeth(runId, i);
      veths.add(hostVeth);
      await native.provisionNodeLink({
        netns,
        bridge,
        hostVeth,
        ifname: names.nodeIf,
        cidr: `${address(i)}/${PREFIX}`,
        engine,
      });
      engine.setNodeAddress(address(i), i);
    }, upConcurrency);
    const up1 = process.hrtime.bigint();
    const cpu = process.cpuUsage(cpu0);
    await teardown(veths, namespaces);
    const down1 = process.hrtime.bigint();
    return {
      nodes: count,
      up_per_node_ms: round(Number(up1 - up0) / 1e6 / count),
      down_per_node_ms: round(Number(down1 - up1) / 1e6 / count),
      up_cpu_per_node_ms: round((cpu.user + cpu.system) / 1000 / count),
    };
  } finally {
    await teardown(veths, namespaces).catch(() => undefined);
    if (bridgeCreated) await native.deleteLink(bridge).catch(() => undefined);
    engine.close();
  }
}

/** Host veth ends first (takes the pair at once), then namespaces; like NetworkManager.teardown. */
async function teardown(veths: Set<string>, namespaces: Set<string>, concurrency = CONCURRENCY): Promise<void> {
  const list = [...veths];
  veths.clear();
  await inBatches(list.length, (i) => native.deleteLink(list[i - 1]!), concurrency);
  const ns = [...namespaces];
  namespaces.clear();
  await inBatches(ns.length, (i) => native.deleteNetns(ns[i - 1]!), concurrency);
}

/**
 * The exec baseline: one `ip` command per step (steps merged where one `ip`
 * call can do them, to be fair to it), sequentially, as a tool driving `ip`
 * would. Returns ms per node (provisioning only).
 */
export async function provisionWithIp(runId: string, count: number, xdpObject: string): Promise<number> {
  const bridge = names.bridge(runId);
  const created: string[] = [];
  await run(['ip', 'link', 'add', bridge, 'type', 'bridge']);
  try {
    await run(['ip', 'link', 'set', bridge, 'up']);
    const t0 = process.hrtime.bigint();
    for (let i = 1; i <= count; i++) {
      const netns = names.nodeNetns(runId, `n${i}`);
      const hostVeth = names.hostVeth(runId, i);
      const peer = names.peerVeth(runId, i);
      await run(['ip', 'netns', 'add', netns]);
      created.push(netns);
      await run(['ip', 'link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', peer]);
      await run(['ip', 'link', 'set', peer, 'netns', netns]);
      await run(['ip', 'link', 'set', hostVeth, 'master', bridge, 'up']);
      await run(['ip', '-n', netns, 'link', 'set', peer, 'name', names.nodeIf, 'up']);
      await run(['ip', '-n', netns, 'addr', 'add', `${address(i)}/${PREFIX}`, 'dev', names.nodeIf]);
      await run(['ip', '-n', netns, 'link', 'set', 'lo', 'up']);
      await run(['ip', '-n', netns, 'link', 'set', 'dev', names.nodeIf, 'xdpgeneric', 'obj', xdpObject, 'sec', 'xdp']);
    }
    const t1 = process.hrtime.bigint();
    return round(Number(t1 - t0) / 1e6 / count);
  } finally {
    for (let i = 1; i <= count; i++) await run(['ip', 'link', 'del', names.hostVeth(runId, i)], { allowFailure: true });
    for (const netns of created) await run(['ip', 'netns', 'del', netns], { allowFailure: true });
    await run(['ip', 'link', 'del', bridge], { allowFailure: true });
  }
}
