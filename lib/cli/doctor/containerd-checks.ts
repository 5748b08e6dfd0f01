/**
 * containerd checks: the socket answers (and its version), and the overlayfs
 * snapshotter every run's rootfs is prepared with is loaded.
 */
import { existsSync } from 'node:fs';
import { ContainerdClient } from '../../containerd/index.js';
import { fail, firstLine, ok, withTimeout, type CheckResult } from './check.js';

const CONNECT_TIMEOUT_MS = 5_000;
const SNAPSHOTTER = { type: 'io.containerd.snapshotter.v1', id: 'overlayfs' } as const;

const START_HINT = 'start it: sudo bash scripts/start-containerd.sh (or systemctl start containerd); other socket: --containerd-socket';

export async function checkContainerd(socket: string, namespace: string): Promise<CheckResult[]> {
  if (!existsSync(socket)) {
    return [
      fail('containerd', `no socket at ${socket}`, `containerd is not running or listens elsewhere; ${START_HINT}`),
      fail('snapshotter', 'skipped: containerd unreachable', 'fix the containerd check first'),
    ];
  }
  let client: ContainerdClient;
  try {
    client = await withTimeout(ContainerdClient.connect({ socket, namespace }), CONNECT_TIMEOUT_MS, `containerd at ${socket}`);
  } catch (error) {
    return [
      fail('containerd', `cannot reach ${socket}: ${firstLine(error)}`, START_HINT),
      fail('snapshotter', 'skipped: containerd unreachable', 'fix the containerd check first'),
    ];
  }
  try {
    const results: CheckResult[] = [];
    const { version, revision } = await withTimeout(client.version(), CONNECT_TIMEOUT_MS, 'containerd Version');
    const major = Number(/^v?(\d+)\.(\d+)/.exec(version)?.[1] ?? 0);
    const minor = Number(/^v?(\d+)\.(\d+)/.exec(version)?.[2] ?? 0);
    results.push(
      major > 1 || (major === 1 && minor >= 6)
        ? ok('containerd', `${version} (${revision.slice(0, 12)}) at ${socket}`)
        : fail('containerd', `${version} at ${socket} is older than 1.6`, 'upgrade containerd to 1.6 or newer'),
    );
    results.push(await checkSnapshotter(client));
    return results;
  } catch (error) {
    return [fail('containerd', `${socket} answered but a call failed: ${firstLine(error)}`, START_HINT)];
  } finally {
    client.close();
  }
}

async function checkSnapshotter(client: ContainerdClient): Promise<CheckResult> {
  try {
    const plugins = await withTimeout(client.plugins([`type==${SNAPSHOTTER.type}`]), CONNECT_TIMEOUT_MS, 'containerd Introspection');
    const overlay = plugins.find((p) => p.type === SNAPSHOTTER.type && p.id === SNAPSHOTTER.id);
    if (!overlay) {
      const seen = plugins.map((p) => p.id).join(', ') || 'none';
      return fail('snapshotter', `overlayfs snapshotter not registered (snapshotters: ${seen})`, 'use a containerd build with the overlayfs snapshotter');
    }
    if (overlay.initError) {
      return fail(
        'snapshotter',
        `overlayfs snapshotter failed to load: ${overlay.initError}`,
        "containerd's root (/var/lib/containerd) must be on a filesystem overlayfs supports (ext4, xfs), with the overlay module available",
      );
    }
    return ok('snapshotter', 'overlayfs loaded');
  } catch (error) {
    return fail('snapshotter', `Introspection.Plugins failed: ${firstLine(error)}`, 'check the containerd log');
  }
}
