// Task exit events from containerd's event stream (Events.Subscribe).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerdClient, TaskExitEvent } from '../../lib/containerd/index.js';
import { cleanupTestNamespace, createTestRun, eventually, importBusybox, TEST_NAMESPACE, testClient, type TestRun } from './setup.js';
import { api } from '../../lib/containerd/api.js';

let client: ContainerdClient;
let image: string;
let tr: TestRun;

beforeAll(async () => {
  client = await testClient();
  image = await importBusybox(client);
  tr = await createTestRun(image, '10.231.3.7');
});

afterAll(async () => {
  if (!client) return;
  await tr?.cleanup(client);
  await cleanupTestNamespace(client, [image].filter(Boolean));
  client.close();
});

/** The subscription is registered asynchronously by containerd: give it a moment. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 300));

describe('onTaskExit', () => {
  it('delivers the exit code and time of a service that exits, and only task (not exec) exits', async () => {
    const events: TaskExitEvent[] = [];
    const unsubscribe = client.onTaskExit((e) => events.push(e));
    await settle();
    try {
      const long = await client.createContainer(tr.spec('long', { command: ['/bin/sleep', '60'] }));
      await long.start();
      expect((await long.exec(['/bin/sh', '-c', 'exit 5'])).exitCode).toBe(5);

      const before = Date.now();
      const short = await client.createContainer(tr.spec('short', { command: ['/bin/sh', '-c', 'sleep 0.2; exit 7'] }));
      await short.start();
      const exit = await eventually(async () => events.find((e) => e.containerId === short.id), 10_000, 'the exit event');
      expect(exit.exitCode).toBe(7);
      expect(exit.exitedAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(exit.exitedAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
      // The exec's exit (code 5) was not reported as an exit of "long".
      expect(events.filter((e) => e.containerId === long.id)).toEqual([]);

      await long.kill('SIGKILL');
      const killed = await eventually(async () => events.find((e) => e.containerId === long.id), 10_000, 'the kill event');
      expect(killed.exitCode).toBe(137);
      await short.remove();
      await long.remove();
    } finally {
      unsubscribe();
    }
  });

  it('does not deliver exits of other namespaces', async () => {
    const other = client.rpc.withNamespace(`${TEST_NAMESPACE}-other`);
    const events: TaskExitEvent[] = [];
    const unsubscribe = client.onTaskExit((e) => events.push(e));
    await settle();
    // A TaskExit published by hand in another namespace (Events.Publish) must be filtered out…
    const { messageAny } = await import('../../lib/containerd/protos.js');
    await api(other).events.publish({
      topic: '/tasks/exit',
      event: messageAny('containerd.events.TaskExit', { container_id: 'elsewhere', id: 'elsewhere', exit_status: 1 }),
    });
    // …while the same event in our namespace is delivered (proves the subscription was live).
    await api(client.rpc).events.publish({
      topic: '/tasks/exit',
      event: messageAny('containerd.events.TaskExit', { container_id: 'here', id: 'here', exit_status: 2 }),
    });
    await eventually(async () => events.some((e) => e.containerId === 'here'), 5_000, 'our event');
    expect(events.map((e) => e.containerId)).toEqual(['here']);
    unsubscribe();
    await api(other).namespaces.delete({ name: `${TEST_NAMESPACE}-other` }).catch(() => undefined);
  });

  it('unsubscribe stops delivery and is idempotent', async () => {
    const events: TaskExitEvent[] = [];
    const unsubscribe = client.onTaskExit((e) => events.push(e));
    await settle();
    unsubscribe();
    unsubscribe();
    const c = await client.createContainer(tr.spec('after', { command: ['/bin/sh', '-c', 'exit 3'] }));
    await c.start();
    await eventually(async () => (await c.status()) === 'stopped', 10_000, 'the task to exit');
    await settle();
    expect(events).toEqual([]);
    await c.remove();
  });
});
