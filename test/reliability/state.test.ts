/**
 * Run registry and subnet claims under contention and crashes, with real
 * processes: exclusive registration, liveness that survives pid reuse, and
 * concurrent allocations from many processes never sharing a subnet.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  isRunAlive,
  listRuns,
  readRun,
  registerNewRun,
  registerRun,
  RunIdTakenError,
  runsDir,
  selfIdentity,
  unregisterRun,
  updateRun,
} from '../../lib/runtime/state.js';
import { overlaps, parseCidr, readClaimFiles } from '../../lib/runtime/subnet-pool.js';

let dir: string;
const saved = process.env.PAKOSTII_STATE_DIR;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pk-state-test-'));
  process.env.PAKOSTII_STATE_DIR = dir;
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  if (saved === undefined) delete process.env.PAKOSTII_STATE_DIR;
  else process.env.PAKOSTII_STATE_DIR = saved;
});

/** Spawns `node -e script` and resolves with its stdout once it exits. */
function node(script: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, ...env },
      cwd: new URL('../..', import.meta.url).pathname,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}: ${err}`))));
  });
}

describe('run registry', () => {
  it('records who owns the run, and an id can be registered only once', async () => {
    const record = await registerRun({ id: 'abcde', testName: 'registry', workDir: '/tmp/pakostii/abcde' });
    expect(record).toMatchObject({
      id: 'abcde',
      testName: 'registry',
      pid: process.pid,
      pidStartTime: expect.stringMatching(/^\d+$/),
      bridge: 'pkb-abcde',
      workDir: '/tmp/pakostii/abcde',
      containerd: { socket: '/run/containerd/containerd.sock', namespace: 'pakostii' },
    });
    // Field 22 of /proc/self/stat, as the record says.
    const stat = readFileSync('/proc/self/stat', 'utf8');
    expect(record.pidStartTime).toBe(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    expect(JSON.parse(readFileSync(join(runsDir(), 'abcde.json'), 'utf8'))).toEqual(record);
    await expect(registerRun({ id: 'abcde', testName: 'again' })).rejects.toBeInstanceOf(RunIdTakenError);
    expect((await readRun('abcde'))?.testName).toBe('registry');
    await expect(registerRun({ id: 'ABCDE', testName: 'x' })).rejects.toThrow(/5 lowercase letters/);
  });

  it('registerNewRun draws ids until one is free; updateRun and unregisterRun', async () => {
    const a = await registerNewRun({ testName: 'a' });
    const b = await registerNewRun({ testName: 'b' });
    expect(a.id).not.toBe(b.id);
    await updateRun(a.id, { subnet: '198.18.3.0/24' });
    expect((await readRun(a.id))?.subnet).toBe('198.18.3.0/24');
    expect((await listRuns()).map((r) => r.id).sort()).toEqual([a.id, b.id].sort());
    await unregisterRun(a.id);
    await unregisterRun(a.id); // idempotent
    expect((await listRuns()).map((r) => r.id)).toEqual([b.id]);
  });

  it('only one of many processes registering the same id at once wins', async () => {
    const script = `
      import { registerRun } from './lib/runtime/state.ts';
      try { await registerRun({ id: 'qqqqq', testName: 'race-' + process.pid }); console.log('won'); }
      catch (e) { console.log(e.constructor.name); }`;
    const outcomes = (await Promise.all(Array.from({ length: 6 }, () => node(script, { PAKOSTII_STATE_DIR: dir })))).map((o) => o.trim());
    expect(outcomes.filter((o) => o === 'won')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'RunIdTakenError')).toHaveLength(5);
  });

  it('a run is dead once its process is gone, even if the pid is reused', async () => {
    const me = await registerRun({ id: 'lives', testName: 'me' });
    expect(isRunAlive(me)).toBe(true);
    // Same pid, other start time: what pid reuse looks like.
    expect(isRunAlive({ ...me, pidStartTime: String(Number(me.pidStartTime) + 1) })).toBe(false);
    // Same pid and start time, other boot.
    expect(isRunAlive({ ...me, bootId: '00000000-0000-0000-0000-000000000000' })).toBe(false);
    // A process that registered and exited without unregistering (SIGKILL-like).
    await node(`import { registerRun } from './lib/runtime/state.ts'; await registerRun({ id: 'gonee', testName: 'gone' });`, {
      PAKOSTII_STATE_DIR: dir,
    });
    const gone = await readRun('gonee');
    expect(gone?.pid).not.toBe(process.pid);
    expect(isRunAlive(gone)).toBe(false);
    expect(isRunAlive(undefined)).toBe(false);
    expect(selfIdentity().pid).toBe(process.pid);
  });

  it('lists unreadable records so the janitor can remove them', async () => {
    await registerRun({ id: 'fineo', testName: 'fine' });
    writeFileSync(join(runsDir(), 'brokn.json'), '{"id": "bro');
    const runs = await listRuns();
    expect(runs.find((r) => r.id === 'brokn')).toEqual({ id: 'brokn', record: undefined });
    expect(runs.find((r) => r.id === 'fineo')?.record?.testName).toBe('fine');
  });
});

describe('subnet claims under contention', () => {
  it('8 processes allocating at once get 8 disjoint subnets of the right sizes', async () => {
    const script = (id: string, count: number) => `
      import { allocateSubnet } from './lib/runtime/subnet-pool.ts';
      console.log(allocateSubnet('${id}', ${count}).cidr);`;
    const requests = ['aaaaa', 'bbbbb', 'ccccc', 'ddddd', 'eeeee', 'fffff', 'ggggg', 'hhhhh'].map((id, i) => ({ id, count: i % 3 === 0 ? 600 : 10 }));
    const cidrs = (await Promise.all(requests.map((r) => node(script(r.id, r.count), { PAKOSTII_STATE_DIR: dir })))).map((o) => o.trim());
    const parsed = cidrs.map((c) => parseCidr(c)!);
    requests.forEach((r, i) => expect(parsed[i]!.prefix, cidrs[i]).toBe(r.count === 600 ? 22 : 24));
    for (let i = 0; i < parsed.length; i++) {
      for (let j = i + 1; j < parsed.length; j++) expect(overlaps(parsed[i]!, parsed[j]!), `${cidrs[i]} vs ${cidrs[j]}`).toBe(false);
    }
    // The claim files name their runs; the processes are gone, so the next allocation may reclaim them.
    expect(new Set(readClaimFiles().map((c) => c.claim?.runId))).toEqual(new Set(requests.map((r) => r.id)));
  }, 60_000);
});
