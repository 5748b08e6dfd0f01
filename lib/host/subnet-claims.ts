/**
 * Per-run IPv4 subnets from a pool (default 198.18.0.0/15, the RFC 2544
 * benchmarking range, which real networks should not use).
 *
 * A subnet never overlaps a route or address of the host, nor the subnet of
 * another live run. Claims are files under <state dir>/subnets/, one per /24
 * block the subnet covers (a /22 claims four), each created atomically and
 * exclusively (write a temp file, then link(2), which fails with EEXIST): two
 * runs racing for the same block cannot both win, whatever their subnet sizes.
 * A claim names its run and owning process; claims of dead processes are
 * reclaimed by the next allocation or by the janitor.
 *
 * The planning logic (cidr.ts: `planSubnet`, `prefixForAddresses`) is pure and
 * unit-tested with fake host networks; host-networks.ts reads the host's routes;
 * this file holds the claims and the allocation.
 */
import { linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { PakostiiError, SpecError } from '../errors.js';
import { BLOCK_PREFIX, blocksOf, blockSize, formatCidr, formatIpv4, overlaps, parseCidr, parseIpv4, planSubnet, prefixForAddresses, type Cidr } from './cidr.js';
import { hostNetworks } from './host-networks.js';
import { claimsDir } from './paths.js';
import { isProcessAlive, selfIdentity, type ProcessIdentity } from './process-identity.js';

export const DEFAULT_SUBNET_POOL = '198.18.0.0/15';
export const SUBNET_POOL_ENV = 'PAKOSTII_SUBNET_POOL';
// ---------------------------------------------------------------- claims

export interface SubnetClaim extends ProcessIdentity {
  readonly runId: string;
  /** The whole subnet this block belongs to, e.g. "198.18.4.0/22". */
  readonly cidr: string;
}

export interface ClaimFile {
  /** File name: the /24 block, e.g. "198.18.5.0". */
  readonly block: string;
  readonly path: string;
  /** Undefined when unreadable (treated as taken; see readClaimFiles). */
  readonly claim: SubnetClaim | undefined;
}

function readClaim(path: string): SubnetClaim | undefined {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as Partial<SubnetClaim>;
    return typeof value.runId === 'string' && typeof value.pid === 'number' ? (value as SubnetClaim) : undefined;
  } catch {
    return undefined;
  }
}

/** Claim files (temp files excluded). A claim appears complete or not at all (link), so unreadable ones are foreign: keep them. */
export function readClaimFiles(): ClaimFile[] {
  let entries: string[];
  try {
    entries = readdirSync(claimsDir());
  } catch {
    return [];
  }
  return entries
    .filter((name) => parseIpv4(name) !== undefined)
    .map((block) => {
      const path = join(claimsDir(), block);
      return { block, path, claim: readClaim(path) };
    });
}

/** Reclaims are serialised by this directory (mkdir is atomic); a lock older than this was left by a crash. */
const RECLAIM_LOCK = '.reclaim.lock';
const STALE_LOCK_MS = 10_000;

const LOCK_ATTEMPTS = 100;
const LOCK_RETRY_MS = 2;
const pause = new Int32Array(new SharedArrayBuffer(4));

/** mkdir the lock; true when taken. Breaks a stale lock (its holder crashed). */
function tryLock(lock: string): boolean {
  try {
    mkdirSync(lock);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return false;
    try {
      if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) rmdirSync(lock);
    } catch {
      // released meanwhile
    }
    return false;
  }
}

/**
 * Runs `fn` holding the reclaim lock (held for well under a millisecond, so a
 * short synchronous wait is enough); undefined (nothing done) when it stays
 * busy — the dead claim then stays taken until the next allocation or cleanup.
 */
function withReclaimLock<T>(fn: () => T): T | undefined {
  const lock = join(claimsDir(), RECLAIM_LOCK);
  let locked = false;
  for (let attempt = 0; attempt < LOCK_ATTEMPTS && !locked; attempt++) {
    locked = tryLock(lock);
    if (!locked) Atomics.wait(pause, 0, 0, LOCK_RETRY_MS);
  }
  if (!locked) return undefined;
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Remove a dead process's claim. Only reclaimers remove claims of other
 * processes, and they take turns (withReclaimLock), so once the file at the
 * path is re-read under the lock and its owner is dead, nobody can replace it
 * before the rename: a dead owner does not release, and a live allocator's
 * link() fails while the file exists. The rename-and-check stays as a last
 * guard (e.g. a lock broken as stale while still held).
 */
export function reclaimIfDead(file: ClaimFile): boolean {
  if (!file.claim || isProcessAlive(file.claim)) return false;
  return (
    withReclaimLock(() => {
      const current = readClaim(file.path);
      if (!current || isProcessAlive(current)) return false;
      const tomb = `${file.path}.reclaim.${process.pid}.${randomBytes(4).toString('hex')}`;
      try {
        renameSync(file.path, tomb);
      } catch {
        return false; // gone already
      }
      const taken = readClaim(tomb);
      if (taken && isProcessAlive(taken)) {
        try {
          linkSync(tomb, file.path);
        } catch {
          // a third party claimed the block meanwhile (only possible with a broken lock)
        }
        unlinkSync(tomb);
        return false;
      }
      unlinkSync(tomb);
      return true;
    }) ?? false
  );
}

/** Remove every claim of run `runId` (teardown; janitor). Missing claims are fine. */
export function releaseSubnet(runId: string): void {
  for (const file of readClaimFiles()) {
    if (file.claim?.runId !== runId) continue;
    try {
      unlinkSync(file.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

function tryClaim(cidr: Cidr, runId: string): boolean {
  mkdirSync(claimsDir(), { recursive: true, mode: 0o755 });
  const claim: SubnetClaim = { runId, cidr: formatCidr(cidr), ...selfIdentity() };
  const temp = join(claimsDir(), `.${runId}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  writeFileSync(temp, `${JSON.stringify(claim)}\n`, { mode: 0o644 });
  const claimed: string[] = [];
  try {
    for (const block of blocksOf(cidr)) {
      const path = join(claimsDir(), formatIpv4(block.network));
      try {
        linkSync(temp, path);
        claimed.push(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        for (const p of claimed) unlinkSync(p);
        return false;
      }
    }
    return true;
  } finally {
    unlinkSync(temp);
  }
}

// ---------------------------------------------------------------- allocation

export interface RunSubnet {
  /** e.g. "198.18.4.0/22" */
  readonly cidr: string;
  readonly prefix: number;
  /** Network address, e.g. "198.18.4.0". */
  readonly network: string;
  /** Host addresses available (size - network - broadcast). */
  readonly capacity: number;
  /** Address of member `index` (0 = runner, nodes 1..n): network + 1 + index. */
  address(index: number): string;
}

export interface SubnetPoolOptions {
  /** Pool CIDR; default: $PAKOSTII_SUBNET_POOL, else 198.18.0.0/15. */
  pool?: string;
}

export function resolvePool(option?: string): Cidr {
  const text = option ?? process.env[SUBNET_POOL_ENV] ?? DEFAULT_SUBNET_POOL;
  const pool = parseCidr(text);
  if (!pool || pool.prefix > BLOCK_PREFIX) {
    const from = option !== undefined ? 'the subnetPool option' : `${SUBNET_POOL_ENV}`;
    throw new SpecError(`invalid subnet pool "${text}" (from ${from})`, {
      hint: `give an IPv4 network of /${BLOCK_PREFIX} or larger with host bits clear, e.g. ${SUBNET_POOL_ENV}=10.123.0.0/16`,
    });
  }
  const reserved = UNUSABLE_RANGES.find((range) => overlaps(pool, range.cidr));
  if (reserved) {
    const from = option !== undefined ? 'the subnetPool option' : `${SUBNET_POOL_ENV}`;
    throw new SpecError(`subnet pool "${text}" (from ${from}) overlaps ${formatCidr(reserved.cidr)}, ${reserved.what}: nodes cannot have those addresses`, {
      hint: `give a private or benchmarking network, e.g. ${SUBNET_POOL_ENV}=10.123.0.0/16 (default ${DEFAULT_SUBNET_POOL})`,
    });
  }
  return pool;
}

/** Addresses an interface cannot usefully have: the kernel rejects them, or they mean something else on the wire. */
const UNUSABLE_RANGES: ReadonlyArray<{ cidr: Cidr; what: string }> = [
  { text: '0.0.0.0/8', what: '"this network" (not a host address)' },
  { text: '127.0.0.0/8', what: 'loopback' },
  { text: '169.254.0.0/16', what: 'link-local' },
  { text: '224.0.0.0/4', what: 'multicast' },
  { text: '240.0.0.0/4', what: 'reserved (and broadcast)' },
].map(({ text, what }) => ({ cidr: parseCidr(text)!, what }));

function toRunSubnet(cidr: Cidr): RunSubnet {
  const capacity = blockSize(cidr.prefix) - 2;
  return Object.freeze({
    cidr: formatCidr(cidr),
    prefix: cidr.prefix,
    network: formatIpv4(cidr.network),
    capacity,
    address(index: number): string {
      if (!Number.isInteger(index) || index < 0 || index + 1 > capacity) {
        throw new RangeError(`member index ${index} is outside subnet ${formatCidr(cidr)} (${capacity} addresses)`);
      }
      return formatIpv4(cidr.network + 1 + index);
    },
  });
}

/**
 * Claim a subnet for `addressCount` members (runner + nodes) of run `runId`.
 * Synchronous: a handful of small tmpfs files. Throws a PakostiiError with a
 * hint when the pool has no free subnet of the needed size.
 */
export function allocateSubnet(runId: string, addressCount: number, options: SubnetPoolOptions = {}): RunSubnet {
  const pool = resolvePool(options.pool);
  const prefix = prefixForAddresses(addressCount);
  if (prefix < pool.prefix) {
    throw new SpecError(`a cluster of ${addressCount - 1} nodes needs a /${prefix} subnet, larger than the pool ${formatCidr(pool)}`, {
      hint: `set ${SUBNET_POOL_ENV} to a larger network (e.g. 10.0.0.0/8) or use fewer nodes`,
    });
  }
  // Another run may win the race for the planned blocks: re-plan and retry.
  for (let attempt = 0; attempt < 32; attempt++) {
    const taken: Cidr[] = [];
    for (const file of readClaimFiles()) {
      if (reclaimIfDead(file)) continue;
      taken.push(parseCidr(`${file.block}/${BLOCK_PREFIX}`)!);
    }
    const host = hostNetworks();
    const candidate = planSubnet(pool, prefix, [...host, ...taken]);
    if (!candidate) {
      throw new PakostiiError(
        `no free /${prefix} subnet in pool ${formatCidr(pool)} for run "${runId}" ` +
          `(${taken.length} /24 blocks claimed by other runs, ${host.filter((h) => overlaps(h, pool)).length} host networks inside the pool)`,
        { hint: `run \`pakostii cleanup\` to release subnets of dead runs, or set ${SUBNET_POOL_ENV} to an unused network, e.g. 10.123.0.0/16` },
      );
    }
    if (tryClaim(candidate, runId)) return toRunSubnet(candidate);
  }
  throw new PakostiiError(`could not claim a subnet for run "${runId}" in ${formatCidr(pool)}: too many concurrent runs raced for it`, {
    hint: 'retry the run',
  });
}
