/**
 * Neighbor Discovery messages (RFC 4861 §4) and their options (§4.6,
 * RFC 4191, RFC 8106, RFC 8781, RFC 8910), carried in ICMPv6.
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
 * The option codec is in ndp-options.ts (re-exported here).
 */
import { Icmpv6Type, ICMPV6_HEADER_LENGTH, type Icmpv6Message } from './icmpv6.js';
import { putIpv6, type Ipv6Input } from './ipv6-address.js';
import {
  PREFERENCES, PREFERENCE_BITS, decodeNdpOptions, encodeNdpOption, ndpOptionLength, ndpOptionType, type NdpOption, type RoutePreference,
} from './ndp-options.js';
import { u16, u32 } from './reader.js';
import { EncodeError, fail, ok, type Decoded } from './result.js';
import { checkUint, putU16, putU32 } from './writer.js';

export {
  NDP_INFINITE_LIFETIME,
  NdpOptionType,
  PREF64_LENGTHS,
  PREF64_MAX_SCALED_LIFETIME,
  captivePortalOptionLength,
  routeOptionLength,
  type Pref64Length,
  type RoutePreference,
  decodeNdpOptions,
  encodeNdpOption,
  ndpOptionLength,
  ndpOptionType,
  type NdpOption,
} from './ndp-options.js';

const LAYER = 'ndp';

/** RFC 4191 §2.1 router preference; 'reserved' (binary 10) is received as medium. */
export type RouterPreference = RoutePreference;

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

/** `A`: how the target is held — decoded, 16 octets (a view into the message, see ipv6.ts); to encode, octets or text. */
export interface NeighborSolicitation<A extends Ipv6Input = Uint8Array> {
  type: typeof Icmpv6Type.NeighborSolicitation;
  code: number;
  target: A;
  options: NdpOption[];
}

export interface NeighborAdvertisement<A extends Ipv6Input = Uint8Array> {
  type: typeof Icmpv6Type.NeighborAdvertisement;
  code: number;
  /** R: the sender is a router. */
  router: boolean;
  /** S: sent in response to an NS. */
  solicited: boolean;
  /** O: override an existing cache entry. */
  override: boolean;
  target: A;
  options: NdpOption[];
}

/** An ND message as decoded (NS/NA targets as octets). */
export type NdpMessage = RouterSolicitation | RouterAdvertisement | NeighborSolicitation | NeighborAdvertisement;
/** An ND message to encode: NS/NA targets as octets or text. A decoded message is one. */
export type NdpMessageSpec = RouterSolicitation | RouterAdvertisement | NeighborSolicitation<Ipv6Input> | NeighborAdvertisement<Ipv6Input>;

const RA_M = 0x80;
const RA_O = 0x40;
const RA_H = 0x20;
const NA_R = 0x80;
const NA_S = 0x40;
const NA_O = 0x20;


/** Body length before the options (after the 4-octet ICMPv6 header), per type. */
const FIXED_BODY: Record<number, number> = {
  [Icmpv6Type.RouterSolicitation]: 4,
  [Icmpv6Type.RouterAdvertisement]: 12,
  [Icmpv6Type.NeighborSolicitation]: 20,
  [Icmpv6Type.NeighborAdvertisement]: 20,
};

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
      return ok({ type: Icmpv6Type.NeighborSolicitation, code, target: b.subarray(4, 20), options });
    default: {
      const flags = b[0]!;
      return ok({
        type: Icmpv6Type.NeighborAdvertisement,
        code,
        router: (flags & NA_R) !== 0,
        solicited: (flags & NA_S) !== 0,
        override: (flags & NA_O) !== 0,
        target: b.subarray(4, 20),
        options,
      });
    }
  }
}

// ---------------------------------------------------------------------------
// Accessors

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

/** Encoded ICMPv6 length of a message. Throws EncodeError on a value that cannot be encoded. */
export function ndpMessageLength(msg: NdpMessageSpec): number {
  let n = ICMPV6_HEADER_LENGTH + FIXED_BODY[msg.type]!;
  for (const o of msg.options) n += ndpOptionLength(o);
  return n;
}

/**
 * Writes the ICMPv6 message at `out[off]` with a zero checksum (see
 * putIcmpv6Checksum) and returns its length. Every octet is written.
 */
export function encodeNdpInto(msg: NdpMessageSpec, out: Uint8Array, off = 0): number {
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
export function encodeNdp(msg: NdpMessageSpec): Uint8Array {
  const out = new Uint8Array(ndpMessageLength(msg));
  encodeNdpInto(msg, out, 0);
  return out;
}
