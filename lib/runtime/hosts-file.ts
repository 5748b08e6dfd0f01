/**
 * /etc/hosts of every container: all node names → their IPs, so services find
 * each other by node name (etcd's advertise URLs use them). Written once per
 * run under the work dir and bind-mounted read-only.
 */
import { writeFile } from 'node:fs/promises';

export function hostsFileContent(nodes: ReadonlyArray<{ name: string; ip: string }>): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
  for (const node of nodes) lines.push(`${node.ip}\t${node.name}`);
  return `${lines.join('\n')}\n`;
}

export async function writeHostsFile(path: string, nodes: ReadonlyArray<{ name: string; ip: string }>): Promise<void> {
  await writeFile(path, hostsFileContent(nodes), { mode: 0o644 });
}
