/**
 * What containerd holds for one run, found by the run label every container,
 * snapshot and lease carries (LABELS.run), and its removal: for the janitor,
 * leak audits and the teardown path of a crashed run.
 */
import { LABELS } from '../host/names.js';
import { runIdOfDir } from '../host/patterns.js';
import { api } from './api.js';
import { SNAPSHOTTER, removeContainer } from './container.js';
import { ignoreNotFound } from './errors.js';
import type { PbContainer, PbLease, PbSnapshotInfo } from './api-messages.js';
import type { ContainerdGrpc } from './grpc.js';
import type { RunObjects } from './types.js';

/** containerd filter matching objects labelled with this run id. */
export function runLabelFilter(runId: string): string {
  if (!/^[a-z0-9-]+$/.test(runId)) throw new Error(`invalid run id "${runId}"`);
  return `labels."${LABELS.run}"==${runId}`;
}

/** Containers, snapshots and leases of the client's namespace that match `filters`. */
async function listLabelled(grpc: ContainerdGrpc, filters: string[], what: string): Promise<{ containers: PbContainer[]; snapshots: PbSnapshotInfo[]; leases: PbLease[] }> {
  const ports = api(grpc);
  const [containers, snapshots, leases] = await Promise.all([
    ports.containers.list({ filters }, { operation: `list containers ${what}` }),
    ports.snapshots.list({ snapshotter: SNAPSHOTTER, filters }, { operation: `list snapshots ${what}` }).collect(),
    ports.leases.list({ filters }, { operation: `list leases ${what}` }),
  ]);
  return { containers: containers.containers, snapshots: snapshots.flatMap((page) => page.info), leases: leases.leases };
}

export async function listRunObjects(grpc: ContainerdGrpc, runId: string): Promise<RunObjects> {
  const { containers, snapshots, leases } = await listLabelled(grpc, [runLabelFilter(runId)], `of run ${runId}`);
  return {
    containers: containers.map((c) => c.id).sort(),
    snapshots: snapshots.map((s) => s.name).sort(),
    leases: leases.map((l) => l.id).sort(),
  };
}

/**
 * Run ids on the containers, snapshots and leases of the client's namespace that
 * carry the run label; only well-formed ids (anything else is not ours to judge).
 */
export async function labelledRunIds(grpc: ContainerdGrpc): Promise<string[]> {
  const { containers, snapshots, leases } = await listLabelled(grpc, [`labels."${LABELS.run}"`], `labelled by pakostii in ${grpc.namespace}`);
  const ids = new Set<string>();
  for (const item of [...containers, ...snapshots, ...leases]) {
    const id = item.labels[LABELS.run];
    if (id && runIdOfDir(id)) ids.add(id);
  }
  return [...ids].sort();
}

/**
 * Removes every object of the run: containers (with their tasks and
 * snapshots), remaining snapshots, then leases. Continues past failures and
 * throws the first one at the end, so one stuck object does not hide the rest.
 */
export async function removeRunObjects(grpc: ContainerdGrpc, runId: string): Promise<void> {
  const objects = await listRunObjects(grpc, runId);
  const failures: unknown[] = [];
  const attempt = async (fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      failures.push(err);
    }
  };
  await Promise.all(objects.containers.map((id) => attempt(() => removeContainer(grpc, id))));
  for (const key of objects.snapshots) {
    await attempt(() => ignoreNotFound(api(grpc).snapshots.remove({ snapshotter: SNAPSHOTTER, key }, { operation: `remove snapshot ${key}` })));
  }
  for (const id of objects.leases) {
    await attempt(() => ignoreNotFound(api(grpc).leases.delete({ id, sync: false }, { operation: `delete lease ${id}` })));
  }
  if (failures.length > 0) throw failures[0];
}
