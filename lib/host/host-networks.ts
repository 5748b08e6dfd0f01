/**
 * The IPv4 networks this host routes or has an address in: the main table
 * (/proc/net/route), every table's prefixes (/proc/net/fib_trie) and the
 * interfaces' addresses. A run's subnet must overlap none of them; reading them
 * is apart from the claims so the parsers stay pure and unit-tested.
 */
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { networkOf, parseIpv4, type Cidr } from './cidr.js';

/** Networks of the main routing table (/proc/net/route: little-endian hex), default route excluded. */
export function parseProcNetRoute(text: string): Cidr[] {
  const result: Cidr[] = [];
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 8) continue;
    const dest = Buffer.from(cols[1]!, 'hex').readUInt32LE(0);
    const mask = Buffer.from(cols[7]!, 'hex').readUInt32LE(0);
    const prefix = mask.toString(2).replace(/0/g, '').length;
    if (prefix > 0) result.push(networkOf(dest, prefix));
  }
  return result;
}

/**
 * Route prefixes of every table (/proc/net/fib_trie leaves: "|-- a.b.c.d" then
 * "/len scope TYPE" lines), default routes excluded. Catches policy-routing
 * tables and local addresses that /proc/net/route does not show.
 */
export function parseFibTrie(text: string): Cidr[] {
  const result: Cidr[] = [];
  let leaf: number | undefined;
  for (const line of text.split('\n')) {
    const leafMatch = /\|-- (\d+\.\d+\.\d+\.\d+)\s*$/.exec(line);
    if (leafMatch) {
      leaf = parseIpv4(leafMatch[1]!);
      continue;
    }
    const prefixMatch = /^\s+\/(\d+) /.exec(line);
    if (prefixMatch && leaf !== undefined) {
      const prefix = Number(prefixMatch[1]);
      if (prefix > 0) result.push(networkOf(leaf, prefix));
    } else if (!/^\s+\/\d+/.test(line)) {
      leaf = undefined;
    }
  }
  return result;
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Every IPv4 network the host routes or has an address in. */
export function hostNetworks(): Cidr[] {
  const fromInterfaces: Cidr[] = [];
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) {
      if (a.family !== 'IPv4' || !a.cidr) continue;
      const [ip, len] = a.cidr.split('/');
      const address = parseIpv4(ip ?? '');
      if (address !== undefined) fromInterfaces.push(networkOf(address, Number(len)));
    }
  }
  return [...parseProcNetRoute(readOr('/proc/net/route')), ...parseFibTrie(readOr('/proc/net/fib_trie')), ...fromInterfaces];
}
