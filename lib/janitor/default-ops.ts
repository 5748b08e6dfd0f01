/**
 * The janitor's side effects in production: the native addon for kernel
 * objects (no `ip`), ContainerdClient for containers, snapshots and leases
 * (in the run's namespace, and in deep mode in every namespace holding
 * pakostii-labelled objects).
 */
import { existsSync } from 'node:fs';
import * as containerdApi from '../containerd/index.js';
import * as native from '../native/index.js';
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
      for (const namespace of await client.listNamespaces()) {
        if (only && !only.includes(namespace)) continue;
        const inNamespace = await containerdApi.ContainerdClient.connect({ socket, namespace });
        try {
          for (const runId of await inNamespace.labelledRunIds()) found.set(runId, [...(found.get(runId) ?? []), namespace]);
        } finally {
          inNamespace.close();
        }
      }
      return found;
    } finally {
      client.close();
    }
  },
};
