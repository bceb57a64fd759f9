/**
 * Whole Ethernet + IPv6 (+ ICMPv6 | UDP) frames, the IPv6 counterpart of
 * frame.ts: `decodeIpv6Frame` peels Ethernet and IPv6 off (the caller
 * dispatches on `protocol`), `decodeNdpFrame` / `decodeDhcp6Frame` go all
 * the way for the two things onlinkd answers, and the builders lay out
 * the headers and payload in one buffer with the checksum computed.
 *
 * Errors name the layer that refused the frame (DecodeError.layer:
 * 'ethernet', 'ipv6', 'icmpv6', 'ndp', 'udp', 'dhcp6').
 */
import type { Mac48, MacInput } from './addr.js';
import { EtherType, decodeEthernet, encodeEthernetHeader, ethernetHeaderFor, ethernetHeaderLengthFor } from './ethernet.js';
import { decodeDhcp6, dhcp6MessageLength, encodeDhcp6Into, type Dhcp6Message } from './dhcp6.js';
import { decodeIcmpv6, putIcmpv6Checksum, type Icmpv6DecodeOptions } from './icmpv6.js';
import { IPV6_HEADER_LENGTH, IPV6_DEFAULT_HOP_LIMIT, Ipv6NextHeader, decodeIpv6, encodeIpv6Header, type Ipv6Input, type Ipv6Packet } from './ipv6.js';
import { decodeNdp, encodeNdpInto, ndpMessageLength, type NdpMessage, type NdpMessageSpec } from './ndp.js';
import { EncodeError, fail, ok, type Decoded } from './result.js';
import { UDP_HEADER_LENGTH, decodeUdp, encodeUdpHeader } from './udp.js';
import { ipv6PseudoHeaderSum } from './checksum.js';

/** A decoded IPv6 packet with the Ethernet addresses it came with. */
export interface Ipv6Frame extends Ipv6Packet {
  /** Ethernet source as a 48-bit number (addr.ts formatMac48 for text). */
  srcMac: Mac48;
  dstMac: Mac48;
  /** 802.1Q VLAN id, when the frame carried a tag. */
  vlan?: number;
}

/**
 * What the IPv6 responders read about the frame a request came in: the
 * Ethernet source (replies go there, never to a MAC derived from the IPv6
 * source), the IPv6 addresses (16-octet views into the frame) and the hop
 * limit (ND checks it is 255). An `Ipv6Frame` is one.
 */
export type Ipv6FrameMeta = Pick<Ipv6Frame, 'srcMac' | 'src' | 'dst' | 'hopLimit'>;

/** Ethernet → IPv6. A frame that is not IPv6 fails with 'ethernet'/'not-ipv6'. Views into `frame`. */
export function decodeIpv6Frame(frame: Uint8Array): Decoded<Ipv6Frame> {
  const eth = decodeEthernet(frame);
  if (!eth.ok) return eth;
  const e = eth.value;
  if (e.ethertype !== EtherType.Ipv6) return fail('ethernet', 'not-ipv6', `ethertype 0x${e.ethertype.toString(16).padStart(4, '0')}`);
  const ip = decodeIpv6(e.payload);
  if (!ip.ok) return ip;
  // One flat object literal (not a spread): this runs for every IPv6 frame on every tap.
  const p = ip.value;
  const out: Ipv6Frame = {
    srcMac: e.src,
    dstMac: e.dst,
    trafficClass: p.trafficClass,
    flowLabel: p.flowLabel,
    hopLimit: p.hopLimit,
    nextHeader: p.nextHeader,
    src: p.src,
    dst: p.dst,
    protocol: p.protocol,
    extensions: p.extensions,
    payloadOffset: p.payloadOffset,
    header: p.header,
    payload: p.payload,
  };
  if (e.vlan) out.vlan = e.vlan.id;
  return ok(out);
}

/** Ethernet → IPv6 → ICMPv6 (checksum verified unless turned off) → RS/RA/NS/NA. */
export function decodeNdpFrame(frame: Uint8Array, options?: Icmpv6DecodeOptions): Decoded<{ frame: Ipv6Frame; message: NdpMessage }> {
  const f = decodeIpv6Frame(frame);
  if (!f.ok) return f;
  if (f.value.protocol !== Ipv6NextHeader.Icmpv6) return fail('ipv6', 'not-icmpv6', `protocol ${f.value.protocol}`);
  const icmp = decodeIcmpv6(f.value.payload, f.value, options);
  if (!icmp.ok) return icmp;
  const nd = decodeNdp(icmp.value);
  if (!nd.ok) return nd;
  return ok({ frame: f.value, message: nd.value });
}

/** Ethernet → IPv6 → UDP (checksum verified unless turned off) → DHCPv6 client/server message. Any ports. */
export function decodeDhcp6Frame(
  frame: Uint8Array,
  options?: { verifyChecksum?: boolean },
): Decoded<{ frame: Ipv6Frame; srcPort: number; dstPort: number; message: Dhcp6Message }> {
  const f = decodeIpv6Frame(frame);
  if (!f.ok) return f;
  if (f.value.protocol !== Ipv6NextHeader.Udp) return fail('ipv6', 'not-udp', `protocol ${f.value.protocol}`);
  const udp = decodeUdp(f.value.payload, f.value, options);
  if (!udp.ok) return udp;
  const m = decodeDhcp6(udp.value.payload);
  if (!m.ok) return m;
  return ok({ frame: f.value, srcPort: udp.value.srcPort, dstPort: udp.value.dstPort, message: m.value });
}

// ---------------------------------------------------------------------------
// Build

export interface Ipv6FrameSpec {
  srcMac: MacInput;
  dstMac: MacInput;
  src: Ipv6Input;
  dst: Ipv6Input;
  /** Default 64; ND messages must use 255 (RFC 4861). */
  hopLimit?: number;
  trafficClass?: number;
  flowLabel?: number;
  /** 802.1Q VLAN id; untagged when absent. */
  vlan?: number;
}

/**
 * Lays out Ethernet + IPv6 headers for `upperLength` octets of `protocol`;
 * returns [buffer, ip offset, upper offset]. The buffer is new, or a view of
 * the start of `scratch` (the packet path's reused reply buffer) when given.
 */
function layout(spec: Ipv6FrameSpec, protocol: number, upperLength: number, scratch?: Uint8Array): [Uint8Array, number, number] {
  const ethLen = ethernetHeaderLengthFor(spec.vlan);
  const total = ethLen + IPV6_HEADER_LENGTH + upperLength;
  if (scratch && scratch.length < total) throw new EncodeError('ipv6', 'buffer-too-small', `${total} octets needed`);
  // A reused buffer is cleared: encoders leave reserved fields and padding as they find them.
  const out = scratch ? scratch.subarray(0, total).fill(0) : new Uint8Array(total);
  encodeEthernetHeader(ethernetHeaderFor(spec.dstMac, spec.srcMac, EtherType.Ipv6, spec.vlan), out, 0);
  encodeIpv6Header(
    {
      src: spec.src,
      dst: spec.dst,
      nextHeader: protocol,
      hopLimit: spec.hopLimit ?? IPV6_DEFAULT_HOP_LIMIT,
      trafficClass: spec.trafficClass ?? 0,
      flowLabel: spec.flowLabel ?? 0,
    },
    upperLength,
    out,
    ethLen,
  );
  return [out, ethLen, ethLen + IPV6_HEADER_LENGTH];
}

/** A frame carrying an ND message, encoded in place, checksum computed. Throws EncodeError. */
export function buildNdpFrame(spec: Ipv6FrameSpec, message: NdpMessageSpec, scratch?: Uint8Array): Uint8Array {
  const len = ndpMessageLength(message);
  const [out, ipAt, icmpAt] = layout(spec, Ipv6NextHeader.Icmpv6, len, scratch);
  encodeNdpInto(message, out, icmpAt);
  putIcmpv6Checksum(out, ipAt, icmpAt, len);
  return out;
}

/**
 * A frame carrying a DHCPv6 message, encoded in place in a view of
 * `scratch` (or a new buffer), UDP checksum computed. Throws EncodeError.
 */
export function buildDhcp6Frame(spec: Ipv6FrameSpec & { srcPort: number; dstPort: number }, message: Dhcp6Message, scratch?: Uint8Array): Uint8Array {
  const len = dhcp6MessageLength(message);
  const udpLen = UDP_HEADER_LENGTH + len;
  const [out, ipAt, udpAt] = layout(spec, Ipv6NextHeader.Udp, udpLen, scratch);
  encodeDhcp6Into(message, out, udpAt + UDP_HEADER_LENGTH);
  const pseudo = ipv6PseudoHeaderSum(out, ipAt + 8, out, ipAt + 24, Ipv6NextHeader.Udp, udpLen);
  encodeUdpHeader(spec, len, pseudo, out, udpAt);
  return out;
}
