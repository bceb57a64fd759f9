/**
 * ICMPv6 (RFC 4443): type, code, checksum, body.
 *
 *  0   type(8) | code(8) | checksum(16)
 *  4   message body ...
 *
 * The checksum covers the IPv6 pseudo-header (RFC 8200 §8.1: source,
 * destination, upper-layer length, next header 58) and the whole message
 * (RFC 4443 §2.3). It is mandatory: unlike UDP over IPv4 there is no
 * "no checksum" value, and a computed 0 is sent as 0.
 *
 * Decoding verifies it against the IPv6 header the message came in; the
 * caller turns verification off for frames the kernel marks
 * TP_STATUS_CSUMNOTREADY (a local guest with offload leaves only the
 * partial pseudo-header sum in the field; see udp.ts).
 */
import { finishChecksum, ipv6PseudoHeaderSum, sumWords } from './checksum.js';
import { Ipv6NextHeader, IPV6_HEADER_LENGTH } from './ipv6.js';
import { putIpv6, type Ipv6Input } from './ipv6-address.js';
import { u16 } from './reader.js';
import { EncodeError, fail, ok, type Decoded } from './result.js';
import { checkUint, putU16 } from './writer.js';

export const ICMPV6_HEADER_LENGTH = 4;

/** ICMPv6 types onlinkd meets (IANA "ICMPv6 Parameters"). */
export const Icmpv6Type = {
  DestinationUnreachable: 1,
  PacketTooBig: 2,
  TimeExceeded: 3,
  ParameterProblem: 4,
  EchoRequest: 128,
  EchoReply: 129,
  MldQuery: 130,
  MldReport: 131,
  MldDone: 132,
  RouterSolicitation: 133,
  RouterAdvertisement: 134,
  NeighborSolicitation: 135,
  NeighborAdvertisement: 136,
  Redirect: 137,
  Mldv2Report: 143,
} as const;

export interface Icmpv6Message {
  type: number;
  code: number;
  /** The checksum field as received. */
  checksum: number;
  /** Everything after the 4-octet header (view). */
  body: Uint8Array;
}

export interface Icmpv6DecodeOptions {
  /** Verify the checksum (default true). Set false for TP_STATUS_CSUMNOTREADY frames. */
  verifyChecksum?: boolean;
}

/** Pseudo-header sum for an ICMPv6 message of `length` octets, addresses read from a raw IPv6 header. */
function pseudoSum(ipHeader: Uint8Array, length: number): number | undefined {
  if (ipHeader.length < IPV6_HEADER_LENGTH || (ipHeader[0]! >>> 4) !== 6) return undefined;
  return ipv6PseudoHeaderSum(ipHeader, 8, ipHeader, 24, Ipv6NextHeader.Icmpv6, length);
}

/**
 * Decodes the ICMPv6 message `message` (an IPv6 packet's payload) that
 * came in the IPv6 packet whose fixed header is `ip.header`.
 */
export function decodeIcmpv6(message: Uint8Array, ip: { header: Uint8Array }, options?: Icmpv6DecodeOptions): Decoded<Icmpv6Message> {
  if (message.length < ICMPV6_HEADER_LENGTH) {
    return fail('icmpv6', 'truncated', `${message.length} < ${ICMPV6_HEADER_LENGTH} octets`);
  }
  if (options?.verifyChecksum !== false) {
    const pseudo = pseudoSum(ip.header, message.length);
    if (pseudo === undefined) return fail('icmpv6', 'bad-pseudo-header', `IPv6 header of ${ip.header.length} octets`);
    if (finishChecksum(sumWords(message, 0, message.length, pseudo)) !== 0) return fail('icmpv6', 'bad-checksum');
  }
  return ok({ type: message[0]!, code: message[1]!, checksum: u16(message, 2), body: message.subarray(ICMPV6_HEADER_LENGTH) });
}

/**
 * Computes and writes the checksum of the ICMPv6 message at
 * `out[icmpOffset..+length]`, reading source and destination from the
 * IPv6 header at `out[ipOffset]` (as laid out by encodeIpv6Header).
 * The message's checksum field may hold anything; it is overwritten.
 */
export function putIcmpv6Checksum(out: Uint8Array, ipOffset: number, icmpOffset: number, length: number): void {
  if (out.length < icmpOffset + length || out.length < ipOffset + IPV6_HEADER_LENGTH) {
    throw new EncodeError('icmpv6', 'buffer-too-small');
  }
  putU16(out, icmpOffset + 2, 0);
  const pseudo = ipv6PseudoHeaderSum(out, ipOffset + 8, out, ipOffset + 24, Ipv6NextHeader.Icmpv6, length);
  putU16(out, icmpOffset + 2, finishChecksum(sumWords(out, icmpOffset, icmpOffset + length, pseudo)));
}

/** Checksum of `message` (its checksum field taken as 0) from `src` to `dst`. Throws EncodeError on a bad address. */
export function icmpv6Checksum(message: Uint8Array, src: Ipv6Input, dst: Ipv6Input): number {
  const addrs = new Uint8Array(32);
  putIpv6(addrs, 0, src, 'icmpv6', 'src');
  putIpv6(addrs, 16, dst, 'icmpv6', 'dst');
  let acc = ipv6PseudoHeaderSum(addrs, 0, addrs, 16, Ipv6NextHeader.Icmpv6, message.length);
  acc = sumWords(message, 0, Math.min(2, message.length), acc);
  acc = sumWords(message, 4, message.length, acc);
  return finishChecksum(acc);
}

/** A whole ICMPv6 message from `src` to `dst`, checksum computed. */
export function encodeIcmpv6(msg: Pick<Icmpv6Message, 'type' | 'code' | 'body'>, src: Ipv6Input, dst: Ipv6Input): Uint8Array {
  checkUint(msg.type, 0xff, 'icmpv6', 'type');
  checkUint(msg.code, 0xff, 'icmpv6', 'code');
  const out = new Uint8Array(ICMPV6_HEADER_LENGTH + msg.body.length);
  out[0] = msg.type;
  out[1] = msg.code;
  out.set(msg.body, ICMPV6_HEADER_LENGTH);
  putU16(out, 2, icmpv6Checksum(out, src, dst));
  return out;
}
