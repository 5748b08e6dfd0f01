/**
 * Options shared by the subcommands that talk to containerd, and the one place
 * that turns a thrown error into what a person reads on stderr.
 */
import { Option, type Command } from 'commander';
import { PakostiiError } from '../errors.js';
import { CONTAINERD_NAMESPACE } from '../host/names.js';
import { DEFAULT_CONTAINERD_SOCKET } from '../host/paths.js';

export interface ContainerdOptions {
  containerdSocket: string;
  namespace: string;
}

/** --containerd-socket (env PAKOSTII_CONTAINERD_SOCKET) and --namespace (env PAKOSTII_CONTAINERD_NAMESPACE). */
export function addContainerdOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--containerd-socket <path>', "containerd's gRPC socket")
        .env('PAKOSTII_CONTAINERD_SOCKET')
        .default(DEFAULT_CONTAINERD_SOCKET),
    )
    .addOption(
      new Option('--namespace <name>', 'containerd namespace pakostii uses')
        .env('PAKOSTII_CONTAINERD_NAMESPACE')
        .default(CONTAINERD_NAMESPACE),
    );
}

/** Message (with its hint, for our errors) of anything a command threw. */
export function describeError(error: unknown): string {
  if (error instanceof PakostiiError) return `${error.name}: ${error.message}`;
  if (error instanceof Error) return error.message;
  return String(error);
}
