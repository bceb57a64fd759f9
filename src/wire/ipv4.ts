/**
 * IPv4 headers (RFC 791).
 *
 * A packet socket hands userspace frames the kernel's IP layer has not
 * checked, so the decoder does the work: version, header length, total
 * length against the frame (Ethernet padding after it is dropped), and the
 * header checksum. Options are not interpreted, only skipped (and exposed
 * raw). Fragments are decoded but flagged: a responder must drop them
 * (`isFragment`), since onlinkd never reassembles.
 */
import type { Ipv4Input } from './addr.js';
import { internetChecksum, sumWords, finishChecksum } from './checksum.js';
import { u16, u32 } from './reader.js';
import { EncodeError, fail, ok, type Decoded } from './result.js';
import { checkUint, putIpv4, putU16 } from './writer.js';

/** IP protocol numbers onlinkd meets (IANA). */
export const IpProtocol = {
  Icmp: 1,
  Tcp: 6,
  Udp: 17,
  Icmpv6: 58,
} as const;

export const IPV4_MIN_HEADER_LENGTH = 20;
export const IPV4_MAX_HEADER_LENGTH = 60;
export const IPV4_DEFAULT_TTL = 64;

const FLAG_DF = 0x4000;
const FLAG_MF = 0x2000;

export interface Ipv4Packet {
  /** Type of service / DSCP+ECN octet. */
  tos: number;
  /** Identification. */
  id: number;
  dontFragment: boolean;
  moreFragments: boolean;
  /** Fragment offset in octets (the header field × 8). */
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  /** Source address as uint32 (addr.ts numberToIpv4 for text). */
  src: number;
  /** Destination address as uint32. */
  dst: number;
  /** Raw header options (view; empty when IHL = 5). Not interpreted. */
  options: Uint8Array;
  /** The whole header, options included (view): UDP reads its pseudo-header from it. */
  header: Uint8Array;
  /** Total-length-bounded payload (view; trailing link padding excluded). */
  payload: Uint8Array;
}

/** What `encodeIpv4Header` needs; defaults: tos 0, id 0, no DF/MF, offset 0, TTL 64, no options. */
export interface Ipv4Header {
  src: Ipv4Input;
  dst: Ipv4Input;
  protocol: number;
  ttl?: number;
  tos?: number;
  id?: number;
  dontFragment?: boolean;
  moreFragments?: boolean;
  fragmentOffset?: number;
  /** Raw options, a multiple of 4 octets, at most 40. */
  options?: Uint8Array;
}

/** True for any fragment (first, middle or last): MF set or a non-zero offset. */
export function isFragment(p: Pick<Ipv4Packet, 'moreFragments' | 'fragmentOffset'>): boolean {
  return p.moreFragments || p.fragmentOffset !== 0;
}

export function decodeIpv4(bytes: Uint8Array): Decoded<Ipv4Packet> {
  if (bytes.length < IPV4_MIN_HEADER_LENGTH) {
    return fail('ipv4', 'truncated', `${bytes.length} < ${IPV4_MIN_HEADER_LENGTH} octets`);
  }
  const vihl = bytes[0]!;
  if (vihl >>> 4 !== 4) return fail('ipv4', 'bad-version', `version ${vihl >>> 4}`);
  const hlen = (vihl & 0x0f) * 4;
  if (hlen < IPV4_MIN_HEADER_LENGTH) return fail('ipv4', 'bad-header-length', `IHL ${vihl & 0x0f}`);
  if (hlen > bytes.length) return fail('ipv4', 'truncated', `header ${hlen} > ${bytes.length} octets`);
  const total = u16(bytes, 2);
  if (total < hlen) return fail('ipv4', 'bad-length', `total length ${total} < header ${hlen}`);
  if (total > bytes.length) return fail('ipv4', 'truncated', `total length ${total} > ${bytes.length} octets`);
  if (internetChecksum(bytes, 0, hlen) !== 0) return fail('ipv4', 'bad-checksum');
  const frag = u16(bytes, 6);
  // RFC 791: the first flag bit is reserved and must be zero. No client sets it;
  // refusing it keeps decode → encode exact (found by npm run fuzz).
  if (frag & 0x8000) return fail('ipv4', 'reserved-flag');
  return ok({
    tos: bytes[1]!,
    id: u16(bytes, 4),
    dontFragment: (frag & FLAG_DF) !== 0,
    moreFragments: (frag & FLAG_MF) !== 0,
    fragmentOffset: (frag & 0x1fff) * 8,
    ttl: bytes[8]!,
    protocol: bytes[9]!,
    src: u32(bytes, 12),
    dst: u32(bytes, 16),
    options: bytes.subarray(IPV4_MIN_HEADER_LENGTH, hlen),
    header: bytes.subarray(0, hlen),
    payload: bytes.subarray(hlen, total),
  });
}

export function ipv4HeaderLength(header: Pick<Ipv4Header, 'options'>): number {
  return IPV4_MIN_HEADER_LENGTH + (header.options?.length ?? 0);
}

/**
 * Writes the header (checksum computed) at `out[offset]` for a payload of
 * `payloadLength` octets and returns the header length. The payload itself
 * is the caller's (the header checksum does not cover it). Every header
 * octet is written. Throws EncodeError on out-of-range fields.
 */
export function encodeIpv4Header(header: Ipv4Header, payloadLength: number, out: Uint8Array, offset = 0): number {
  const opts = header.options;
  if (opts && (opts.length % 4 !== 0 || opts.length > IPV4_MAX_HEADER_LENGTH - IPV4_MIN_HEADER_LENGTH)) {
    throw new EncodeError('ipv4', 'bad-options', `${opts.length} octets`);
  }
  const hlen = ipv4HeaderLength(header);
  const total = hlen + payloadLength;
  if (total > 0xffff) throw new EncodeError('ipv4', 'too-big', `${total} octets`);
  if (out.length - offset < hlen) throw new EncodeError('ipv4', 'buffer-too-small');
  const tos = header.tos ?? 0;
  const id = header.id ?? 0;
  const ttl = header.ttl ?? IPV4_DEFAULT_TTL;
  const fragOff = header.fragmentOffset ?? 0;
  checkUint(tos, 0xff, 'ipv4', 'tos');
  checkUint(id, 0xffff, 'ipv4', 'id');
  checkUint(ttl, 0xff, 'ipv4', 'ttl');
  checkUint(header.protocol, 0xff, 'ipv4', 'protocol');
  if (fragOff % 8 !== 0) throw new EncodeError('ipv4', 'bad-field', `fragmentOffset ${fragOff} not a multiple of 8`);
  checkUint(fragOff / 8, 0x1fff, 'ipv4', 'fragmentOffset/8');

  out[offset] = 0x40 | (hlen / 4);
  out[offset + 1] = tos;
  putU16(out, offset + 2, total);
  putU16(out, offset + 4, id);
  putU16(out, offset + 6, (header.dontFragment ? FLAG_DF : 0) | (header.moreFragments ? FLAG_MF : 0) | (fragOff / 8));
  out[offset + 8] = ttl;
  out[offset + 9] = header.protocol;
  putU16(out, offset + 10, 0);
  putIpv4(out, offset + 12, header.src, 'ipv4', 'src');
  putIpv4(out, offset + 16, header.dst, 'ipv4', 'dst');
  if (opts) out.set(opts, offset + IPV4_MIN_HEADER_LENGTH);
  putU16(out, offset + 10, finishChecksum(sumWords(out, offset, offset + hlen)));
  return hlen;
}

/** Header + payload as a new packet. */
export function encodeIpv4(header: Ipv4Header, payload: Uint8Array): Uint8Array {
  const hlen = ipv4HeaderLength(header);
  const out = new Uint8Array(hlen + payload.length);
  encodeIpv4Header(header, payload.length, out, 0);
  out.set(payload, hlen);
  return out;
}
