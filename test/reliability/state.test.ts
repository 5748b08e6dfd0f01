/**
 * Run registry and subnet claims under contention and crashes, with real
 * processes: exclusive registration, liveness that survives pid reuse, and
 * concurrent allocations from many processes never sharing a subnet.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRunAlive, listRuns, readRun, registerNewRun, registerRun, RunIdTakenError, unregisterRun, updateRun } from '../../lib/host/run-records.js';
import { runsDir } from '../../lib/host/paths.js';
import { selfIdentity } from '../../lib/host/process-identity.js';
import { overlaps, parseCidr } from '../../lib/host/cidr.js';
import { readClaimFiles } from '../../lib/host/subnet-claims.js';

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
      containerd: { socket: process.env.PAKOSTII_CONTAINERD_SOCKET ?? '/run/containerd/containerd.sock', namespace: 'pakostii' },
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
      import { registerRun } from './lib/host/run-records.ts';
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
    await node(`import { registerRun } from './lib/host/run-records.ts'; await registerRun({ id: 'gonee', testName: 'gone' });`, {
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

/**
 * Like node(), but the child stays alive (holding its claims, as a run does)
 * until every child has printed: resolves with each child's first line, then
 * closes their stdin so they exit. A child that exits early would make its
 * claims dead, and reclaiming dead claims is correct, not an overlap.
 */
async function allAlive(scripts: string[], env: NodeJS.ProcessEnv): Promise<string[]> {
  const children = scripts.map((script) =>
    spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, ...env },
      cwd: new URL('../..', import.meta.url).pathname,
      stdio: ['pipe', 'pipe', 'pipe'],
    }),
  );
  const exited = children.map((child) => new Promise<void>((resolve) => child.on('exit', () => resolve())));
  try {
    return await Promise.all(
      children.map(
        (child) =>
          new Promise<string>((resolve, reject) => {
            let out = '';
            let err = '';
            child.stdout.on('data', (d: Buffer) => {
              out += d.toString();
              if (out.includes('\n')) resolve(out.split('\n')[0]!.trim());
            });
            child.stderr.on('data', (d: Buffer) => (err += d.toString()));
            child.on('exit', (code) => reject(new Error(`child exited ${code} before answering: ${err}`)));
          }),
      ),
    );
  } finally {
    for (const child of children) child.stdin.end();
    await Promise.all(exited);
  }
}

describe('subnet claims under contention', () => {
  it('8 live processes allocating at once get 8 disjoint subnets of the right sizes', async () => {
    const script = (id: string, count: number) => `
      import { allocateSubnet } from './lib/host/subnet-claims.ts';
      console.log(allocateSubnet('${id}', ${count}).cidr);
      process.stdin.resume();
      process.stdin.on('end', () => process.exit(0));`;
    const requests = ['aaaaa', 'bbbbb', 'ccccc', 'ddddd', 'eeeee', 'fffff', 'ggggg', 'hhhhh'].map((id, i) => ({ id, count: i % 3 === 0 ? 600 : 10 }));
    const cidrs = await allAlive(
      requests.map((r) => script(r.id, r.count)),
      { PAKOSTII_STATE_DIR: dir },
    );
    const parsed = cidrs.map((c) => parseCidr(c)!);
    requests.forEach((r, i) => expect(parsed[i]!.prefix, cidrs[i]).toBe(r.count === 600 ? 22 : 24));
    for (let i = 0; i < parsed.length; i++) {
      for (let j = i + 1; j < parsed.length; j++) expect(overlaps(parsed[i]!, parsed[j]!), `${cidrs[i]} vs ${cidrs[j]}`).toBe(false);
    }
    // The claim files name their runs; the processes are gone, so the next allocation may reclaim them.
    expect(new Set(readClaimFiles().map((c) => c.claim?.runId))).toEqual(new Set(requests.map((r) => r.id)));
  }, 60_000);

  it('live processes reclaiming dead claims at once never end up sharing a block', async () => {
    // A pool of 6 blocks, all claimed by a process that is gone: every allocation must reclaim one.
    const dead = await new Promise<{ pid: number; pidStartTime: string; bootId: string }>((resolve) => {
      const child = spawn('sleep', ['60']);
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      const identity = {
        pid: child.pid!,
        pidStartTime: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!,
        bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
      };
      child.on('exit', () => resolve(identity));
      child.kill('SIGKILL');
    });
    mkdirSync(join(dir, 'subnets'), { recursive: true });
    for (let block = 0; block < 6; block++) {
      writeFileSync(join(dir, 'subnets', `198.18.${block}.0`), JSON.stringify({ runId: 'deadx', cidr: `198.18.${block}.0/24`, ...dead }));
    }
    const ids = ['kaaaa', 'kbbbb', 'kcccc', 'kdddd', 'keeee', 'kffff'];
    const script = (id: string) => `
      import { allocateSubnet } from './lib/host/subnet-claims.ts';
      console.log(allocateSubnet('${id}', 10, { pool: '198.18.0.0/21' }).cidr);
      process.stdin.resume();
      process.stdin.on('end', () => process.exit(0));`;
    const cidrs = await allAlive(ids.map(script), { PAKOSTII_STATE_DIR: dir });
    expect(new Set(cidrs).size, cidrs.join(' ')).toBe(ids.length);
    // Every claim file now belongs to exactly one of the live allocators, none to the dead run.
    const owners = readClaimFiles().map((c) => c.claim?.runId);
    expect(owners.filter((o) => o === 'deadx').length + new Set(owners.filter((o) => o !== 'deadx')).size).toBe(owners.length);
    for (const [i, cidr] of cidrs.entries()) {
      expect(readClaimFiles().find((c) => `${c.block}/24` === cidr)?.claim?.runId, cidr).toBe(ids[i]);
    }
  }, 60_000);
});
