/**
 * Just enough frame dissection for test plumbing (picking frames out of a
 * capture, checking what a client asked for). Deliberately independent of
 * src/wire: a test helper must not share the bugs of the codec under test.
 * Returns undefined for anything that is not what was asked for.
 */

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;

function u16(b: Uint8Array, off: number): number {
  return ((b[off] ?? 0) << 8) | (b[off + 1] ?? 0);
}

export function macAt(b: Uint8Array, off: number): string {
  return Array.from(b.subarray(off, off + 6), (x) => x.toString(16).padStart(2, '0')).join(':');
}

export interface EthernetPeek {
  dst: string;
  src: string;
  ethertype: number;
  payload: Uint8Array;
}

export function peekEthernet(frame: Uint8Array): EthernetPeek | undefined {
  if (frame.length < 14) return undefined;
  let ethertype = u16(frame, 12);
  let off = 14;
  if (ethertype === 0x8100 && frame.length >= 18) {
    ethertype = u16(frame, 16);
    off = 18;
  }
  return { dst: macAt(frame, 0), src: macAt(frame, 6), ethertype, payload: frame.subarray(off) };
}

export interface UdpPeek {
  family: 4 | 6;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

function ipv4Text(b: Uint8Array, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

function ipv6Text(b: Uint8Array, off: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(u16(b, off + i).toString(16));
  // Compress the longest run of zero groups (RFC 5952).
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

export interface Ipv6Peek {
  src: string;
  dst: string;
  hopLimit: number;
  /** Upper-layer protocol after skipping hop-by-hop/routing/destination-options headers. */
  nextHeader: number;
  payload: Uint8Array;
}

export function peekIpv6(frame: Uint8Array): Ipv6Peek | undefined {
  const eth = peekEthernet(frame);
  if (!eth || eth.ethertype !== ETHERTYPE_IPV6 || eth.payload.length < 40) return undefined;
  const ip = eth.payload;
  let next = ip[6]!;
  let off = 40;
  while ((next === 0 || next === 43 || next === 60) && off + 8 <= ip.length) {
    const len = (ip[off + 1]! + 1) * 8;
    next = ip[off]!;
    off += len;
  }
  if (off > ip.length) return undefined;
  return { src: ipv6Text(ip, 8), dst: ipv6Text(ip, 24), hopLimit: ip[7]!, nextHeader: next, payload: ip.subarray(off) };
}

export function peekUdp(frame: Uint8Array): UdpPeek | undefined {
  const eth = peekEthernet(frame);
  if (!eth) return undefined;
  if (eth.ethertype === ETHERTYPE_IPV4) {
    const ip = eth.payload;
    if (ip.length < 20 || ip[0]! >> 4 !== 4 || ip[9] !== 17) return undefined;
    const ihl = (ip[0]! & 0x0f) * 4;
    const udp = ip.subarray(ihl);
    if (udp.length < 8) return undefined;
    return { family: 4, src: ipv4Text(ip, 12), dst: ipv4Text(ip, 16), srcPort: u16(udp, 0), dstPort: u16(udp, 2), payload: udp.subarray(8) };
  }
  const v6 = peekIpv6(frame);
  if (!v6 || v6.nextHeader !== 17 || v6.payload.length < 8) return undefined;
  const udp = v6.payload;
  return { family: 6, src: v6.src, dst: v6.dst, srcPort: u16(udp, 0), dstPort: u16(udp, 2), payload: udp.subarray(8) };
}

export interface Dhcp4Peek {
  op: number;
  xid: number;
  flags: number;
  ciaddr: string;
  yiaddr: string;
  /** Next server (siaddr). */
  siaddr: string;
  chaddr: string;
  /** The BOOTP `file` field up to its first NUL (text, even when option 52 overloads it). */
  file: string;
  /** Option 53, when present. */
  messageType: number | undefined;
  /** Options in order of appearance (pad and end left out); a repeated code keeps its first occurrence. */
  options: Map<number, Uint8Array>;
}

/** A BOOTP/DHCPv4 message in a UDP port 67/68 frame. */
export function peekDhcp4(frame: Uint8Array): Dhcp4Peek | undefined {
  const udp = peekUdp(frame);
  if (!udp || udp.family !== 4 || ![67, 68].includes(udp.dstPort)) return undefined;
  const m = udp.payload;
  if (m.length < 240 || m[236] !== 99 || m[237] !== 130 || m[238] !== 83 || m[239] !== 99) return undefined;
  const options = new Map<number, Uint8Array>();
  let off = 240;
  while (off < m.length) {
    const code = m[off]!;
    if (code === 0) {
      off++;
      continue;
    }
    if (code === 255 || off + 1 >= m.length) break;
    const len = m[off + 1]!;
    if (off + 2 + len > m.length) break;
    if (!options.has(code)) options.set(code, m.subarray(off + 2, off + 2 + len));
    off += 2 + len;
  }
  const mt = options.get(53);
  return {
    op: m[0]!,
    xid: ((m[4]! << 24) >>> 0) + (m[5]! << 16) + (m[6]! << 8) + m[7]!,
    flags: u16(m, 10),
    ciaddr: ipv4Text(m, 12),
    yiaddr: ipv4Text(m, 16),
    siaddr: ipv4Text(m, 20),
    chaddr: macAt(m, 28),
    file: new TextDecoder('latin1').decode(m.subarray(108, 236)).replace(/\0.*$/s, ''),
    messageType: mt && mt.length === 1 ? mt[0] : undefined,
    options,
  };
}

export interface Icmpv6Peek extends Ipv6Peek {
  type: number;
  code: number;
  /** For NS/NA (types 135/136): the target address. */
  target: string | undefined;
}

export function peekIcmpv6(frame: Uint8Array): Icmpv6Peek | undefined {
  const ip = peekIpv6(frame);
  if (!ip || ip.nextHeader !== 58 || ip.payload.length < 4) return undefined;
  const type = ip.payload[0]!;
  const target = (type === 135 || type === 136) && ip.payload.length >= 24 ? ipv6Text(ip.payload, 8) : undefined;
  return { ...ip, type, code: ip.payload[1]!, target };
}

/** DHCPv6 message type of a UDP 546/547 frame (11 = Information-Request). */
export function peekDhcp6Type(frame: Uint8Array): number | undefined {
  const udp = peekUdp(frame);
  if (!udp || udp.family !== 6 || ![546, 547].includes(udp.dstPort) || udp.payload.length < 4) return undefined;
  return udp.payload[0];
}
