/** Handcrafted Ethernet frames for BPF_PROG_TEST_RUN of the fault program. */

const ETH_P_IP = 0x0800;
const ETH_P_ARP = 0x0806;
const ETH_P_IPV6 = 0x86dd;
const ETH_P_LLDP = 0x88cc;

export const ETH_HEADER = 14;
export const IPV4_HEADER = 20;
export const ARP_IPV4 = 28;

function ipBytes(ip: string): number[] {
  return ip.split('.').map(Number);
}

function ethernet(ethertype: number, payload: number[]): Uint8Array {
  const frame = new Uint8Array(ETH_HEADER + payload.length);
  frame.set([0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, ethertype >> 8, ethertype & 0xff]);
  frame.set(payload, ETH_HEADER);
  return frame;
}

/** An IPv4 UDP datagram (8-byte UDP header, 4 bytes of payload). */
export function ipv4Frame(src: string, dst: string): Uint8Array {
  const totalLength = IPV4_HEADER + 12;
  const ip = [0x45, 0, totalLength >> 8, totalLength & 0xff, 0, 1, 0x40, 0, 64, 17, 0, 0, ...ipBytes(src), ...ipBytes(dst)];
  const udp = [0x30, 0x39, 0x30, 0x39, 0, 12, 0, 0, 0xde, 0xad, 0xbe, 0xef];
  return ethernet(ETH_P_IP, [...ip, ...udp]);
}

/** ARP for IPv4 over Ethernet: op 1 = request (who has tpa? tell spa), 2 = reply (spa is at sha). */
export function arpFrame(op: 1 | 2, senderIp: string, targetIp: string): Uint8Array {
  const sha = [0x02, 0, 0, 0, 0, 0x01];
  const tha = op === 1 ? [0, 0, 0, 0, 0, 0] : [0x02, 0, 0, 0, 0, 0x02];
  return ethernet(ETH_P_ARP, [0, 1, 0x08, 0x00, 6, 4, 0, op, ...sha, ...ipBytes(senderIp), ...tha, ...ipBytes(targetIp)]);
}

/** An IPv6 header whose bytes 12..19 would read as IPv4 addresses if mis-parsed as IPv4. */
export function ipv6Frame(ipv4LookAlikeSrc: string, ipv4LookAlikeDst: string): Uint8Array {
  const header = new Array<number>(40).fill(0);
  header[0] = 0x60;
  header.splice(12, 8, ...ipBytes(ipv4LookAlikeSrc), ...ipBytes(ipv4LookAlikeDst));
  return ethernet(ETH_P_IPV6, header);
}

export function lldpFrame(): Uint8Array {
  return ethernet(ETH_P_LLDP, [0x02, 0x07, 0x04, 0x02, 0, 0, 0, 0, 0x01, 0, 0]);
}
