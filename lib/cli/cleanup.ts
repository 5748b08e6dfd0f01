/** `pakostii cleanup [--dry-run] [--json]`: remove what dead runs left behind (the janitor). */
import { statSync } from 'node:fs';
import { Command } from 'commander';
import { DEFAULT_CONTAINERD_SOCKET } from '../host/paths.js';
import { cleanup, formatCleanupReport } from '../janitor/index.js';
import { addContainerdOptions, type ContainerdOptions } from './options.js';

export function cleanupCommand(): Command {
  const command = new Command('cleanup')
    .description('remove namespaces, links, cgroups, containers, snapshots and leases of runs whose process is gone')
    .option('--dry-run', 'list what would be removed, remove nothing')
    .option('--run <ids...>', 'only these run ids')
    .option(
      '--orphans',
      'also remove objects named like a run that no record in this state dir names (they may be live runs of another state dir: check with --dry-run first)',
    )
    .option(
      '--all-namespaces',
      "also look in every other containerd namespace for objects labelled with a dead run's id (other tools' namespaces: check with --dry-run first)",
    )
    .option('--json', 'print the report as JSON');
  return addContainerdOptions(command).action(
    async (options: ContainerdOptions & { dryRun?: boolean; json?: boolean; orphans?: boolean; allNamespaces?: boolean; run?: string[] }) => {
      // A path that is not a socket (a typo, /etc/passwd) would make every containerd check fail quietly.
      const socket = statSync(options.containerdSocket, { throwIfNoEntry: false });
      if (socket && !socket.isSocket()) {
        process.stderr.write(`pakostii cleanup: --containerd-socket ${options.containerdSocket} is not a socket\n  hint: give containerd's gRPC socket (default ${DEFAULT_CONTAINERD_SOCKET})\n`);
        process.exitCode = 2;
        return;
      }
      const report = await cleanup({
        dryRun: options.dryRun ?? false,
        orphans: options.orphans ?? false,
        allNamespaces: options.allNamespaces ?? false,
        ...(options.run ? { runIds: options.run } : {}),
        // Ask containerd too: runs that left only containers/snapshots/leases behind.
        deep: true,
        containerd: { socket: options.containerdSocket, namespace: options.namespace },
      });
      process.stdout.write(`${options.json ? JSON.stringify(report, null, 2) : formatCleanupReport(report)}\n`);
      process.exitCode = report.runs.some((r) => r.errors.length > 0) ? 1 : 0;
    },
  );
}
