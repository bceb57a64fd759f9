/**
 * UDP (RFC 768) over IPv4, and over IPv6 for the later DHCPv6 work.
 *
 * The checksum is verified against the pseudo-header read from the raw IP
 * header the datagram came in (`Ipv4Packet.header`, or an IPv6 header: the
 * version nibble says which). The caller turns verification off for frames
 * the kernel marks TP_STATUS_CSUMNOTREADY (PACKET_AUXDATA): a local VM with
 * checksum offload sends them with only the partial pseudo-header sum in the
 * field, and they are fine (smoltcp #670; busybox udhcpc does the same).
 *
 * Encoding always computes the full checksum: a peer that never offloaded
 * anything (dhclient) drops datagrams with a bad one (ignite #870).
 */
import { ipv4PseudoHeaderSum, ipv6PseudoHeaderSum, finishChecksum, sumWords } from './checksum.js';
import { IpProtocol } from './ipv4.js';
import { u16 } from './reader.js';
import { EncodeError, fail, ok, type Decoded } from './result.js';
import type { Ipv4Input } from './addr.js';
import { checkUint, ipv4Input, putU16, putU32 } from './writer.js';

export const UdpPort = {
  DhcpServer: 67,
  DhcpClient: 68,
  Dhcp6Client: 546,
  Dhcp6Server: 547,
} as const;

export const UDP_HEADER_LENGTH = 8;

export interface UdpHeader {
  srcPort: number;
  dstPort: number;
}

export interface UdpDatagram extends UdpHeader {
  /** Length-field-bounded payload (view into the input). */
  payload: Uint8Array;
}

export interface UdpDecodeOptions {
  /** Verify the checksum (default true). Set false for TP_STATUS_CSUMNOTREADY frames. */
  verifyChecksum?: boolean;
}

/** The raw header of the enclosing IP packet (IPv4 with options, or the fixed IPv6 header). */
export interface IpHeaderView {
  header: Uint8Array;
}

/** Pseudo-header sum for a datagram of `udpLength` octets inside the IP packet whose raw header is given. */
function pseudoSumFromHeader(h: Uint8Array, udpLength: number): number | undefined {
  const version = (h[0] ?? 0) >>> 4;
  if (version === 4 && h.length >= 20) return ipv4PseudoHeaderSum(h, 12, h, 16, IpProtocol.Udp, udpLength);
  if (version === 6 && h.length >= 40) return ipv6PseudoHeaderSum(h, 8, h, 24, IpProtocol.Udp, udpLength);
  return undefined;
}

export function decodeUdp(segment: Uint8Array, ip: IpHeaderView, options?: UdpDecodeOptions): Decoded<UdpDatagram> {
  if (segment.length < UDP_HEADER_LENGTH) {
    return fail('udp', 'truncated', `${segment.length} < ${UDP_HEADER_LENGTH} octets`);
  }
  const length = u16(segment, 4);
  if (length < UDP_HEADER_LENGTH) return fail('udp', 'bad-length', `length field ${length}`);
  if (length > segment.length) return fail('udp', 'truncated', `length field ${length} > ${segment.length} octets`);
  if (options?.verifyChecksum !== false) {
    const field = u16(segment, 6);
    const version = (ip.header[0] ?? 0) >>> 4;
    if (field === 0) {
      // RFC 768: zero means "no checksum" over IPv4; RFC 8200 §8.1 forbids it over IPv6.
      if (version !== 4) return fail('udp', 'missing-checksum', 'zero UDP checksum over IPv6');
    } else {
      const pseudo = pseudoSumFromHeader(ip.header, length);
      if (pseudo === undefined) return fail('udp', 'bad-pseudo-header', `IP version ${version}, header ${ip.header.length} octets`);
      if (finishChecksum(sumWords(segment, 0, length, pseudo)) !== 0) return fail('udp', 'bad-checksum');
    }
  }
  return ok({ srcPort: u16(segment, 0), dstPort: u16(segment, 2), payload: segment.subarray(UDP_HEADER_LENGTH, length) });
}

/** IPv4 pseudo-header sum from the addresses (uint32 or text; no allocation). Throws EncodeError on a bad address. */
export function udp4PseudoHeaderSum(src: Ipv4Input, dst: Ipv4Input, udpLength: number): number {
  const s = ipv4Input(src);
  const d = ipv4Input(dst);
  if (s < 0 || d < 0) throw new EncodeError('udp', 'bad-address', `${JSON.stringify(src)} -> ${JSON.stringify(dst)}`);
  return (s >>> 16) + (s & 0xffff) + (d >>> 16) + (d & 0xffff) + IpProtocol.Udp + udpLength;
}

/**
 * Writes the UDP header at `out[offset]` over a payload that must already be
 * in place at `out[offset + 8 ..]`, with the checksum computed from
 * `pseudoHeaderSum` (which must include the UDP length,
 * `payloadLength + 8`; see `udp4PseudoHeaderSum` and checksum.ts). A
 * computed checksum of 0 is sent as 0xffff (RFC 768). Returns 8.
 */
export function encodeUdpHeader(
  header: UdpHeader,
  payloadLength: number,
  pseudoHeaderSum: number,
  out: Uint8Array,
  offset = 0,
): number {
  checkUint(header.srcPort, 0xffff, 'udp', 'srcPort');
  checkUint(header.dstPort, 0xffff, 'udp', 'dstPort');
  const length = UDP_HEADER_LENGTH + payloadLength;
  if (length > 0xffff) throw new EncodeError('udp', 'too-big', `${length} octets`);
  if (out.length - offset < length) throw new EncodeError('udp', 'buffer-too-small');
  putU16(out, offset, header.srcPort);
  putU16(out, offset + 2, header.dstPort);
  putU32(out, offset + 4, length << 16); // length, then a zero checksum while summing
  const csum = finishChecksum(sumWords(out, offset, offset + length, pseudoHeaderSum));
  putU16(out, offset + 6, csum === 0 ? 0xffff : csum);
  return UDP_HEADER_LENGTH;
}

/** A whole UDP datagram for IPv4 `src` → `dst`, checksum computed. */
export function encodeUdp(datagram: UdpDatagram, ip: { src: Ipv4Input; dst: Ipv4Input }): Uint8Array {
  const length = UDP_HEADER_LENGTH + datagram.payload.length;
  if (length > 0xffff) throw new EncodeError('udp', 'too-big', `${length} octets`);
  const out = new Uint8Array(length);
  out.set(datagram.payload, UDP_HEADER_LENGTH);
  encodeUdpHeader(datagram, datagram.payload.length, udp4PseudoHeaderSum(ip.src, ip.dst, length), out, 0);
  return out;
}
