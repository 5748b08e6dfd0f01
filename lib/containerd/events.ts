/**
 * Task exit events: one Events.Subscribe stream filtered to /tasks/exit in
 * the client's namespace. Exec processes exit with the same topic; only a
 * task's init process (event id == container id) is reported.
 */
import { api } from './api.js';
import type { Envelope } from './api-messages.js';
import type { ContainerdGrpc } from './grpc.js';
import { decodeAny, fromTimestamp, type ProtoTimestamp } from './protos.js';
import type { TaskExitEvent } from './types.js';

interface PbTaskExit {
  container_id: string;
  id: string;
  pid: number;
  exit_status: number;
  exited_at: ProtoTimestamp | null;
}

export const TASK_EXIT_TOPIC = '/tasks/exit';

/** Decodes one envelope; undefined for anything but an init process exit. */
export function taskExitFromEnvelope(envelope: Envelope): TaskExitEvent | undefined {
  if (envelope.topic !== TASK_EXIT_TOPIC || !envelope.event) return undefined;
  const exit = decodeAny<PbTaskExit>(envelope.event);
  if (!exit || (exit.id !== '' && exit.id !== exit.container_id)) return undefined;
  return { containerId: exit.container_id, exitCode: exit.exit_status, exitedAt: fromTimestamp(exit.exited_at) };
}

/**
 * Subscribes; returns the unsubscribe function (cancels the stream, idempotent).
 * Stream failures other than our own cancel go to `onError` (default: ignored,
 * since a listener has no way to act on them; there is no reconnect).
 */
export function subscribeTaskExits(
  grpc: ContainerdGrpc,
  listener: (event: TaskExitEvent) => void,
  onError: (err: Error) => void = () => undefined,
): () => void {
  const stream = api(grpc).events.subscribe(
    { filters: [`topic=="${TASK_EXIT_TOPIC}",namespace=="${grpc.namespace}"`] },
    { operation: 'subscribe to containerd task exit events' },
  );
  let active = true;
  void (async () => {
    try {
      for await (const envelope of stream) {
        if (!active) break;
        const event = taskExitFromEnvelope(envelope);
        if (event) listener(event);
      }
    } catch (err) {
      if (active) onError(err as Error);
    }
  })();
  return () => {
    if (!active) return;
    active = false;
    stream.cancel();
  };
}
