/**
 * IPv4 CIDR math for run subnets, pure (no host, no files): parse, format,
 * overlap, sizing and planning. Claims are per /24 block (subnet-claims.ts).
 */
import { SpecError } from '../errors.js';

/** Claims are per /24 block, so no subnet is smaller than this. */
export const BLOCK_PREFIX = 24;

/** An IPv4 network: `network` is the address as an unsigned 32-bit integer. */
export interface Cidr {
  readonly network: number;
  readonly prefix: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function parseIpv4(text: string): number | undefined {
  const m = IPV4.exec(text.trim());
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return octets.reduce((acc, o) => acc * 256 + o, 0);
}

export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

export function blockSize(prefix: number): number {
  return 2 ** (32 - prefix);
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIpv4(cidr.network)}/${cidr.prefix}`;
}

/** "a.b.c.d/len" → Cidr, or undefined when malformed or when host bits are set (strict: pools are typed by people). */
export function parseCidr(text: string): Cidr | undefined {
  const [ip, len, extra] = text.trim().split('/');
  if (ip === undefined || len === undefined || extra !== undefined || !/^\d{1,2}$/.test(len)) return undefined;
  const network = parseIpv4(ip);
  const prefix = Number(len);
  if (network === undefined || prefix > 32) return undefined;
  if (network % blockSize(prefix) !== 0) return undefined;
  return { network, prefix };
}

/** Network containing `address` with the given prefix (host bits cleared). */
export function networkOf(address: number, prefix: number): Cidr {
  const size = blockSize(prefix);
  return { network: address - (address % size), prefix };
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const aEnd = a.network + blockSize(a.prefix) - 1;
  const bEnd = b.network + blockSize(b.prefix) - 1;
  return a.network <= bEnd && b.network <= aEnd;
}

/**
 * Smallest prefix holding `addressCount` host addresses (runner + nodes) plus
 * the network and broadcast addresses, and never smaller than a /24:
 * 1..254 → /24, 1,000 → /22.
 */
export function prefixForAddresses(addressCount: number): number {
  if (!Number.isInteger(addressCount) || addressCount < 1) {
    throw new SpecError(`cannot size a subnet for ${addressCount} addresses: need a positive integer`);
  }
  const bits = Math.ceil(Math.log2(addressCount + 2));
  return Math.min(BLOCK_PREFIX, 32 - bits);
}

/**
 * First subnet of `prefix` inside `pool`, aligned to its size, that overlaps
 * none of `occupied` (host networks and other runs' claims). Pure.
 */
export function planSubnet(pool: Cidr, prefix: number, occupied: readonly Cidr[]): Cidr | undefined {
  if (prefix < pool.prefix) return undefined;
  const size = blockSize(prefix);
  const end = pool.network + blockSize(pool.prefix);
  // Only networks that intersect the pool matter; the default route (/0) is never passed in.
  const relevant = occupied.filter((o) => overlaps(o, pool));
  for (let network = pool.network; network + size <= end; network += size) {
    const candidate = { network, prefix };
    if (!relevant.some((o) => overlaps(o, candidate))) return candidate;
  }
  return undefined;
}

/** The /24 blocks a subnet covers (claim file names). */
export function blocksOf(cidr: Cidr): Cidr[] {
  const count = blockSize(cidr.prefix) / blockSize(BLOCK_PREFIX);
  return Array.from({ length: Math.max(1, count) }, (_, i) => ({ network: cidr.network + i * blockSize(BLOCK_PREFIX), prefix: BLOCK_PREFIX }));
}
