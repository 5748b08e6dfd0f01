/**
 * What a user gets from npm: `npm pack` (prepack → vendor-protos, prebuildify,
 * tsup) into a temp dir, installed into an empty project with a PATH that holds
 * no compiler at all, then used from ESM, CJS, TypeScript and the `pakostii` bin
 * — including a real one-node run — proving the prebuilt addon, the bundle and
 * the packaged containerd protos work without the repo.
 *
 * The pack runs in a temp copy of the checkout (its git-tracked and untracked,
 * non-ignored files): prebuildify's `node-gyp rebuild` wipes build/, which other
 * suites of a shared checkout may be loading the addon from at that moment.
 */
import { execFile as execFileCb, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findExecutable } from '../../lib/cli/doctor/system-checks.js';
import { REPO_ROOT } from '../cli/support.js';

const execFile = promisify(execFileCb);
const BUSYBOX = process.env.PAKOSTII_BUSYBOX_IMAGE ?? 'pakostii.local/busybox:latest';
const COMPILERS = ['cc', 'c++', 'gcc', 'g++', 'clang', 'clang++', 'cmake', 'make', 'ld', 'python3'];

let work: string;
let tarball: string;
let consumer: string;
let bareEnv: NodeJS.ProcessEnv;
let entries: string[];

/** A bin dir with only node, npm, npx and sh: whatever needs a compiler fails loudly. */
/**
 * A hermetic CI run (scripts/test-all.sh) points everything at a private containerd and
 * state dir; the installed package must use the same ones, as a user's CI would set them.
 */
function hermeticEnv(): NodeJS.ProcessEnv {
  const names = ['PAKOSTII_CONTAINERD_SOCKET', 'CONTAINERD_ADDRESS', 'PAKOSTII_STATE_DIR'];
  return Object.fromEntries(names.filter((name) => process.env[name] !== undefined).map((name) => [name, process.env[name]]));
}

function compilerFreeBin(dir: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const npm = findExecutable('npm');
  if (!npm) throw new Error('npm not found on PATH');
  const npmCli = realpathSync(npm); // …/node_modules/npm/bin/npm-cli.js
  symlinkSync(process.execPath, join(bin, 'node'));
  symlinkSync(npmCli, join(bin, 'npm'));
  symlinkSync(join(npmCli, '..', 'npx-cli.js'), join(bin, 'npx'));
  symlinkSync('/bin/sh', join(bin, 'sh'));
  return bin;
}

/**
 * The checkout's sources (what `git clone` would give, plus untracked work) in
 * `dest`; node_modules and the vendored static libraries are shared via
 * symlinks (read-only use: vendor-libbpf.sh finds them up to date).
 */
function copyCheckout(dest: string): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO_ROOT, encoding: 'utf8' })
    .split('\0')
    .filter((f) => f !== '' && existsSync(join(REPO_ROOT, f))); // deleted but not yet staged
  for (const file of files) {
    mkdirSync(dirname(join(dest, file)), { recursive: true });
    cpSync(join(REPO_ROOT, file), join(dest, file), { preserveTimestamps: true });
  }
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dest, 'node_modules'));
  if (existsSync(join(REPO_ROOT, 'vendor'))) symlinkSync(join(REPO_ROOT, 'vendor'), join(dest, 'vendor'));
}

async function run(argv: string[], cwd: string, env = bareEnv, timeout = 120_000) {
  return execFile(argv[0]!, argv.slice(1), { cwd, env, timeout, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'pakostii-pack-'));
  const source = join(work, 'source');
  copyCheckout(source);
  // prepack: vendor-protos.sh, then `npm run build`, whose pre-script is
  // `prebuild` (prebuildify --napi --strip), then tsup.
  await execFile('npm', ['pack', '--pack-destination', work], { cwd: source, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 900_000 });
  const packed = readdirSync(work).filter((f) => f.endsWith('.tgz'));
  expect(packed).toHaveLength(1);
  tarball = join(work, packed[0]!);
  entries = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);

  consumer = join(work, 'consumer');
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  const bin = compilerFreeBin(work);
  bareEnv = { PATH: bin, HOME: process.env.HOME ?? '/root', npm_config_update_notifier: 'false', ...hermeticEnv() };
  for (const tool of COMPILERS) expect(existsSync(join(bin, tool)), `${tool} must not be on the test PATH`).toBe(false);

  // Dependencies come from the local npm cache (or the registry); pakostii from the tarball.
  await run(['npm', 'install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts'], consumer, bareEnv, 600_000);
}, 1_200_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the npm tarball', () => {
  it('holds dist, prebuilds, proto, package.json, README and LICENSE', () => {
    for (const file of ['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts', 'dist/cli.js', 'package.json', 'README.md', 'LICENSE']) {
      expect(entries).toContain(`package/${file}`);
    }
    expect(entries.some((e) => /^package\/prebuilds\/linux-x64\/[^/]+\.node$/.test(e))).toBe(true);
    expect(entries.some((e) => /^package\/proto\/.+\.proto$/.test(e))).toBe(true);
  });

  it('holds no tests, TypeScript or native/BPF sources, vendor/ or build/', () => {
    const forbidden = entries.filter((e) =>
      /^package\/(test|lib|native|bpf|vendor|build|scripts|examples|bench|node_modules)\//.test(e) ||
      /\.(cc|cpp|c|h|gyp)$/.test(e) ||
      /\.bpf\.o$/.test(e),
    );
    expect(forbidden).toEqual([]);
  });

  it('has a prebuilt addon that links libbpf, libelf and zlib statically', () => {
    const dir = join(consumer, 'node_modules', 'pakostii', 'prebuilds', 'linux-x64');
    const nodes = readdirSync(dir).filter((f) => f.endsWith('.node'));
    expect(nodes.length).toBe(1);
    const ldd = execFileSync('ldd', [join(dir, nodes[0]!)], { encoding: 'utf8' });
    expect(ldd).not.toMatch(/libbpf|libelf|libz\./);
    expect(ldd).toMatch(/libc\.so/);
  });
});

describe('installed with no compiler on PATH', () => {
  it('import { spec, Test } from "pakostii" works (ESM)', async () => {
    const { stdout } = await run(
      ['node', '--input-type=module', '-e', "import { spec, Test, TestFailedError } from 'pakostii'; console.log(typeof spec.newCluster, typeof Test, typeof TestFailedError)"],
      consumer,
    );
    expect(stdout.trim()).toBe('function function function');
  });

  it('require("pakostii") works (CJS)', async () => {
    const { stdout } = await run(
      ['node', '-e', "const p = require('pakostii'); console.log(typeof p.spec.newCluster, typeof p.Test, Object.keys(p).sort().join(','))"],
      consumer,
    );
    expect(stdout.trim()).toMatch(/^function function /);
    expect(stdout).toContain('TestFailedError');
  });

  it('ships types for both module systems', async () => {
    writeFileSync(join(consumer, 'esm.mts'), "import { spec, Test, type TestHandle } from 'pakostii';\nconst t: Test = new Test('x', spec.newCluster());\nexport const f = (h: TestHandle): string => h.id + String(t);\n");
    writeFileSync(join(consumer, 'cjs.cts'), "import pakostii = require('pakostii');\nexport const c = pakostii.spec.newCluster();\n");
    const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    await run(
      ['node', tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', 'node', '--typeRoots', join(REPO_ROOT, 'node_modules', '@types'), 'esm.mts', 'cjs.cts'],
      consumer,
    );
    // tsc over the package's .d.ts takes ~10 s alone, minutes on a loaded 2-core host.
  }, 240_000);

  it('declares what a test receives as interfaces: no class, constructor or internal type of the run', () => {
    const dts = readFileSync(join(consumer, 'node_modules', 'pakostii', 'dist', 'index.d.ts'), 'utf8');
    const handles = ['TestHandle', 'NetworkHandle', 'ExecHandle', 'Partition', 'ContainersHandle', 'ClusterHttp', 'PortForward'];
    for (const name of handles) expect(dts).toMatch(new RegExp(`^interface ${name} `, 'm'));
    const classes = [...dts.matchAll(/^declare (?:abstract )?class (\w+)/gm)].map((m) => m[1]!);
    const internal = ['RunTestHandle', 'PartitionFaults', 'RunContainers', 'DialHttp', 'RelayPortForward', 'FaultRegistry', 'FaultTimeline', 'RecordedPolicy'];
    expect(classes.filter((c) => handles.includes(c) || internal.includes(c))).toEqual([]);
    expect(dts).not.toMatch(/^interface (ClusterPlan|ProcessFaultContext|RunContext) /m);
  });

  it('`pakostii doctor` is all green and loads the addon from the prebuild', async () => {
    const result = await run([join(consumer, 'node_modules', '.bin', 'pakostii'), 'doctor', '--json'], consumer).catch(
      (error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }),
    );
    const report = JSON.parse(result.stdout) as { ok: boolean; checks: Array<{ name: string; status: string; detail: string }> };
    // Everything is green: delay has the addon's delay line where there is no sch_netem.
    expect(report.checks.filter((c) => c.status !== 'ok')).toEqual([]);
    const addon = report.checks.find((c) => c.name === 'addon')!;
    expect(addon.detail).toMatch(new RegExp(`^prebuild: ${join(consumer, 'node_modules/pakostii/prebuilds/linux-x64/')}[^/]+\\.node$`));
  });

  it('runs a one-node test from the installed package (addon, XDP, packaged protos, containerd)', async () => {
    writeFileSync(
      join(consumer, 'run.cjs'),
      `const { spec, Test } = require('pakostii');
const cluster = spec.newCluster().addNode(
  spec.newNode('web1').runs(
    spec.newContainer('web', ${JSON.stringify(BUSYBOX)})
      .withFile('/www/index.html', 'hello from the tarball\\n')
      .withCommand(['httpd', '-f', '-p', '8080', '-h', '/www'])
      .withReadiness(spec.tcpProbe({ port: 8080 })),
  ),
);
new Test('packaged', cluster).run(async (t) => {
  const fw = t.network.forwardPort('web1', 8080);
  await fw.listen(t.signal);
  const res = await fetch('http://127.0.0.1:' + fw.port() + '/index.html');
  console.log('BODY ' + (await res.text()).trim());
}).then((r) => console.log('RESULT ' + r.name + ' ' + r.id), (e) => { console.error(e); process.exitCode = 1; });
`,
    );
    const { stdout } = await run(['node', 'run.cjs'], consumer);
    expect(stdout).toContain('BODY hello from the tarball');
    const id = /RESULT packaged ([a-z]{5})/.exec(stdout)?.[1];
    expect(id).toBeDefined();
    expect(existsSync(join(consumer, '.pakostii', `packaged-${id}`, 'logs', 'web1', 'web'))).toBe(true);
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(`pk-${id}-`);
  });
});
