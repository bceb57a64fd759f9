/**
 * IPv6 headers (RFC 8200) and the extension-header chain in front of the
 * upper-layer protocol.
 *
 *  0   version(4) | traffic class(8) | flow label(20)
 *  4   payload length(16) | next header(8) | hop limit(8)
 *  8   source address (16)
 *  24  destination address (16)
 *  40  extension headers ... upper-layer payload
 *
 * The decoder checks the version and the payload length against the
 * frame (Ethernet padding after it is dropped), then walks the extension
 * headers onlinkd may legitimately meet in front of ICMPv6 or UDP:
 * Hop-by-Hop Options (only first, RFC 8200 §4.1; MLD reports carry one
 * with Router Alert), Routing, and Destination Options, each bounded by
 * the payload and at most MAX_EXTENSION_HEADERS of them. It refuses, with
 * a typed error the caller counts:
 *  - a Fragment header ('fragment'): onlinkd never reassembles, and ND
 *    messages must not be fragmented (RFC 6980 §5);
 *  - ESP/AH/Mobility/HIP/Shim6/experimental headers it cannot walk
 *    ('unsupported-extension');
 *  - a malformed chain ('truncated-extension', 'bad-extension-order',
 *    'too-many-extensions').
 * Any other Next Header value is taken as the upper-layer protocol
 * (including 59, No Next Header, with an empty payload).
 *
 * Addresses are decoded as 16-octet views into the packet (compare them
 * with sameIpv6, format them with formatIpv6Address only for a log line:
 * the packet path decodes in place from a shared receive ring, so anything
 * kept past the handler must be copied); `header` keeps the raw fixed header, which is where UDP and ICMPv6 read their
 * pseudo-header from (note: with a Routing header the checksum covers the
 * final destination, RFC 8200 §8.1, which onlinkd does not compute; such
 * a packet to onlinkd then fails its checksum and is dropped).
 */
import { putIpv6, type Ipv6Input } from './ipv6-address.js';
import { u16, u32 } from './reader.js';
import { EncodeError, fail, ok, type Decoded } from './result.js';
import { checkUint, putU16, putU32 } from './writer.js';

export { formatIpv6Address, parseIpv6Address, parseIpv6Into, putIpv6, sameIpv6, type Ipv6Input } from './ipv6-address.js';
export {
  ALL_NODES_MAC,
  IPV6_ALL_DHCP_RELAY_AGENTS_AND_SERVERS,
  IPV6_ALL_NODES,
  IPV6_ALL_ROUTERS,
  IPV6_UNSPECIFIED,
} from './ipv6-address.js';
export {
  eui64Address,
  eui64InterfaceId,
  linkLocalFromMac,
  multicastMac,
  solicitedNodeAddress,
  solicitedNodeMac,
} from './ipv6-derive.js';

export const IPV6_HEADER_LENGTH = 40;
/** RFC 4861 hop limit of every ND message, and the default of onlinkd's other IPv6 packets. */
export const IPV6_ND_HOP_LIMIT = 255;
export const IPV6_DEFAULT_HOP_LIMIT = 64;
/** Extension headers walked before giving up (RFC 8504 §5.3 lets a node set such a limit). */
export const MAX_EXTENSION_HEADERS = 8;

/** Next Header values (IANA "Assigned Internet Protocol Numbers"). */
export const Ipv6NextHeader = {
  HopByHop: 0,
  Tcp: 6,
  Udp: 17,
  Routing: 43,
  Fragment: 44,
  Esp: 50,
  Ah: 51,
  Icmpv6: 58,
  NoNextHeader: 59,
  DestinationOptions: 60,
  Mobility: 135,
  Hip: 139,
  Shim6: 140,
  Experimental1: 253,
  Experimental2: 254,
} as const;

export interface Ipv6Packet {
  trafficClass: number;
  flowLabel: number;
  hopLimit: number;
  /** The fixed header's Next Header: the first extension header, or the upper-layer protocol. */
  nextHeader: number;
  /** Source address: 16 octets (a view into the decoded bytes). */
  src: Uint8Array;
  /** Destination address: 16 octets (a view into the decoded bytes). */
  dst: Uint8Array;
  /** Upper-layer protocol after the extension headers (58 ICMPv6, 17 UDP, ...). */
  protocol: number;
  /** The extension headers walked, raw (view; empty when none). */
  extensions: Uint8Array;
  /** Offset of the upper-layer payload in the decoded bytes (40 + extensions.length). */
  payloadOffset: number;
  /** The fixed 40-octet header (view): UDP/ICMPv6 read the pseudo-header from it. */
  header: Uint8Array;
  /** Upper-layer payload, bounded by the payload length (view; link padding excluded). */
  payload: Uint8Array;
}

/** What `encodeIpv6Header` needs; defaults: traffic class 0, flow label 0, hop limit 64, no extensions. */
export interface Ipv6Header {
  src: Ipv6Input;
  dst: Ipv6Input;
  /** Upper-layer protocol, or the first extension header's type when `extensions` is given. */
  nextHeader: number;
  hopLimit?: number;
  trafficClass?: number;
  flowLabel?: number;
  /** Raw extension headers written after the fixed header (their own Next Header fields are the caller's). */
  extensions?: Uint8Array;
}

const UNSUPPORTED = new Set<number>([
  Ipv6NextHeader.Esp,
  Ipv6NextHeader.Ah,
  Ipv6NextHeader.Mobility,
  Ipv6NextHeader.Hip,
  Ipv6NextHeader.Shim6,
  Ipv6NextHeader.Experimental1,
  Ipv6NextHeader.Experimental2,
]);

function isWalked(nh: number): boolean {
  return nh === Ipv6NextHeader.HopByHop || nh === Ipv6NextHeader.Routing || nh === Ipv6NextHeader.DestinationOptions;
}

export function decodeIpv6(bytes: Uint8Array): Decoded<Ipv6Packet> {
  if (bytes.length < IPV6_HEADER_LENGTH) return fail('ipv6', 'truncated', `${bytes.length} < ${IPV6_HEADER_LENGTH} octets`);
  const word0 = u32(bytes, 0);
  const version = word0 >>> 28;
  if (version !== 6) return fail('ipv6', 'bad-version', `version ${version}`);
  const payloadLength = u16(bytes, 4);
  const end = IPV6_HEADER_LENGTH + payloadLength;
  if (end > bytes.length) return fail('ipv6', 'truncated', `payload length ${payloadLength} > ${bytes.length - IPV6_HEADER_LENGTH} octets`);
  const nextHeader = bytes[6]!;

  // Walk the chain: every extension header we walk is (next header, length in 8-octet units - 1, ...).
  let nh = nextHeader;
  let off = IPV6_HEADER_LENGTH;
  let count = 0;
  while (isWalked(nh)) {
    if (nh === Ipv6NextHeader.HopByHop && count > 0) {
      return fail('ipv6', 'bad-extension-order', 'Hop-by-Hop Options not right after the IPv6 header');
    }
    if (++count > MAX_EXTENSION_HEADERS) return fail('ipv6', 'too-many-extensions', `more than ${MAX_EXTENSION_HEADERS}`);
    if (off + 2 > end) return fail('ipv6', 'truncated-extension', `header ${nh} at offset ${off}`);
    const len = (bytes[off + 1]! + 1) * 8;
    if (off + len > end) return fail('ipv6', 'truncated-extension', `header ${nh} of ${len} octets at offset ${off}`);
    nh = bytes[off]!;
    off += len;
  }
  if (nh === Ipv6NextHeader.Fragment) return fail('ipv6', 'fragment', `at offset ${off}`);
  if (UNSUPPORTED.has(nh)) return fail('ipv6', 'unsupported-extension', `next header ${nh}`);

  return ok({
    trafficClass: (word0 >>> 20) & 0xff,
    flowLabel: word0 & 0xfffff,
    hopLimit: bytes[7]!,
    nextHeader,
    src: bytes.subarray(8, 24),
    dst: bytes.subarray(24, IPV6_HEADER_LENGTH),
    protocol: nh,
    extensions: bytes.subarray(IPV6_HEADER_LENGTH, off),
    payloadOffset: off,
    header: bytes.subarray(0, IPV6_HEADER_LENGTH),
    payload: bytes.subarray(off, end),
  });
}

export function ipv6HeaderLength(header: Pick<Ipv6Header, 'extensions'>): number {
  return IPV6_HEADER_LENGTH + (header.extensions?.length ?? 0);
}

/**
 * Writes the fixed header (and `extensions`, when given) at `out[offset]`
 * for an upper-layer payload of `payloadLength` octets; returns the octets
 * written. Every header octet is written. Throws EncodeError on a bad
 * address or an out-of-range field.
 */
export function encodeIpv6Header(header: Ipv6Header, payloadLength: number, out: Uint8Array, offset = 0): number {
  const ext = header.extensions;
  if (ext && ext.length % 8 !== 0) throw new EncodeError('ipv6', 'bad-extensions', `${ext.length} octets, not a multiple of 8`);
  const hlen = ipv6HeaderLength(header);
  const plen = hlen - IPV6_HEADER_LENGTH + payloadLength;
  // Jumbograms (RFC 2675) are not for a link onlinkd talks on.
  if (plen > 0xffff) throw new EncodeError('ipv6', 'too-big', `payload ${plen} octets`);
  if (out.length - offset < hlen) throw new EncodeError('ipv6', 'buffer-too-small');
  const tc = header.trafficClass ?? 0;
  const fl = header.flowLabel ?? 0;
  const hop = header.hopLimit ?? IPV6_DEFAULT_HOP_LIMIT;
  checkUint(tc, 0xff, 'ipv6', 'trafficClass');
  checkUint(fl, 0xfffff, 'ipv6', 'flowLabel');
  checkUint(hop, 0xff, 'ipv6', 'hopLimit');
  checkUint(header.nextHeader, 0xff, 'ipv6', 'nextHeader');
  putU32(out, offset, ((6 << 28) | (tc << 20) | fl) >>> 0);
  putU16(out, offset + 4, plen);
  out[offset + 6] = header.nextHeader;
  out[offset + 7] = hop;
  putIpv6(out, offset + 8, header.src, 'ipv6', 'src');
  putIpv6(out, offset + 24, header.dst, 'ipv6', 'dst');
  if (ext) out.set(ext, offset + IPV6_HEADER_LENGTH);
  return hlen;
}

/** Header + payload as a new packet. */
export function encodeIpv6(header: Ipv6Header, payload: Uint8Array): Uint8Array {
  const hlen = ipv6HeaderLength(header);
  const out = new Uint8Array(hlen + payload.length);
  encodeIpv6Header(header, payload.length, out, 0);
  out.set(payload, hlen);
  return out;
}
