/**
 * npm run demo: the getting-started walk-through end to end. Makes sure
 * containerd runs and the local etcd image exists (building and importing it
 * when missing), then runs examples/etcd-stale-read.ts and exits with its
 * status (1: the stale read was observed, as the guide intends).
 *
 * Environment: PAKOSTII_ETCD_IMAGE (default pakostii.local/etcd:3.4).
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ContainerdClient } from '../lib/containerd/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const image = process.env.PAKOSTII_ETCD_IMAGE ?? 'pakostii.local/etcd:3.4';
const socket = process.env.PAKOSTII_CONTAINERD_SOCKET ?? '/run/containerd/containerd.sock';

/** Run argv (no shell) with inherited stdio; resolves with its exit code. */
function run(argv: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: root, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + constants.signals[signal] : 1)));
  });
}

async function imagePresent(): Promise<boolean> {
  const client = await ContainerdClient.connect({ socket });
  try {
    return (await client.getImage(image)) !== undefined;
  } finally {
    client.close();
  }
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    console.error('demo: pakostii creates network namespaces and containers; run it as root');
    return 1;
  }
  // Idempotent: returns at once when containerd already answers.
  if ((await run(['bash', join(root, 'scripts/start-containerd.sh')])) !== 0) {
    console.error('demo: containerd is not running and could not be started (see scripts/start-containerd.sh)');
    return 1;
  }
  if (!(await imagePresent())) {
    if (image !== 'pakostii.local/etcd:3.4') {
      console.error(`demo: image ${image} is not in containerd; import or pull it first`);
      return 1;
    }
    console.error(`demo: ${image} not found; building it (scripts/build-images.ts --only etcd --import)`);
    const code = await run(['npx', 'tsx', 'scripts/build-images.ts', '--only', 'etcd', '--import']);
    if (code !== 0) return code;
  }
  return run(['npx', 'tsx', 'examples/etcd-stale-read.ts']);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
