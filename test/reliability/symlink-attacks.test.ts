/**
 * A local unprivileged user against root's scratch files, state dir and
 * janitor. The attacker's moves run as uid 65534 through `setpriv`, against
 * a scratch base of this test (the real /run/pakostii and the shared state of
 * other runs are never touched). Every refusal happens before anything of a
 * run exists.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spec, Test, TestFailedError } from '../../lib/index.js';
import { takeInventory } from '../../lib/janitor/inventory.js';
import { cleanup } from '../../lib/janitor/index.js';
import { names, newRunId } from '../../lib/host/names.js';

const NOBODY = 65534;
const IMAGE = 'pakostii.local/busybox:latest';
/** A dead run's id, and a victim directory of the same name. */
const DEAD = newRunId();

/** Runs argv as uid/gid 65534 with no supplementary groups: an ordinary local user. */
function asNobody(...argv: string[]): void {
  execFileSync('setpriv', ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', '--', ...argv], { stdio: 'pipe' });
}

const oneNode = () => spec.newCluster().addNode(spec.newNode('n1').runs(spec.newContainer('main', IMAGE).withCommand(['sleep', '60'])));

async function failureOf(run: Promise<unknown>): Promise<TestFailedError> {
  const error = await run.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(TestFailedError);
  return error as TestFailedError;
}

let scratch: string;
/** A directory the attacker owns, like their home or a /tmp entry they made. */
let attacker: string;
/** What the attacker wants root to destroy: a victim's files, owned by the victim. */
let victim: string;
let savedStateDir: string | undefined;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'pk-symlink-'));
  chmodSync(scratch, 0o755); // the attacker must be able to reach their own directory inside
  attacker = join(scratch, 'attacker');
  mkdirSync(attacker);
  chownSync(attacker, NOBODY, NOBODY);
  victim = join(scratch, 'victim');
  for (const dir of ['notes', 'music', DEAD]) {
    mkdirSync(join(victim, dir), { recursive: true });
    writeFileSync(join(victim, dir, 'precious'), 'do not delete');
  }
  savedStateDir = process.env.PAKOSTII_STATE_DIR;
  const state = join(scratch, 'state');
  mkdirSync(state, { mode: 0o700 });
  process.env.PAKOSTII_STATE_DIR = state;
});

afterAll(() => {
  if (savedStateDir === undefined) delete process.env.PAKOSTII_STATE_DIR;
  else process.env.PAKOSTII_STATE_DIR = savedStateDir;
  rmSync(scratch, { recursive: true, force: true });
});

function victimIntact(): void {
  expect(readdirSync(victim).sort()).toEqual([DEAD, 'music', 'notes'].sort());
  for (const dir of ['notes', 'music', DEAD]) expect(existsSync(join(victim, dir, 'precious'))).toBe(true);
}

describe('F1: scratch files never go where another user can redirect them', () => {
  it('refuses a scratch base the attacker created first (e.g. /tmp/pakostii after a reboot)', async () => {
    const base = join(attacker, 'pakostii');
    asNobody('mkdir', '-m', '0777', base);
    const error = await failureOf(new Test('f1-foreign-base', oneNode(), { workDir: base }).run(() => undefined));
    expect(error.message).toMatch(/refusing the scratch base .*owned by uid 65534/);
    expect(readdirSync(base)).toEqual([]); // root wrote nothing there
  });

  it('refuses a scratch base that is the attacker’s symlink to somewhere else', async () => {
    const base = join(attacker, 'redirect');
    asNobody('ln', '-s', victim, base);
    const error = await failureOf(new Test('f1-symlink-base', oneNode(), { workDir: base }).run(() => undefined));
    expect(error.message).toMatch(/refusing the scratch base .*(symbolic link|owned by uid)/);
    victimIntact();
  });

  it('refuses a base under the attacker’s symlinked directory', async () => {
    asNobody('ln', '-s', victim, join(attacker, 'up'));
    const error = await failureOf(new Test('f1-symlink-parent', oneNode(), { workDir: join(attacker, 'up', 'notes') }).run(() => undefined));
    expect(error.message).toMatch(/refusing the scratch base/);
    victimIntact();
  });
});

describe('F3: artifacts and container logs never go where another user can redirect them', () => {
  it('refuses an artifacts base that is the attacker’s symlink (root would append logs wherever it points)', async () => {
    const base = join(attacker, 'artifacts-link');
    asNobody('ln', '-s', victim, base);
    const error = await failureOf(new Test('f3-symlink-base', oneNode(), { artifactsDir: base }).run(() => undefined));
    expect(error.message).toMatch(/refusing the artifacts base .*(symbolic link|owned by uid 65534)/);
    victimIntact();
  });

  it('refuses an artifacts base inside a directory the attacker owns (they could swap it for a symlink mid-run)', async () => {
    const base = join(attacker, 'artifacts');
    const error = await failureOf(new Test('f3-foreign-parent', oneNode(), { artifactsDir: base }).run(() => undefined));
    expect(error.message).toMatch(/refusing the artifacts base .*lies under .*attacker, owned by uid 65534/);
    expect(existsSync(base)).toBe(false); // not even created
  });

  it('refuses an artifacts base under a directory every user may write (not sticky)', async () => {
    const open = join(scratch, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const error = await failureOf(new Test('f3-open-parent', oneNode(), { artifactsDir: join(open, 'artifacts') }).run(() => undefined));
    expect(error.message).toMatch(/refusing the artifacts base .*which every user may write \(mode 777, not sticky\)/);
    expect(readdirSync(open)).toEqual([]);
  });

  it('F3/F13: a run’s artifacts and scratch files are root’s, unreadable by others, and nobody can plant a symlink in them', async () => {
    const base = join(scratch, 'artifacts');
    const workBase = join(scratch, 'work');
    let during: { work: number; planted: boolean } | undefined;
    const result = await new Test('f13-modes', oneNode(), { artifactsDir: base, workDir: workBase }).run((t) => {
      const work = statSync(join(workBase, t.id)).mode & 0o7777;
      // The attacker tries to plant a symlink where the shim's log writer appends as root.
      let planted = true;
      try {
        asNobody('ln', '-s', join(victim, 'notes', 'precious'), join(t.artifactsDir, 'logs', 'n1', 'main', 'evil'));
      } catch {
        planted = false;
      }
      during = { work, planted };
    });
    expect(during).toEqual({ work: 0o700, planted: false });
    const dir = result.artifactsDir;
    const mode = (path: string) => lstatSync(path).mode & 0o7777;
    expect(mode(dir) & 0o777).toBe(0o750);
    expect(lstatSync(dir).uid).toBe(0);
    for (const sub of ['logs', 'logs/n1', 'logs/n1/main']) expect(mode(join(dir, sub)) & 0o007, sub).toBe(0);
    for (const file of ['run.json', 'faults.jsonl', 'report.html', 'logs/n1/main/stdout', 'logs/n1/main/stderr']) {
      expect(mode(join(dir, file)), file).toBe(0o640);
    }
    // Others cannot read a thing; the victim's file was never appended to.
    expect(() => asNobody('cat', join(dir, 'run.json'))).toThrow();
    expect(readFileSync(join(victim, 'notes', 'precious'), 'utf8')).toBe('do not delete');
  }, 120_000);
});

describe('F15: the state dir (what the containerd shim runs as root) is checked', () => {
  it('refuses a world-writable state dir before writing anything into it', async () => {
    const state = join(scratch, 'open-state');
    mkdirSync(state, { mode: 0o777 });
    chmodSync(state, 0o777);
    const saved = process.env.PAKOSTII_STATE_DIR;
    process.env.PAKOSTII_STATE_DIR = state;
    try {
      const error = await failureOf(new Test('f15-open-state', oneNode()).run(() => undefined));
      expect(error.message).toMatch(/refusing the state dir .*writable by group or others/);
      expect(readdirSync(state)).toEqual([]);
    } finally {
      process.env.PAKOSTII_STATE_DIR = saved;
    }
  });

  it('refuses a state dir another user owns', async () => {
    const state = join(attacker, 'state');
    asNobody('mkdir', '-m', '0755', state);
    const saved = process.env.PAKOSTII_STATE_DIR;
    process.env.PAKOSTII_STATE_DIR = state;
    try {
      const error = await failureOf(new Test('f15-foreign-state', oneNode()).run(() => undefined));
      expect(error.message).toMatch(/refusing the state dir .*owned by uid 65534/);
      expect(readdirSync(state)).toEqual([]);
    } finally {
      process.env.PAKOSTII_STATE_DIR = saved;
    }
  });
});

describe('F2: the janitor deletes only what it can prove is a run’s', () => {
  it('never lists (so never deletes) five-letter directories behind a symlinked scratch base', () => {
    const base = join(attacker, 'pakostii-link');
    asNobody('ln', '-s', victim, base);
    const inventory = takeInventory({ workBases: [base] });
    const listed = [...inventory.values()].flatMap((l) => l.workDirs);
    expect(listed).toEqual([]);
    victimIntact();
  });

  it('refuses to remove a dead run’s recorded work dir that resolves through a symlink', async () => {
    const id = DEAD;
    const linkBase = join(attacker, 'runs-link');
    asNobody('ln', '-s', victim, linkBase);
    const runs = join(process.env.PAKOSTII_STATE_DIR!, 'runs');
    mkdirSync(runs, { recursive: true });
    // A record of a dead run (pid 1's start time never matches) naming a work dir behind the link.
    writeFileSync(
      join(runs, `${id}.json`),
      JSON.stringify({ version: 1, id, testName: 'dead', pid: 999_999, pidStartTime: '1', bootId: 'x', startedAt: new Date().toISOString(), bridge: names.bridge(id), workDir: join(linkBase, id), containerd: { socket: join(scratch, 'no-containerd.sock'), namespace: 'pakostii' } }),
    );
    const report = await cleanup({ runIds: [id] });
    victimIntact();
    expect(report.runs[0]?.errors.join('\n') ?? '').toMatch(new RegExp(`refusing to remove .*${DEAD}`));
    rmSync(join(runs, `${id}.json`), { force: true });
  });
});
