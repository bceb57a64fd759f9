/**
 * Neighbor Discovery options (RFC 4861 §4.6, RFC 4191, RFC 8106, RFC 8781,
 * RFC 8910): the
 * option values and their codec. An option is (type(8), length(8) in
 * units of 8 octets including these two, data); a malformed or unknown
 * one is kept 'raw' (see ndp.ts for why). The messages are in ndp.ts.
 */
import { formatMac } from './addr.js';
import { decodeUncompressedDnsNames, dnsNamesLength, encodeDnsName } from './dns-name.js';
import { formatIpv6Address, maskIpv6Prefix, putIpv6 } from './ipv6-address.js';
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
  CaptivePortal: 37, // RFC 8910 §2.3
  Pref64: 38, // RFC 8781
} as const;

/** RFC 4191 §2.1 preference of a router or route; 'reserved' (binary 10) is what a receiver treats as absent/medium. */
export type RoutePreference = 'high' | 'medium' | 'low' | 'reserved';
export const PREFERENCE_BITS: Readonly<Record<RoutePreference, number>> = { medium: 0, high: 1, reserved: 2, low: 3 };
export const PREFERENCES: readonly RoutePreference[] = ['medium', 'high', 'reserved', 'low'];

/** RFC 8781 §4: the NAT64 prefix lengths a PREF64 option can say (RFC 6052 §2.2), by Prefix Length Code 0..5. */
export const PREF64_LENGTHS = [96, 64, 56, 48, 40, 32] as const;
export type Pref64Length = (typeof PREF64_LENGTHS)[number];
/** RFC 8781 §4: the Scaled Lifetime is 13 bits, in units of 8 seconds. */
export const PREF64_MAX_SCALED_LIFETIME = 8191;

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
  /** RFC 4191 §2.3 Route Information: `prefix` is the route's network (bits past `prefixLength` zero on the wire). */
  | { kind: 'route'; prefixLength: number; preference: RoutePreference; lifetime: number; prefix: string }
  /** RFC 8781 §4 PREF64: `scaledLifetime` in units of 8 s (0..8191); the prefix's first 96 bits are carried. */
  | { kind: 'pref64'; scaledLifetime: number; prefixLength: Pref64Length; prefix: string }
  /** RFC 8910 §2.3 Captive-Portal: the URI, NUL-padded on the wire. */
  | { kind: 'captive-portal'; uri: string }
  | { kind: 'dnssl'; lifetime: number; domains: string[] }
  /** Any other option, or a known one whose content is malformed: `data` is what follows type and length. */
  | { kind: 'raw'; type: number; data: Uint8Array; malformed?: string };

const PIO_L = 0x80;
const PIO_A = 0x40;
const PIO_R = 0x20;

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
    case NdpOptionType.RouteInformation:
      return decodeRouteInformation(d);
    case NdpOptionType.Pref64: {
      if (d.length !== 14) return raw(type, d, `PREF64 of ${d.length + 2} octets, want 16`);
      const word = u16(d, 0);
      const prefixLength = PREF64_LENGTHS[word & 7];
      // §4: "The receiver MUST ignore the PREF64 option if the Prefix Length Code field is not set to one of those values."
      if (prefixLength === undefined) return raw(type, d, `PREF64 prefix length code ${word & 7}`);
      const prefix = new Uint8Array(16);
      prefix.set(d.subarray(2, 14), 0);
      maskIpv6Prefix(prefix, prefixLength);
      return { kind: 'pref64', scaledLifetime: word >>> 3, prefixLength, prefix: formatIpv6Address(prefix, 0) };
    }
    case NdpOptionType.CaptivePortal: {
      // §2.3: the URI, then NUL padding to a multiple of 8 octets; never UTF-8 here (RFC 3986 URIs are ASCII).
      let end = d.length;
      while (end > 0 && d[end - 1] === 0) end--;
      for (let i = 0; i < end; i++) if (d[i]! < 0x21 || d[i]! > 0x7e) return raw(type, d, 'captive portal URI not printable ASCII');
      if (end === 0) return raw(type, d, 'captive portal option without a URI');
      return { kind: 'captive-portal', uri: String.fromCharCode(...d.subarray(0, end)) };
    }
    default:
      return raw(type, d);
  }
}

/** RFC 4191 §2.3: Length 1 for a /0, at least 2 up to /64, 3 beyond; the prefix is as many octets as the length holds. */
function decodeRouteInformation(d: Uint8Array): NdpOption {
  const type = NdpOptionType.RouteInformation;
  if (d.length !== 6 && d.length !== 14 && d.length !== 22) return raw(type, d, `route information of ${d.length + 2} octets`);
  const plen = d[0]!;
  if (plen > 128) return raw(type, d, `route prefix length ${plen}`);
  if ((plen > 64 && d.length < 22) || (plen > 0 && d.length < 14)) return raw(type, d, `route /${plen} in ${d.length + 2} octets`);
  const prefix = new Uint8Array(16);
  prefix.set(d.subarray(6), 0);
  maskIpv6Prefix(prefix, plen); // §2.3: bits past the length are reserved, not part of the route
  return { kind: 'route', prefixLength: plen, preference: PREFERENCES[(d[1]! >>> 3) & 3]!, lifetime: u32(d, 2), prefix: formatIpv6Address(prefix, 0) };
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
// Encode

/** Octets of a Route Information option for a route of `prefixLength` (RFC 4191 §2.3). */
export function routeOptionLength(prefixLength: number): number {
  return prefixLength === 0 ? 8 : prefixLength <= 64 ? 16 : 24;
}

/** Octets of a Captive-Portal option carrying `uri` (RFC 8910 §2.3: padded to 8). */
export function captivePortalOptionLength(uri: string): number {
  return Math.ceil((2 + uri.length) / 8) * 8;
}

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
    case 'route':
      return NdpOptionType.RouteInformation;
    case 'pref64':
      return NdpOptionType.Pref64;
    case 'captive-portal':
      return NdpOptionType.CaptivePortal;
    case 'raw':
      return o.type;
  }
}

const MAX_OPTION_LENGTH = 255 * 8;

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
    case 'pref64':
      return 16;
    case 'route':
      // The shortest Length for the prefix (RFC 4191 §2.3): 8, 16 or 24 octets.
      return routeOptionLength(o.prefixLength);
    case 'captive-portal':
      if (o.uri.length === 0) throw new EncodeError(LAYER, 'empty', 'captive portal option without a URI');
      len = Math.ceil((2 + o.uri.length) / 8) * 8;
      break;
    case 'rdnss':
      if (o.servers.length === 0) throw new EncodeError(LAYER, 'empty', 'RDNSS without a server');
      len = 8 + 16 * o.servers.length;
      break;
    case 'dnssl':
      if (o.domains.length === 0) throw new EncodeError(LAYER, 'empty', 'DNSSL without a domain');
      len = Math.ceil((8 + dnsNamesLength(o.domains)) / 8) * 8;
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
    case 'route': {
      checkUint(o.prefixLength, 128, LAYER, 'route prefixLength');
      checkUint(o.lifetime, 0xffffffff, LAYER, 'route lifetime');
      out[d] = o.prefixLength;
      out[d + 1] = PREFERENCE_BITS[o.preference] << 3;
      putU32(out, d + 2, o.lifetime);
      // Only the octets the Length holds; the bits past the prefix length must be zero (§2.3), so the network is masked.
      const net = new Uint8Array(16);
      putIpv6(net, 0, o.prefix, LAYER, 'route prefix');
      maskIpv6Prefix(net, o.prefixLength);
      out.set(net.subarray(0, len - 8), d + 6);
      break;
    }
    case 'pref64': {
      checkUint(o.scaledLifetime, PREF64_MAX_SCALED_LIFETIME, LAYER, 'PREF64 scaled lifetime');
      const plc = PREF64_LENGTHS.indexOf(o.prefixLength);
      if (plc < 0) throw new EncodeError(LAYER, 'bad-option', `PREF64 prefix length ${o.prefixLength} (RFC 8781: 96, 64, 56, 48, 40 or 32)`);
      putU16(out, d, (o.scaledLifetime << 3) | plc);
      const net = new Uint8Array(16);
      putIpv6(net, 0, o.prefix, LAYER, 'PREF64 prefix');
      maskIpv6Prefix(net, o.prefixLength);
      out.set(net.subarray(0, 12), d + 2);
      break;
    }
    case 'captive-portal':
      for (let i = 0; i < o.uri.length; i++) {
        const c = o.uri.charCodeAt(i);
        if (c < 0x21 || c > 0x7e) throw new EncodeError(LAYER, 'bad-option', 'captive portal URI not printable ASCII');
        out[d + i] = c;
      }
      break; // the NUL padding was written by fill()
    case 'raw':
      out.set(o.data, d);
      break;
  }
  return len;
}
