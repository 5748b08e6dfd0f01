/**
 * Scratch kernel objects for the exec baselines, made with `ip` (the bench may
 * spawn tools; lib/ never does). Names follow lib/host/names.ts so every
 * object carries the bench's run id, and `sweepRun` can remove whatever a
 * crashed bench left.
 */
import { names, belongsToRun } from '../lib/host/names.js';
import { run } from './exec.js';

export interface ScratchNetns {
  netns: string;
  /** A veth end inside the namespace, up, with an address. */
  ifname: string;
  address: string;
  peerAddress: string;
}

/** A namespace holding an up veth pair (v0 198.18.255.1 <-> v1 198.18.255.2). */
export async function createScratchNetns(runId: string, label: string): Promise<ScratchNetns> {
  const netns = names.nodeNetns(runId, label);
  await run(['ip', 'netns', 'add', netns]);
  const ifname = 'v0';
  await run(['ip', '-n', netns, 'link', 'add', ifname, 'type', 'veth', 'peer', 'name', 'v1']);
  await run(['ip', '-n', netns, 'addr', 'add', '198.18.255.1/30', 'dev', ifname]);
  await run(['ip', '-n', netns, 'addr', 'add', '198.18.255.2/30', 'dev', 'v1']);
  for (const dev of [ifname, 'v1', 'lo']) await run(['ip', '-n', netns, 'link', 'set', dev, 'up']);
  return { netns, ifname, address: '198.18.255.1', peerAddress: '198.18.255.2' };
}

export async function deleteScratchNetns(netns: string): Promise<void> {
  await run(['ip', 'netns', 'del', netns], { allowFailure: true });
}

/** Remove every namespace and host link whose name carries `runId` (best effort, observed with `ip`). */
export async function sweepRun(runId: string): Promise<string[]> {
  const removed: string[] = [];
  const { stdout: links } = await run(['ip', '-o', 'link', 'show'], { allowFailure: true });
  const linkNames = links
    .split('\n')
    .map((line) => line.split(':')[1]?.trim().split('@')[0] ?? '')
    .filter((name) => name && belongsToRun(name, runId));
  // Veths first (their peers go with them), the bridge last.
  linkNames.sort((a, b) => Number(a === names.bridge(runId)) - Number(b === names.bridge(runId)));
  for (const link of linkNames) {
    await run(['ip', 'link', 'del', link], { allowFailure: true });
    removed.push(`link ${link}`);
  }
  const { stdout: namespaces } = await run(['ip', 'netns', 'list'], { allowFailure: true });
  for (const line of namespaces.split('\n')) {
    const netns = line.split(' ')[0] ?? '';
    if (netns && belongsToRun(netns, runId)) {
      await run(['ip', 'netns', 'del', netns], { allowFailure: true });
      removed.push(`netns ${netns}`);
    }
  }
  return removed;
}
