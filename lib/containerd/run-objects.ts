/**
 * What containerd holds for one run, found by the run label every container,
 * snapshot and lease carries (LABELS.run), and its removal: for the janitor,
 * leak audits and the teardown path of a crashed run.
 */
import { LABELS } from '../host/names.js';
import { SNAPSHOTTER, removeContainer } from './container.js';
import { ignoreNotFound } from './errors.js';
import type { ContainerdGrpc } from './grpc.js';
import type { RunObjects } from './types.js';

/** containerd filter matching objects labelled with this run id. */
export function runLabelFilter(runId: string): string {
  if (!/^[a-z0-9-]+$/.test(runId)) throw new Error(`invalid run id "${runId}"`);
  return `labels."${LABELS.run}"==${runId}`;
}

export async function listRunObjects(grpc: ContainerdGrpc, runId: string): Promise<RunObjects> {
  const filters = [runLabelFilter(runId)];
  const [containers, snapshots, leases] = await Promise.all([
    grpc.unary<{ containers: Array<{ id: string }> }>('containers', 'List', { filters }, { operation: `list containers of run ${runId}` }),
    grpc
      .serverStream<{ info: Array<{ name: string }> }>('snapshots', 'List', { snapshotter: SNAPSHOTTER, filters }, { operation: `list snapshots of run ${runId}` })
      .collect(),
    grpc.unary<{ leases: Array<{ id: string }> }>('leases', 'List', { filters }, { operation: `list leases of run ${runId}` }),
  ]);
  return {
    containers: containers.containers.map((c) => c.id).sort(),
    snapshots: snapshots.flatMap((page) => page.info.map((s) => s.name)).sort(),
    leases: leases.leases.map((l) => l.id).sort(),
  };
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
    await attempt(() => ignoreNotFound(grpc.unary('snapshots', 'Remove', { snapshotter: SNAPSHOTTER, key }, { operation: `remove snapshot ${key}` })));
  }
  for (const id of objects.leases) {
    await attempt(() => ignoreNotFound(grpc.unary('leases', 'Delete', { id, sync: false }, { operation: `delete lease ${id}` })));
  }
  if (failures.length > 0) throw failures[0];
}
