/**
 * The janitor's side effects in production: the native addon for kernel
 * objects (no `ip`), ContainerdClient for containers, snapshots and leases.
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
  async containerdRunIds(target) {
    if (!existsSync(target.socket)) return [];
    const client = await containerdApi.ContainerdClient.connect(target);
    try {
      // Optional capability of the containerd layer (not in the original contract).
      const lister = (client as unknown as { listRunIds?: () => Promise<string[]> }).listRunIds;
      return lister ? await lister.call(client) : undefined;
    } finally {
      client.close();
    }
  },
};
