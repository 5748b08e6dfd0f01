/**
 * The janitor's side effects in production: the native addon for kernel
 * objects (no `ip`), ContainerdClient for containers, snapshots and leases
 * (in the run's namespace, and in deep mode in every namespace holding
 * pakostii-labelled objects).
 */
import { existsSync } from 'node:fs';
import * as containerdApi from '../containerd/index.js';
import * as native from '../native/index.js';
import { SNAPSHOTTER } from '../containerd/container.js';
import { LABELS } from '../host/names.js';
import { runIdOfDir } from '../host/patterns.js';
import type { JanitorOps } from './types.js';

export const defaultOps: JanitorOps = {
  deleteNetns: (name) => native.deleteNetns(name),
  deleteLink: (name) => native.deleteLink(name),
  async containerdObjects(runId, target, dryRun) {
    if (!existsSync(target.socket)) return undefined;
    const client = await containerdApi.ContainerdClient.connect(target);
    try {
      const objects = await client.listRunObjects(runId);
      if (!dryRun && objects.containers.length + objects.snapshots.length + objects.leases.length > 0) {
        await client.removeRunObjects(runId);
      }
      return objects;
    } finally {
      client.close();
    }
  },
  async containerdRunNamespaces(socket, only) {
    const found = new Map<string, string[]>();
    if (!existsSync(socket)) return found;
    const client = await containerdApi.ContainerdClient.connect({ socket });
    try {
      const { namespaces } = await client.rpc.unary<{ namespaces: Array<{ name: string }> }>('namespaces', 'List', {}, {
        operation: 'list containerd namespaces',
      });
      for (const { name } of namespaces) {
        if (only && !only.includes(name)) continue;
        for (const runId of await labelledRunIds(socket, name)) found.set(runId, [...(found.get(runId) ?? []), name]);
      }
      return found;
    } finally {
      client.close();
    }
  },
};

/** Run ids of the containers, snapshots and leases of one namespace that carry the pakostii.run label. */
async function labelledRunIds(socket: string, namespace: string): Promise<Set<string>> {
  const client = await containerdApi.ContainerdClient.connect({ socket, namespace });
  try {
    const filters = [`labels."${LABELS.run}"`];
    type Labelled = { labels?: Record<string, string> };
    const [containers, snapshots, leases] = await Promise.all([
      client.rpc.unary<{ containers: Labelled[] }>('containers', 'List', { filters }, { operation: `list pakostii containers in ${namespace}` }),
      client.rpc
        .serverStream<{ info: Labelled[] }>('snapshots', 'List', { snapshotter: SNAPSHOTTER, filters }, { operation: `list pakostii snapshots in ${namespace}` })
        .collect(),
      client.rpc.unary<{ leases: Labelled[] }>('leases', 'List', { filters }, { operation: `list pakostii leases in ${namespace}` }),
    ]);
    const ids = new Set<string>();
    for (const item of [...containers.containers, ...snapshots.flatMap((page) => page.info), ...leases.leases]) {
      const id = item.labels?.[LABELS.run];
      // Only well-formed run ids: anything else is not ours to judge.
      if (id && runIdOfDir(id)) ids.add(id);
    }
    return ids;
  } finally {
    client.close();
  }
}
