/**
 * Unpacks an image's layers into a chain of committed snapshots the way
 * containerd's own unpacker does: for each layer, Snapshots.Prepare on a
 * temporary "extract-… <chainID>" key whose parent is the previous chain id,
 * Diff.Apply of the layer blob onto those mounts, Snapshots.Commit under the
 * chain id. Layers whose snapshot exists are skipped, so images sharing a
 * base layer unpack it once. Finally the config blob gets the
 * `containerd.io/gc.ref.snapshot.<snapshotter>` label that keeps the chain
 * alive once the caller's lease is gone.
 */
import { randomBytes } from 'node:crypto';
import { ContainerdError } from '../../errors.js';
import { chainIds } from './digest.js';
import { Labels, SNAPSHOTTER, type Descriptor } from './media-types.js';
import type { CallOptions, ImagesRpc } from './rpc.js';

export interface UnpackInput {
  /** For messages: the image being unpacked. */
  imageName: string;
  configDigest: string;
  layers: readonly Descriptor[];
  diffIds: readonly string[];
  snapshotter?: string;
}

function uniqueKey(chain: string): string {
  // Same shape as containerd's snapshots.UnpackKeyFormat ("extract-%s %s").
  return `extract-${process.hrtime.bigint()}-${randomBytes(6).toString('base64url')} ${chain}`;
}

async function unpackLayer(
  rpc: ImagesRpc,
  input: UnpackInput,
  snapshotter: string,
  index: number,
  chain: string,
  parent: string,
  options: CallOptions,
): Promise<void> {
  const layer = input.layers[index];
  const diffId = input.diffIds[index];
  if (!layer || !diffId) throw new Error('unreachable: layer count checked by unpackImage');
  const key = uniqueKey(chain);
  const labels = { [Labels.snapshotRef]: chain };
  let committed = false;
  try {
    const mounts = await rpc.snapshotPrepare(snapshotter, key, parent, labels, options);
    const applied = await rpc.diffApply(layer, mounts, options);
    if (applied.digest !== diffId) {
      throw new ContainerdError(
        `unpack ${input.imageName}: layer ${index + 1} (${layer.digest}) extracted to ${applied.digest}, but the image config says ${diffId}`,
        { hint: 'the image is inconsistent; rebuild or re-pull it' },
      );
    }
    const outcome = await rpc.snapshotCommit(snapshotter, chain, key, labels, options);
    committed = outcome === 'committed';
    if (outcome === 'exists') await rpc.snapshotRemove(snapshotter, key); // a concurrent unpack won
  } finally {
    if (!committed) await rpc.snapshotRemove(snapshotter, key).catch(() => undefined);
  }
  if (layer.digest !== diffId) await rpc.contentSetLabels(layer.digest, { [Labels.uncompressed]: diffId });
}

/** Unpacks what is missing of the chain; returns the top chain id (the snapshot a container's rootfs is prepared from). */
export async function unpackImage(rpc: ImagesRpc, input: UnpackInput, options: CallOptions = {}): Promise<string> {
  const snapshotter = input.snapshotter ?? SNAPSHOTTER;
  if (input.layers.length === 0 || input.layers.length !== input.diffIds.length) {
    throw new ContainerdError(
      `unpack ${input.imageName}: the manifest lists ${input.layers.length} layers but the config ${input.diffIds.length} diff ids`,
      { hint: 'the image is malformed; rebuild or re-pull it' },
    );
  }
  const chains = chainIds(input.diffIds);
  // Find the first layer whose snapshot is missing; everything below it exists.
  // Each snapshot goes into the lease BEFORE it is looked at: containerd's garbage
  // collection is global (any run's lease removal sets it off), and a snapshot whose
  // child is gone may be unreferenced; one found but not yet leased could be
  // collected before it becomes the parent of the next layer. Leasing a snapshot
  // that does not exist holds nothing.
  let firstMissing = chains.length;
  for (let i = chains.length - 1; i >= 0; i--) {
    const chain = chains[i] ?? '';
    if (options.lease) await rpc.leaseAddResource(options.lease, { id: chain, type: `snapshots/${snapshotter}` });
    const info = await rpc.snapshotStat(snapshotter, chain);
    if (info?.kind === 'committed') break;
    firstMissing = i;
  }
  for (let i = firstMissing; i < chains.length; i++) {
    await unpackLayer(rpc, input, snapshotter, i, chains[i] ?? '', i === 0 ? '' : (chains[i - 1] ?? ''), options);
  }
  const top = chains[chains.length - 1] ?? '';
  await rpc.contentSetLabels(input.configDigest, { [Labels.gcRefSnapshot(snapshotter)]: top });
  return top;
}

/** True when the image's top snapshot exists (what containerd calls "unpacked"). */
export async function isUnpacked(rpc: ImagesRpc, chainId: string, snapshotter: string = SNAPSHOTTER): Promise<boolean> {
  return (await rpc.snapshotStat(snapshotter, chainId))?.kind === 'committed';
}
