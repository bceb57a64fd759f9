/**
 * Neighbor Discovery messages (RFC 4861 §4) and their options (§4.6,
 * RFC 8106), carried in ICMPv6.
 *
 *  RS  133: reserved(32)                                            options
 *  RA  134: cur hop limit(8) | M O H Prf(2) P . . | router lifetime(16)
 *           reachable time(32) | retrans timer(32)                  options
 *  NS  135: reserved(32) | target address(128)                      options
 *  NA  136: R S O . . . . . | reserved(24) | target address(128)    options
 *
 * Options are (type(8), length(8) in units of 8 octets including these
 * two, data). The option *area* must be well-formed: an option of length
 * 0 or one running past the message fails the whole message (RFC 4861
 * §4.6: "Nodes MUST silently discard an ND packet that contains an option
 * with length zero"). A single option whose content is malformed (a
 * link-layer option not 6 octets long on Ethernet, a PIO not 32 octets, an
 * RDNSS without an address...) is kept as a 'raw' option with a
 * `malformed` note, as are options onlinkd does not interpret (nonce, ...),
 * so decode → encode gives the same bytes for them and the message as a
 * whole is still seen. The validity checks that depend on the IPv6 header
 * (hop limit 255, code 0, unspecified source rules) are the responders'.
 *
 * Decoding reads an `Icmpv6Message` (checksum already verified by
 * icmpv6.ts); encoding writes the ICMPv6 message with a zero checksum,
 * for the frame builder to fill in (icmpv6.ts `putIcmpv6Checksum`).
 */
import { formatMac } from './addr.js';
import { decodeUncompressedDnsNames, dnsNameLength, encodeDnsName } from './dns-name.js';
import { Icmpv6Type, ICMPV6_HEADER_LENGTH, type Icmpv6Message } from './icmpv6.js';
import { formatIpv6Address, putIpv6 } from './ipv6-address.js';
import { u16, u32 } from './reader.js';
import { EncodeError, fail, ok, type Decoded } from './result.js';
import { checkUint, putMac, putU16, putU32 } from './writer.js';

const LAYER = 'ndp';

/** ND option types (IANA "IPv6 Neighbor Discovery Option Formats"). */
export const NdpOptionType = {
  SourceLinkLayerAddress: 1,
  TargetLinkLayerAddress: 2,
  PrefixInformation: 3,
  RedirectedHeader: 4,
  Mtu: 5,
  Nonce: 14, // RFC 3971
  RouteInformation: 24, // RFC 4191
  Rdnss: 25, // RFC 8106
  Dnssl: 31, // RFC 8106
} as const;

/** Lifetime meaning "forever" in PIO, RDNSS and DNSSL (RFC 4861 §4.6.2, RFC 8106 §5.1). */
export const NDP_INFINITE_LIFETIME = 0xffffffff;

export type NdpOption =
  | { kind: 'source-link-layer'; mac: string }
  | { kind: 'target-link-layer'; mac: string }
  | {
      kind: 'prefix';
      prefixLength: number;
      /** L: the prefix is on-link. */
      onLink: boolean;
      /** A: usable for SLAAC (RFC 4862). */
      autonomous: boolean;
      /** R (RFC 6275 §7.2): `prefix` holds a full router address. */
      routerAddress: boolean;
      validLifetime: number;
      preferredLifetime: number;
      prefix: string;
    }
  | { kind: 'mtu'; mtu: number }
  | { kind: 'rdnss'; lifetime: number; servers: string[] }
  | { kind: 'dnssl'; lifetime: number; domains: string[] }
  /** Any other option, or a known one whose content is malformed: `data` is what follows type and length. */
  | { kind: 'raw'; type: number; data: Uint8Array; malformed?: string };

/** RFC 4191 §2.1 router preference; 'reserved' (binary 10) is received as medium. */
export type RouterPreference = 'high' | 'medium' | 'low' | 'reserved';

export interface RouterSolicitation {
  type: typeof Icmpv6Type.RouterSolicitation;
  code: number;
  options: NdpOption[];
}

export interface RouterAdvertisement {
  type: typeof Icmpv6Type.RouterAdvertisement;
  code: number;
  /** 0 = unspecified. */
  curHopLimit: number;
  /** M: addresses via DHCPv6. */
  managed: boolean;
  /** O: other configuration via DHCPv6. */
  other: boolean;
  /** H: home agent (RFC 6275 §7.1). */
  homeAgent: boolean;
  preference: RouterPreference;
  /** Seconds as default router; 0 = not a default router. */
  routerLifetime: number;
  /** Milliseconds; 0 = unspecified. */
  reachableTime: number;
  /** Milliseconds; 0 = unspecified. */
  retransTimer: number;
  options: NdpOption[];
}

export interface NeighborSolicitation {
  type: typeof Icmpv6Type.NeighborSolicitation;
  code: number;
  target: string;
  options: NdpOption[];
}

export interface NeighborAdvertisement {
  type: typeof Icmpv6Type.NeighborAdvertisement;
  code: number;
  /** R: the sender is a router. */
  router: boolean;
  /** S: sent in response to an NS. */
  solicited: boolean;
  /** O: override an existing cache entry. */
  override: boolean;
  target: string;
  options: NdpOption[];
}

export type NdpMessage = RouterSolicitation | RouterAdvertisement | NeighborSolicitation | NeighborAdvertisement;

const RA_M = 0x80;
const RA_O = 0x40;
const RA_H = 0x20;
const NA_R = 0x80;
const NA_S = 0x40;
const NA_O = 0x20;
const PIO_L = 0x80;
const PIO_A = 0x40;
const PIO_R = 0x20;

const PREFERENCE_BITS: Record<RouterPreference, number> = { medium: 0, high: 1, reserved: 2, low: 3 };
const PREFERENCES: RouterPreference[] = ['medium', 'high', 'reserved', 'low'];

/** Body length before the options (after the 4-octet ICMPv6 header), per type. */
const FIXED_BODY: Record<number, number> = {
  [Icmpv6Type.RouterSolicitation]: 4,
  [Icmpv6Type.RouterAdvertisement]: 12,
  [Icmpv6Type.NeighborSolicitation]: 20,
  [Icmpv6Type.NeighborAdvertisement]: 20,
};

// ---------------------------------------------------------------------------
// Options: decode

function raw(type: number, data: Uint8Array, malformed?: string): NdpOption {
  return malformed === undefined ? { kind: 'raw', type, data } : { kind: 'raw', type, data, malformed };
}

/** One option from its type and the octets after type and length. */
function decodeOption(type: number, d: Uint8Array): NdpOption {
  switch (type) {
    case NdpOptionType.SourceLinkLayerAddress:
    case NdpOptionType.TargetLinkLayerAddress:
      // RFC 2464 §6: on Ethernet the option is exactly 8 octets.
      if (d.length !== 6) return raw(type, d, `link-layer address of ${d.length} octets`);
      return { kind: type === 1 ? 'source-link-layer' : 'target-link-layer', mac: formatMac(d, 0) };
    case NdpOptionType.PrefixInformation: {
      if (d.length !== 30) return raw(type, d, `prefix information of ${d.length + 2} octets, want 32`);
      const plen = d[0]!;
      if (plen > 128) return raw(type, d, `prefix length ${plen}`);
      const flags = d[1]!;
      return {
        kind: 'prefix',
        prefixLength: plen,
        onLink: (flags & PIO_L) !== 0,
        autonomous: (flags & PIO_A) !== 0,
        routerAddress: (flags & PIO_R) !== 0,
        validLifetime: u32(d, 2),
        preferredLifetime: u32(d, 6),
        prefix: formatIpv6Address(d, 14),
      };
    }
    case NdpOptionType.Mtu:
      if (d.length !== 6) return raw(type, d, `MTU option of ${d.length + 2} octets, want 8`);
      return { kind: 'mtu', mtu: u32(d, 2) };
    case NdpOptionType.Rdnss: {
      // RFC 8106 §5.1: length 1 + 2N, N >= 1.
      if (d.length < 22 || (d.length - 6) % 16 !== 0) return raw(type, d, `RDNSS of ${d.length + 2} octets`);
      const servers: string[] = [];
      for (let p = 6; p < d.length; p += 16) servers.push(formatIpv6Address(d, p));
      return { kind: 'rdnss', lifetime: u32(d, 2), servers };
    }
    case NdpOptionType.Dnssl: {
      // RFC 8106 §5.2: length >= 2 when a name is present; names uncompressed, zero-padded.
      if (d.length < 14) return raw(type, d, `DNSSL of ${d.length + 2} octets`);
      const names = decodeUncompressedDnsNames(d.subarray(6), true);
      if (!names.ok) return raw(type, d, names.error.toString());
      if (names.value.length === 0) return raw(type, d, 'DNSSL without a domain name');
      return { kind: 'dnssl', lifetime: u32(d, 2), domains: names.value };
    }
    default:
      return raw(type, d);
  }
}

/** The options in `area` (a whole number of options). Fails on a zero length or an option past the end. */
export function decodeNdpOptions(area: Uint8Array): Decoded<NdpOption[]> {
  const out: NdpOption[] = [];
  let off = 0;
  while (off < area.length) {
    if (area.length - off < 2) return fail(LAYER, 'truncated-option', `${area.length - off} octet(s) left at offset ${off}`);
    const type = area[off]!;
    const len = area[off + 1]! * 8;
    if (len === 0) return fail(LAYER, 'zero-length-option', `option ${type} at offset ${off}`);
    if (off + len > area.length) return fail(LAYER, 'truncated-option', `option ${type} of ${len} octets at offset ${off}`);
    out.push(decodeOption(type, area.subarray(off + 2, off + len)));
    off += len;
  }
  return ok(out);
}

// ---------------------------------------------------------------------------
// Messages: decode

/**
 * RS, RA, NS or NA from a decoded ICMPv6 message. Other types fail with
 * 'not-ndp'; a body shorter than the type's fixed part with 'truncated'.
 */
export function decodeNdp(icmp: Icmpv6Message): Decoded<NdpMessage> {
  const fixed = FIXED_BODY[icmp.type];
  if (fixed === undefined) return fail(LAYER, 'not-ndp', `ICMPv6 type ${icmp.type}`);
  const b = icmp.body;
  if (b.length < fixed) return fail(LAYER, 'truncated', `type ${icmp.type}: ${b.length + 4} < ${fixed + 4} octets`);
  const opts = decodeNdpOptions(b.subarray(fixed));
  if (!opts.ok) return opts;
  const options = opts.value;
  const code = icmp.code;
  switch (icmp.type) {
    case Icmpv6Type.RouterSolicitation:
      return ok({ type: Icmpv6Type.RouterSolicitation, code, options });
    case Icmpv6Type.RouterAdvertisement: {
      const flags = b[1]!;
      return ok({
        type: Icmpv6Type.RouterAdvertisement,
        code,
        curHopLimit: b[0]!,
        managed: (flags & RA_M) !== 0,
        other: (flags & RA_O) !== 0,
        homeAgent: (flags & RA_H) !== 0,
        preference: PREFERENCES[(flags >>> 3) & 3]!,
        routerLifetime: u16(b, 2),
        reachableTime: u32(b, 4),
        retransTimer: u32(b, 8),
        options,
      });
    }
    case Icmpv6Type.NeighborSolicitation:
      return ok({ type: Icmpv6Type.NeighborSolicitation, code, target: formatIpv6Address(b, 4), options });
    default: {
      const flags = b[0]!;
      return ok({
        type: Icmpv6Type.NeighborAdvertisement,
        code,
        router: (flags & NA_R) !== 0,
        solicited: (flags & NA_S) !== 0,
        override: (flags & NA_O) !== 0,
        target: formatIpv6Address(b, 4),
        options,
      });
    }
  }
}

// ---------------------------------------------------------------------------
// Accessors

/** The type octet an option is encoded with. */
export function ndpOptionType(o: NdpOption): number {
  switch (o.kind) {
    case 'source-link-layer':
      return NdpOptionType.SourceLinkLayerAddress;
    case 'target-link-layer':
      return NdpOptionType.TargetLinkLayerAddress;
    case 'prefix':
      return NdpOptionType.PrefixInformation;
    case 'mtu':
      return NdpOptionType.Mtu;
    case 'rdnss':
      return NdpOptionType.Rdnss;
    case 'dnssl':
      return NdpOptionType.Dnssl;
    case 'raw':
      return o.type;
  }
}

/** Whether any option of `type` is present, well-formed or not. */
export function hasNdpOption(msg: Pick<NdpMessage, 'options'>, type: number): boolean {
  return msg.options.some((o) => ndpOptionType(o) === type);
}

/** The MAC of the first well-formed source link-layer address option. */
export function sourceLinkLayerAddress(msg: Pick<NdpMessage, 'options'>): string | undefined {
  for (const o of msg.options) if (o.kind === 'source-link-layer') return o.mac;
  return undefined;
}

/** The MAC of the first well-formed target link-layer address option. */
export function targetLinkLayerAddress(msg: Pick<NdpMessage, 'options'>): string | undefined {
  for (const o of msg.options) if (o.kind === 'target-link-layer') return o.mac;
  return undefined;
}

// ---------------------------------------------------------------------------
// Encode

const MAX_OPTION_LENGTH = 255 * 8;

function dnsslNamesLength(domains: readonly string[]): number {
  let n = 0;
  for (const d of domains) n += dnsNameLength(d);
  return n;
}

/** Encoded length of one option (a multiple of 8). Throws EncodeError on a value that cannot be encoded. */
export function ndpOptionLength(o: NdpOption): number {
  let len: number;
  switch (o.kind) {
    case 'source-link-layer':
    case 'target-link-layer':
    case 'mtu':
      return 8;
    case 'prefix':
      return 32;
    case 'rdnss':
      if (o.servers.length === 0) throw new EncodeError(LAYER, 'empty', 'RDNSS without a server');
      len = 8 + 16 * o.servers.length;
      break;
    case 'dnssl':
      if (o.domains.length === 0) throw new EncodeError(LAYER, 'empty', 'DNSSL without a domain');
      len = Math.ceil((8 + dnsslNamesLength(o.domains)) / 8) * 8;
      break;
    case 'raw':
      len = 2 + o.data.length;
      if (len % 8 !== 0) throw new EncodeError(LAYER, 'bad-option', `raw option ${o.type}: ${len} octets, not a multiple of 8`);
      break;
  }
  if (len > MAX_OPTION_LENGTH) throw new EncodeError(LAYER, 'too-big', `option ${ndpOptionType(o)} of ${len} octets`);
  return len;
}

/** Writes one option at `out[off]`; returns its length. Every octet is written (reserved fields 0). */
export function encodeNdpOption(o: NdpOption, out: Uint8Array, off: number): number {
  const len = ndpOptionLength(o);
  if (out.length - off < len) throw new EncodeError(LAYER, 'buffer-too-small');
  const type = ndpOptionType(o);
  checkUint(type, 0xff, LAYER, 'option type');
  out.fill(0, off, off + len);
  out[off] = type;
  out[off + 1] = len / 8;
  const d = off + 2;
  switch (o.kind) {
    case 'source-link-layer':
    case 'target-link-layer':
      putMac(out, d, o.mac, LAYER, o.kind);
      break;
    case 'prefix':
      checkUint(o.prefixLength, 128, LAYER, 'prefixLength');
      checkUint(o.validLifetime, 0xffffffff, LAYER, 'validLifetime');
      checkUint(o.preferredLifetime, 0xffffffff, LAYER, 'preferredLifetime');
      out[d] = o.prefixLength;
      out[d + 1] = (o.onLink ? PIO_L : 0) | (o.autonomous ? PIO_A : 0) | (o.routerAddress ? PIO_R : 0);
      putU32(out, d + 2, o.validLifetime);
      putU32(out, d + 6, o.preferredLifetime);
      putIpv6(out, d + 14, o.prefix, LAYER, 'prefix');
      break;
    case 'mtu':
      checkUint(o.mtu, 0xffffffff, LAYER, 'mtu');
      putU32(out, d + 2, o.mtu);
      break;
    case 'rdnss':
      checkUint(o.lifetime, 0xffffffff, LAYER, 'lifetime');
      putU32(out, d + 2, o.lifetime);
      o.servers.forEach((s, i) => putIpv6(out, d + 6 + 16 * i, s, LAYER, 'rdnss server'));
      break;
    case 'dnssl': {
      checkUint(o.lifetime, 0xffffffff, LAYER, 'lifetime');
      putU32(out, d + 2, o.lifetime);
      let p = d + 6;
      for (const name of o.domains) p += encodeDnsName(name, out, p);
      break; // the rest is the zero padding written by fill()
    }
    case 'raw':
      out.set(o.data, d);
      break;
  }
  return len;
}

/** Encoded ICMPv6 length of a message. Throws EncodeError on a value that cannot be encoded. */
export function ndpMessageLength(msg: NdpMessage): number {
  let n = ICMPV6_HEADER_LENGTH + FIXED_BODY[msg.type]!;
  for (const o of msg.options) n += ndpOptionLength(o);
  return n;
}

/**
 * Writes the ICMPv6 message at `out[off]` with a zero checksum (see
 * putIcmpv6Checksum) and returns its length. Every octet is written.
 */
export function encodeNdpInto(msg: NdpMessage, out: Uint8Array, off = 0): number {
  const len = ndpMessageLength(msg);
  if (out.length - off < len) throw new EncodeError(LAYER, 'buffer-too-small');
  checkUint(msg.code, 0xff, LAYER, 'code');
  const fixed = FIXED_BODY[msg.type]!;
  out.fill(0, off, off + ICMPV6_HEADER_LENGTH + fixed);
  out[off] = msg.type;
  out[off + 1] = msg.code;
  const b = off + ICMPV6_HEADER_LENGTH;
  switch (msg.type) {
    case Icmpv6Type.RouterSolicitation:
      break;
    case Icmpv6Type.RouterAdvertisement:
      checkUint(msg.curHopLimit, 0xff, LAYER, 'curHopLimit');
      checkUint(msg.routerLifetime, 0xffff, LAYER, 'routerLifetime');
      checkUint(msg.reachableTime, 0xffffffff, LAYER, 'reachableTime');
      checkUint(msg.retransTimer, 0xffffffff, LAYER, 'retransTimer');
      out[b] = msg.curHopLimit;
      out[b + 1] =
        (msg.managed ? RA_M : 0) | (msg.other ? RA_O : 0) | (msg.homeAgent ? RA_H : 0) | (PREFERENCE_BITS[msg.preference] << 3);
      putU16(out, b + 2, msg.routerLifetime);
      putU32(out, b + 4, msg.reachableTime);
      putU32(out, b + 8, msg.retransTimer);
      break;
    case Icmpv6Type.NeighborSolicitation:
      putIpv6(out, b + 4, msg.target, LAYER, 'target');
      break;
    case Icmpv6Type.NeighborAdvertisement:
      out[b] = (msg.router ? NA_R : 0) | (msg.solicited ? NA_S : 0) | (msg.override ? NA_O : 0);
      putIpv6(out, b + 4, msg.target, LAYER, 'target');
      break;
  }
  let p = b + fixed;
  for (const o of msg.options) p += encodeNdpOption(o, out, p);
  return len;
}

/** The ICMPv6 message (zero checksum) in a new buffer. */
export function encodeNdp(msg: NdpMessage): Uint8Array {
  const out = new Uint8Array(ndpMessageLength(msg));
  encodeNdpInto(msg, out, 0);
  return out;
}
