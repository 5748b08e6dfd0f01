import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PakostiiError, SpecError } from '../../lib/errors.js';
import { parseFibTrie, parseProcNetRoute } from '../../lib/host/host-networks.js';
import { allocateSubnet, releaseSubnet, resolvePool } from '../../lib/host/subnet-claims.js';
import { blocksOf, formatCidr, overlaps, parseCidr, parseIpv4, planSubnet, prefixForAddresses } from '../../lib/host/cidr.js';
import { claimsDir } from '../../lib/host/paths.js';

const cidr = (text: string) => {
  const parsed = parseCidr(text);
  if (!parsed) throw new Error(`bad test cidr ${text}`);
  return parsed;
};
const POOL = cidr('198.18.0.0/15');

describe('subnet sizing', () => {
  it('uses a /24 up to 254 addresses and grows beyond (runner + nodes + network + broadcast)', () => {
    expect(prefixForAddresses(1)).toBe(24);
    expect(prefixForAddresses(254)).toBe(24);
    expect(prefixForAddresses(255)).toBe(23);
    expect(prefixForAddresses(301)).toBe(23); // 300 nodes + runner
    expect(prefixForAddresses(1001)).toBe(22); // 1,000 nodes + runner
    expect(prefixForAddresses(1022)).toBe(22);
    expect(prefixForAddresses(1023)).toBe(21);
  });

  it('rejects a non-positive count', () => {
    expect(() => prefixForAddresses(0)).toThrow(SpecError);
    expect(() => prefixForAddresses(2.5)).toThrow(/positive integer/);
  });
});

describe('CIDR parsing', () => {
  it('parses networks and rejects host bits, bad octets and junk', () => {
    expect(parseCidr('198.18.0.0/15')).toEqual({ network: parseIpv4('198.18.0.0'), prefix: 15 });
    expect(parseCidr('198.19.0.0/15')).toBeUndefined(); // host bit set
    expect(parseCidr('10.0.0.256/24')).toBeUndefined();
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(parseCidr('10.0.0.0')).toBeUndefined();
    expect(parseCidr('10.0.0.0/8/1')).toBeUndefined();
    expect(parseCidr('ten/8')).toBeUndefined();
  });

  it('blocksOf splits a subnet into its /24 claim blocks', () => {
    expect(blocksOf(cidr('198.18.4.0/22')).map(formatCidr)).toEqual(['198.18.4.0/24', '198.18.5.0/24', '198.18.6.0/24', '198.18.7.0/24']);
    expect(blocksOf(cidr('198.18.9.0/24')).map(formatCidr)).toEqual(['198.18.9.0/24']);
  });

  it('overlap is symmetric and covers containment', () => {
    expect(overlaps(cidr('10.0.0.0/8'), cidr('10.1.2.0/24'))).toBe(true);
    expect(overlaps(cidr('10.1.2.0/24'), cidr('10.0.0.0/8'))).toBe(true);
    expect(overlaps(cidr('10.1.2.0/24'), cidr('10.1.3.0/24'))).toBe(false);
  });
});

describe('planSubnet (pure)', () => {
  it('takes the first free aligned subnet of the pool', () => {
    expect(formatCidr(planSubnet(POOL, 24, [])!)).toBe('198.18.0.0/24');
    expect(formatCidr(planSubnet(POOL, 22, [])!)).toBe('198.18.0.0/22');
  });

  it('skips host routes and addresses that overlap', () => {
    const host = [cidr('198.18.0.0/24'), cidr('198.18.1.7/32'), cidr('192.168.0.0/16')];
    expect(formatCidr(planSubnet(POOL, 24, host)!)).toBe('198.18.2.0/24');
  });

  it('skips other runs’ claims and keeps larger subnets aligned to their size', () => {
    const claims = [cidr('198.18.0.0/24'), cidr('198.18.5.0/24')];
    // /22 candidates: 198.18.0.0 (claim) → 198.18.4.0 (claim at .5) → 198.18.8.0
    expect(formatCidr(planSubnet(POOL, 22, claims)!)).toBe('198.18.8.0/22');
    expect(formatCidr(planSubnet(POOL, 24, claims)!)).toBe('198.18.1.0/24');
  });

  it('returns undefined when the pool is exhausted or covered by a host route', () => {
    const pool = cidr('10.9.0.0/23');
    expect(planSubnet(pool, 24, [cidr('10.9.0.0/24'), cidr('10.9.1.0/24')])).toBeUndefined();
    expect(planSubnet(pool, 24, [cidr('10.0.0.0/8')])).toBeUndefined();
    expect(planSubnet(pool, 22, [])).toBeUndefined(); // larger than the pool
  });

  it('ignores networks outside the pool', () => {
    expect(formatCidr(planSubnet(POOL, 24, [cidr('10.0.0.0/8'), cidr('198.20.0.0/16')])!)).toBe('198.18.0.0/24');
  });
});

describe('host network parsing', () => {
  it('reads /proc/net/route (little-endian hex) without the default route', () => {
    const text = [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
      'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
      'tun0\t000012C6\t00000000\t0001\t0\t0\t0\t0000FEFF\t0\t0\t0',
    ].join('\n');
    expect(parseProcNetRoute(text).map(formatCidr)).toEqual(['192.0.2.0/24', '198.18.0.0/15']);
  });

  it('reads route prefixes of every table from /proc/net/fib_trie leaves', () => {
    const text = [
      'Main:',
      '  +-- 0.0.0.0/0 3 0 5',
      '     |-- 0.0.0.0',
      '        /0 universe UNICAST',
      '     +-- 198.18.0.0/16 2 0 2',
      '        |-- 198.18.4.0',
      '           /22 link UNICAST',
      '        |-- 198.18.9.1',
      '           /32 host LOCAL',
      'Local:',
      '  +-- 127.0.0.0/8 2 0 2',
      '     |-- 127.0.0.0',
      '        /8 host LOCAL',
    ].join('\n');
    // Trie nodes ("+--") are not routes; leaves with their prefix lengths are.
    expect(parseFibTrie(text).map(formatCidr)).toEqual(['198.18.4.0/22', '198.18.9.1/32', '127.0.0.0/8']);
  });
});

describe('pool configuration', () => {
  const saved = process.env.PAKOSTII_SUBNET_POOL;
  afterEach(() => {
    if (saved === undefined) delete process.env.PAKOSTII_SUBNET_POOL;
    else process.env.PAKOSTII_SUBNET_POOL = saved;
  });

  it('defaults to 198.18.0.0/15, honours the option over PAKOSTII_SUBNET_POOL', () => {
    delete process.env.PAKOSTII_SUBNET_POOL;
    expect(formatCidr(resolvePool())).toBe('198.18.0.0/15');
    process.env.PAKOSTII_SUBNET_POOL = '10.77.0.0/16';
    expect(formatCidr(resolvePool())).toBe('10.77.0.0/16');
    expect(formatCidr(resolvePool('10.88.0.0/20'))).toBe('10.88.0.0/20');
  });

  it('rejects an invalid pool with a hint naming the variable', () => {
    process.env.PAKOSTII_SUBNET_POOL = '10.77.0.1/16';
    expect(() => resolvePool()).toThrow(SpecError);
    expect(() => resolvePool()).toThrow(/PAKOSTII_SUBNET_POOL.*\n.*hint: .*PAKOSTII_SUBNET_POOL=/s);
    expect(() => resolvePool('10.0.0.0/25')).toThrow(/invalid subnet pool "10.0.0.0\/25" \(from the subnetPool option\)/);
  });
});

describe('allocateSubnet with claim files', () => {
  let dir: string;
  const savedStateDir = process.env.PAKOSTII_STATE_DIR;
  const savedPool = process.env.PAKOSTII_SUBNET_POOL;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pk-subnet-test-'));
    process.env.PAKOSTII_STATE_DIR = dir;
    // A pool no cluster on this host uses: runs active alongside the suite put their subnets on host
    // interfaces (the default pool), and a subnet with a host address is never handed out.
    process.env.PAKOSTII_SUBNET_POOL = '10.213.0.0/16';
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    if (savedStateDir === undefined) delete process.env.PAKOSTII_STATE_DIR;
    else process.env.PAKOSTII_STATE_DIR = savedStateDir;
    if (savedPool === undefined) delete process.env.PAKOSTII_SUBNET_POOL;
    else process.env.PAKOSTII_SUBNET_POOL = savedPool;
  });

  it('gives concurrent runs disjoint subnets and releases them by run id', () => {
    const a = allocateSubnet('aaaaa', 3);
    const big = allocateSubnet('bbbbb', 1001);
    const c = allocateSubnet('ccccc', 3);
    expect(a.cidr).toBe('10.213.0.0/24');
    expect(big.cidr).toBe('10.213.4.0/22');
    expect(c.cidr).toBe('10.213.1.0/24');
    expect(big.capacity).toBe(1022);
    expect(big.address(0)).toBe('10.213.4.1'); // runner
    expect(big.address(1000)).toBe('10.213.7.233');
    expect(() => big.address(1022)).toThrow(RangeError);
    expect(readdirSync(claimsDir()).sort()).toEqual(['10.213.0.0', '10.213.1.0', '10.213.4.0', '10.213.5.0', '10.213.6.0', '10.213.7.0']);
    const claim = JSON.parse(readFileSync(join(claimsDir(), '10.213.5.0'), 'utf8'));
    expect(claim).toMatchObject({ runId: 'bbbbb', cidr: '10.213.4.0/22', pid: process.pid });

    releaseSubnet('bbbbb');
    expect(readdirSync(claimsDir()).sort()).toEqual(['10.213.0.0', '10.213.1.0']);
    expect(allocateSubnet('ddddd', 3).cidr).toBe('10.213.2.0/24');
  });

  it('reclaims the claim of a dead process but never a live one', () => {
    mkdirSync(claimsDir(), { recursive: true });
    const dead = { runId: 'zzzzz', cidr: '10.213.0.0/24', pid: 2 ** 22 + 1, pidStartTime: '1', bootId: '' };
    writeFileSync(join(claimsDir(), '10.213.0.0'), JSON.stringify(dead));
    const live = allocateSubnet('aaaaa', 3);
    expect(live.cidr).toBe('10.213.0.0/24');
    expect(JSON.parse(readFileSync(join(claimsDir(), '10.213.0.0'), 'utf8')).runId).toBe('aaaaa');
    expect(allocateSubnet('bbbbb', 3).cidr).toBe('10.213.1.0/24');
  });

  it('treats an unreadable claim as taken (it may be someone else’s)', () => {
    mkdirSync(claimsDir(), { recursive: true });
    writeFileSync(join(claimsDir(), '10.213.0.0'), 'not json');
    expect(allocateSubnet('aaaaa', 3).cidr).toBe('10.213.1.0/24');
  });

  it('fails with a hint to set PAKOSTII_SUBNET_POOL when the pool is exhausted', () => {
    allocateSubnet('aaaaa', 3, { pool: '10.77.0.0/23' });
    allocateSubnet('bbbbb', 3, { pool: '10.77.0.0/23' });
    let error: unknown;
    try {
      allocateSubnet('ccccc', 3, { pool: '10.77.0.0/23' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PakostiiError);
    expect((error as PakostiiError).message).toMatch(/no free \/24 subnet in pool 10.77.0.0\/23 for run "ccccc" \(2 \/24 blocks claimed/);
    expect((error as PakostiiError).hint).toMatch(/pakostii cleanup.*PAKOSTII_SUBNET_POOL/);
    expect(() => allocateSubnet('ddddd', 1001, { pool: '10.77.0.0/23' })).toThrow(/needs a \/22 subnet, larger than the pool/);
  });

  it('never hands out a network the host has an address in', () => {
    const hostNet = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal && a.cidr);
    if (!hostNet?.cidr) return; // no external IPv4 interface on this machine
    const ip = parseIpv4(hostNet.address)!;
    // A /23 pool around the host's address: only the other /24 may be used.
    const pool = cidr(`${[24, 16, 8, 0].map((s) => Math.floor((ip - (ip % 512)) / 2 ** s) % 256).join('.')}/23`);
    const taken = formatCidr({ network: ip - (ip % 256), prefix: 24 });
    const got = allocateSubnet('aaaaa', 3, { pool: formatCidr(pool) });
    expect(got.cidr).not.toBe(taken);
    expect(overlaps(cidr(got.cidr), cidr(taken))).toBe(false);
  });
});
