/**
 * Shared setup of the containerd tests (client, container, exec, process,
 * events, errors): containerd running (started with scripts/start-containerd.sh
 * when it does not answer), a test-only containerd namespace, tiny busybox
 * images built from busybox-static and imported with the library's own
 * importer, pakostii-style network namespaces (made with `ip`: tests may use
 * tools to set up and observe; lib/ may not), and a cleanup that leaves
 * nothing behind.
 *
 * Usable as a vitest globalSetup too (default export: containerd started).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ContainerdClient, type ContainerCreateRequest } from '../../lib/containerd/index.js';
import { ignoreNotFound } from '../../lib/containerd/errors.js';
import { buildLayer, type LayerEntry } from '../../lib/containerd/images/layer-builder.js';
import { writeOciArchive } from '../../lib/containerd/images/oci-archive-writer.js';
import { LABELS, names, newRunId } from '../../lib/host/names.js';
import { api } from '../../lib/containerd/api.js';
import { getXattr } from '../../lib/native/index.js';

const run = promisify(execFile);
/** The suite's containerd: a CI run's private one (PAKOSTII_CONTAINERD_SOCKET), else the system one. */
export const SOCKET = process.env.PAKOSTII_CONTAINERD_SOCKET ?? '/run/containerd/containerd.sock';
/** Test-only containerd namespace: removed at the end when empty. */
export const TEST_NAMESPACE = 'pakostii-test';
const REPO = new URL('../..', import.meta.url).pathname;

export async function sh(file: string, args: string[]): Promise<string> {
  const { stdout } = await run(file, args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/** Starts containerd when its socket does not answer (idempotent). */
export async function ensureContainerd(): Promise<void> {
  await run('bash', [join(REPO, 'scripts/start-containerd.sh')], { env: { ...process.env, PAKOSTII_CONTAINERD_SOCKET: SOCKET } });
}

export default async function globalSetup(): Promise<void> {
  await ensureContainerd();
}

export async function testClient(): Promise<ContainerdClient> {
  await ensureContainerd();
  return ContainerdClient.connect({ socket: SOCKET, namespace: TEST_NAMESPACE, readXattr: getXattr });
}

const APPLETS = ['sh', 'cat', 'echo', 'sleep', 'ip', 'id', 'ls', 'env', 'pwd', 'hostname', 'kill', 'ps', 'grep', 'wc', 'true', 'false', 'seq', 'mount', 'head', 'tail', 'sync'];

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n';
const GROUP = 'root:x:0:\napp:x:1000:\nstaff:x:50:app\nnogroup:x:65534:\n';

function busyboxEntries(): LayerEntry[] {
  return [
    { kind: 'dir', path: 'bin', mode: 0o755 },
    { kind: 'file', path: 'bin/busybox', source: '/bin/busybox', mode: 0o755 },
    ...APPLETS.map((name): LayerEntry => ({ kind: 'symlink', path: `bin/${name}`, target: 'busybox' })),
    { kind: 'dir', path: 'etc', mode: 0o755 },
    { kind: 'file', path: 'etc/passwd', content: PASSWD, mode: 0o644 },
    { kind: 'file', path: 'etc/group', content: GROUP, mode: 0o644 },
    { kind: 'dir', path: 'tmp', mode: 0o1777 },
    { kind: 'dir', path: 'data', mode: 0o777 },
    { kind: 'dir', path: 'proc', mode: 0o755 },
    { kind: 'dir', path: 'sys', mode: 0o755 },
    { kind: 'dir', path: 'dev', mode: 0o755 },
    { kind: 'dir', path: 'run', mode: 0o755 },
  ];
}

/**
 * Imports a busybox image into the test namespace (two layers: busybox, then
 * a marker, so the chain id has a parent). `user` sets the image's USER;
 * `upper` adds entries to the second layer (whiteouts, replaced files).
 */
export async function importBusybox(client: ContainerdClient, options: { tag?: string; user?: string; upper?: LayerEntry[] } = {}): Promise<string> {
  const ref = `pakostii.local/test-busybox:${options.tag ?? 'latest'}`;
  const dir = await mkdtemp(join(tmpdir(), 'pakostii-test-img-'));
  try {
    const upper: LayerEntry[] = [{ kind: 'file', path: 'etc/marker', content: `${ref}\n` }, ...(options.upper ?? [])];
    const layers = [await buildLayer(busyboxEntries()), await buildLayer(upper)];
    const archive = join(dir, 'image.tar');
    await writeOciArchive(archive, {
      ref,
      layers,
      config: { entrypoint: ['/bin/sh', '-c'], cmd: ['echo image-default'], env: ['PATH=/bin', 'FROM_IMAGE=1'], workingDir: '/tmp', ...(options.user ? { user: options.user } : {}) },
    });
    const imported = await client.importArchive(archive);
    return imported[0]?.name ?? ref;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A pakostii-style node namespace with an interface (pkt0) carrying `address` (prefix /24). */
export async function createNetns(runId: string, node: string, address: string): Promise<{ name: string; path: string }> {
  const name = names.nodeNetns(runId, node);
  await sh('ip', ['netns', 'add', name]);
  try {
    // A veth pair kept inside the namespace (the kernel here has no dummy module).
    await sh('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    await sh('ip', ['-n', name, 'link', 'add', 'pkt0', 'type', 'veth', 'peer', 'name', 'pkt0peer']);
    await sh('ip', ['-n', name, 'addr', 'add', `${address}/24`, 'dev', 'pkt0']);
    await sh('ip', ['-n', name, 'link', 'set', 'pkt0', 'up']);
    await sh('ip', ['-n', name, 'link', 'set', 'pkt0peer', 'up']);
  } catch (err) {
    await deleteNetns(name);
    throw err;
  }
  return { name, path: `/run/netns/${name}` };
}

export async function deleteNetns(name: string): Promise<void> {
  await sh('ip', ['netns', 'del', name]).catch(() => undefined);
}

export interface TestRun {
  runId: string;
  dir: string;
  netns: { name: string; path: string };
  /** A ContainerCreateRequest for a service of this run (defaults: busybox image, the run's netns, logs under dir). */
  spec(service: string, overrides?: Partial<ContainerCreateRequest>): ContainerCreateRequest;
  logs(service: string): Promise<{ stdout: string; stderr: string }>;
  cleanup(client: ContainerdClient): Promise<void>;
}

export async function createTestRun(image: string, address = '10.231.0.7'): Promise<TestRun> {
  const runId = newRunId();
  const dir = await mkdtemp(join(tmpdir(), `pakostii-test-${runId}-`));
  const netns = await createNetns(runId, 'n1', address);
  const logPath = (service: string, stream: string): string => join(dir, 'logs', 'n1', service, `${stream}.log`);
  return {
    runId,
    dir,
    netns,
    spec(service, overrides = {}) {
      return {
        id: names.container(runId, 'n1', service),
        image,
        hostname: 'n1',
        netnsPath: netns.path,
        env: {},
        mounts: [],
        labels: { [LABELS.run]: runId, [LABELS.test]: 'containerd-tests', [LABELS.node]: 'n1', [LABELS.service]: service, [LABELS.pid]: String(process.pid) },
        stdoutPath: logPath(service, 'stdout'),
        stderrPath: logPath(service, 'stderr'),
        cgroupsPath: `${names.cgroup(runId)}/n1-${service}`,
        ...overrides,
      };
    },
    async logs(service) {
      const read = (stream: string): Promise<string> => readFile(logPath(service, stream), 'utf8').catch(() => '');
      return { stdout: await read('stdout'), stderr: await read('stderr') };
    },
    async cleanup(client) {
      await client.removeRunObjects(runId);
      await deleteNetns(netns.name);
      await rm(dir, { recursive: true, force: true });
      // runc leaves the (empty) cgroup parents of the run behind; cgroupfs dirs go with rmdir only.
      for (const controller of await readdir('/sys/fs/cgroup').catch(() => [])) {
        const runCgroup = join('/sys/fs/cgroup', controller, 'pakostii', runId);
        for (const child of await readdir(runCgroup, { withFileTypes: true }).catch(() => [])) {
          if (child.isDirectory()) await rmdir(join(runCgroup, child.name)).catch(() => undefined);
        }
        await rmdir(runCgroup).catch(() => undefined);
        if (existsSync(runCgroup)) throw new Error(`cgroup ${runCgroup} of run ${runId} was left behind`);
      }
      const left = await client.listRunObjects(runId);
      if (left.containers.length + left.snapshots.length + left.leases.length > 0) {
        throw new Error(`containerd objects of run ${runId} were left behind: ${JSON.stringify(left)}`);
      }
      if (existsSync(netns.path)) throw new Error(`network namespace ${netns.name} was left behind`);
    },
  };
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What a containerd namespace still holds (per kind, names/ids sorted). */
export interface NamespaceContents {
  containers: string[];
  tasks: string[];
  snapshots: string[];
  leases: string[];
  images: string[];
  content: string[];
  /** In-progress content writes (ingests). */
  ingests: string[];
}

export async function namespaceContents(client: ContainerdClient, namespace: string = TEST_NAMESPACE): Promise<NamespaceContents> {
  const rpc = api(client.rpc.withNamespace(namespace));
  const [containers, tasks, snapshots, leases, images, content, ingests] = await Promise.all([
    rpc.containers.list({}),
    rpc.tasks.list({}),
    rpc.snapshots.list({ snapshotter: 'overlayfs' }).collect(),
    rpc.leases.list({}),
    rpc.images.list({}),
    rpc.content.list({}).collect(),
    rpc.content.listStatuses({}),
  ]);
  return {
    containers: containers.containers.map((c) => c.id).sort(),
    tasks: tasks.tasks.map((t) => t.id).sort(),
    snapshots: snapshots.flatMap((page) => page.info.map((s) => s.name)).sort(),
    leases: leases.leases.map((l) => l.id).sort(),
    images: images.images.map((i) => i.name).sort(),
    content: content.flatMap((page) => page.info.map((c) => c.digest)).sort(),
    ingests: ingests.statuses.map((st) => st.ref).sort(),
  };
}

const EMPTY: NamespaceContents = { containers: [], tasks: [], snapshots: [], leases: [], images: [], content: [], ingests: [] };

/**
 * Removes the test images (sync: containerd's GC drops their content and
 * snapshots before answering), then asserts the test namespace holds no
 * containers, tasks, snapshots, leases, images or content, and removes it.
 * Throws (failing the suite's afterAll) when anything was left behind.
 */
export async function cleanupTestNamespace(client: ContainerdClient, imageRefs: string[]): Promise<void> {
  for (const name of imageRefs) await ignoreNotFound(api(client.rpc).images.delete({ name, sync: true }));
  const left = await namespaceContents(client);
  if (JSON.stringify(left) !== JSON.stringify(EMPTY)) {
    throw new Error(`containerd namespace ${TEST_NAMESPACE} still holds objects after the tests: ${JSON.stringify(left)}`);
  }
  await api(client.rpc).namespaces.delete({ name: TEST_NAMESPACE });
  const { namespaces } = await api(client.rpc).namespaces.list({});
  if (namespaces.some((n) => n.name === TEST_NAMESPACE)) throw new Error(`containerd namespace ${TEST_NAMESPACE} was not removed`);
}
