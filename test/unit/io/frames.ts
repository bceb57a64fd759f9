/**
 * Crafts Ethernet frames for the filter tests. Checksums are left zero: the
 * BPF program never looks at them, and the namespace test only needs packet
 * sockets (which see frames before any IP processing) to receive them.
 * Addresses are from documentation ranges (RFC 5737, RFC 3849).
 */

export const BROADCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
export const GUEST_MAC = [0x02, 0x00, 0x00, 0x00, 0x00, 0x10];
export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ETH_P_IPV6 = 0x86dd;
export const ETH_P_8021Q = 0x8100;

const u16 = (n: number): number[] => [(n >> 8) & 0xff, n & 0xff];

export function eth(ethertype: number, payload: ArrayLike<number>, dst = BROADCAST, src = GUEST_MAC): Buffer {
  return Buffer.from([...dst, ...src, ...u16(ethertype), ...Array.from(payload)]);
}

/** The same frame with an 802.1Q tag inserted after the MAC addresses. */
export function vlanTagged(frame: Buffer, tci: number): Buffer {
  return Buffer.concat([frame.subarray(0, 12), Buffer.from([...u16(ETH_P_8021Q), ...u16(tci)]), frame.subarray(12)]);
}

export function udp(sport: number, dport: number, payload: ArrayLike<number> = []): number[] {
  return [...u16(sport), ...u16(dport), ...u16(8 + payload.length), 0, 0, ...Array.from(payload)];
}

export interface Ipv4Options {
  protocol?: number;
  /** Header length in 32-bit words (5 = no options). */
  ihl?: number;
  version?: number;
  /** Fragment offset in 8-octet units. */
  fragmentOffset?: number;
  moreFragments?: boolean;
}

export function ipv4(payload: ArrayLike<number>, o: Ipv4Options = {}): number[] {
  const ihl = o.ihl ?? 5;
  const frag = (o.moreFragments ? 0x2000 : 0) | (o.fragmentOffset ?? 0);
  const total = ihl * 4 + payload.length;
  const header = [
    ((o.version ?? 4) << 4) | ihl, 0, ...u16(total), 0x12, 0x34, ...u16(frag), 64, o.protocol ?? 17, 0, 0,
    0, 0, 0, 0, // 0.0.0.0: a DHCPDISCOVER's source
    255, 255, 255, 255,
  ];
  // Options: NOPs then End, e.g. what a Router Alert-happy stack might add.
  for (let i = 20; i < ihl * 4; i++) header.push(i === ihl * 4 - 1 ? 0 : 1);
  return [...header, ...Array.from(payload)];
}

export function ipv6(nextHeader: number, payload: ArrayLike<number>, hopLimit = 255): number[] {
  const src = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe, 0, 0, 0x10];
  const dst = [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02];
  return [0x60, 0, 0, 0, ...u16(payload.length), nextHeader, hopLimit, ...src, ...dst, ...Array.from(payload)];
}

/** A hop-by-hop, routing or destination-options header: next, length, PadN. */
export function ext6(nextHeader: number, payload: ArrayLike<number>, lengthUnits = 0): number[] {
  const size = (lengthUnits + 1) * 8;
  const body = [nextHeader, lengthUnits, 1, size - 4];
  while (body.length < size) body.push(0);
  return [...body, ...Array.from(payload)];
}

/** IPv6 Fragment header (RFC 8200 4.5), first fragment. */
export function frag6(nextHeader: number, payload: ArrayLike<number>): number[] {
  return [nextHeader, 0, 0, 1, 0, 0, 0, 42, ...Array.from(payload)];
}

export function icmp6(type: number, body: ArrayLike<number> = [0, 0, 0, 0]): number[] {
  return [type, 0, 0, 0, ...Array.from(body)];
}

export function arpRequest(): number[] {
  return [
    0, 1, ...u16(ETH_P_IP), 6, 4, 0, 1, ...GUEST_MAC, 203, 0, 113, 10,
    0, 0, 0, 0, 0, 0, 203, 0, 113, 1,
  ];
}

export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_TCP = 6;

/** DHCPv4 client -> server frame, with `tag` bytes in the UDP payload. */
export function dhcp4Frame(dport = 67, tag: ArrayLike<number> = [1, 2, 3, 4], o: Ipv4Options = {}): Buffer {
  return eth(ETH_P_IP, ipv4(udp(68, dport, tag), o));
}
