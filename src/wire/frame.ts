/**
 * Whole Ethernet + IPv4 + UDP frames in one call, for the DHCPv4 path and
 * for tests: `buildUdpFrame` lays the three headers and the payload out in
 * one buffer (checksums computed), `decodeUdpFrame` peels them back off and
 * says which layer refused the frame (DecodeError.layer: 'ethernet',
 * 'ipv4' or 'udp').
 */
import type { Ipv4Input, Mac48, MacInput } from './addr.js';
import { EtherType, decodeEthernet, encodeEthernetHeader, ethernetHeaderFor, ethernetHeaderLengthFor } from './ethernet.js';
import { IpProtocol, decodeIpv4, encodeIpv4Header, isFragment, IPV4_DEFAULT_TTL } from './ipv4.js';
import { ipv4PseudoHeaderSum } from './checksum.js';
import { fail, ok, type Decoded } from './result.js';
import { UDP_HEADER_LENGTH, decodeUdp, encodeUdpHeader, type UdpDecodeOptions } from './udp.js';

/** A frame to build: addresses as numbers (the packet path) or text (tests, announcements). */
export interface UdpFrameSpec {
  srcMac: MacInput;
  dstMac: MacInput;
  srcIp: Ipv4Input;
  dstIp: Ipv4Input;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
  /** 802.1Q VLAN id; untagged when absent. */
  vlan?: number;
  /** IPv4 TTL (default 64). */
  ttl?: number;
  /** IPv4 TOS octet (default 0). */
  tos?: number;
  /** IPv4 identification (default 0). */
  id?: number;
  /** IPv4 DF flag (default false). */
  dontFragment?: boolean;
}

/**
 * A decoded frame, flat: the fields of `UdpFrameSpec`, all present except
 * `vlan`, addresses in the form responders compute with (MACs 48-bit
 * numbers, IPv4 uint32): nothing is formatted per frame.
 */
export interface UdpFrame extends Required<Omit<UdpFrameSpec, 'vlan' | 'srcMac' | 'dstMac' | 'srcIp' | 'dstIp'>> {
  srcMac: Mac48;
  dstMac: Mac48;
  srcIp: number;
  dstIp: number;
  vlan?: number;
}

const IPV4_HEADER_LENGTH = 20;

/** Octets of the Ethernet (untagged, or with `vlan`), IPv4 and UDP headers in front of a payload. */
export function udpHeadersLength(vlan?: number): number {
  return ethernetHeaderLengthFor(vlan) + IPV4_HEADER_LENGTH + UDP_HEADER_LENGTH;
}

/** Octets `buildUdpFrame(spec)` produces. */
export function udpFrameLength(spec: Pick<UdpFrameSpec, 'vlan' | 'payload'>): number {
  return udpHeadersLength(spec.vlan) + spec.payload.length;
}

/**
 * Writes the frame at `out[offset]` and returns its length. Every octet is
 * written. Throws EncodeError on a bad address or out-of-range field.
 */
export function buildUdpFrameInto(spec: UdpFrameSpec, out: Uint8Array, offset = 0): number {
  out.set(spec.payload, offset + udpHeadersLength(spec.vlan));
  return writeUdpHeadersAround(spec, spec.payload.length, out, offset);
}

/**
 * Writes the headers at `out[offset]` in front of a `payloadLength`-octet
 * payload that is already in place after them (at offset +
 * udpHeadersLength(spec.vlan): a reply encoded straight into the send
 * buffer) and checksums it. Returns the frame's length. Throws EncodeError
 * on a bad address or out-of-range field.
 */
export function writeUdpHeadersAround(spec: Omit<UdpFrameSpec, 'payload'>, payloadLength: number, out: Uint8Array, offset = 0): number {
  const udpLen = UDP_HEADER_LENGTH + payloadLength;
  const ethLen = encodeEthernetHeader(ethernetHeaderFor(spec.dstMac, spec.srcMac, EtherType.Ipv4, spec.vlan), out, offset);
  const ipAt = offset + ethLen;
  encodeIpv4Header(
    {
      src: spec.srcIp,
      dst: spec.dstIp,
      protocol: IpProtocol.Udp,
      ttl: spec.ttl ?? IPV4_DEFAULT_TTL,
      tos: spec.tos ?? 0,
      id: spec.id ?? 0,
      dontFragment: spec.dontFragment ?? false,
    },
    udpLen,
    out,
    ipAt,
  );
  // The pseudo header's addresses from the IPv4 header just written (not parsed from text again).
  const pseudo = ipv4PseudoHeaderSum(out, ipAt + 12, out, ipAt + 16, IpProtocol.Udp, udpLen);
  encodeUdpHeader(spec, payloadLength, pseudo, out, ipAt + IPV4_HEADER_LENGTH);
  return ethLen + IPV4_HEADER_LENGTH + udpLen;
}

/** The frame in a new buffer. Throws EncodeError on a bad address or out-of-range field. */
export function buildUdpFrame(spec: UdpFrameSpec): Uint8Array {
  const out = new Uint8Array(udpFrameLength(spec));
  buildUdpFrameInto(spec, out, 0);
  return out;
}

/**
 * Ethernet → IPv4 → UDP. Refuses, with the layer that did: a frame that is
 * not IPv4 ('ethernet'/'not-ipv4'), an IPv4 fragment ('ipv4'/'fragment'),
 * a protocol other than UDP ('ipv4'/'not-udp'), and any error of the
 * layer decoders. `payload` is a view into `frame`.
 */
export function decodeUdpFrame(frame: Uint8Array, options?: UdpDecodeOptions): Decoded<UdpFrame> {
  const eth = decodeEthernet(frame);
  if (!eth.ok) return eth;
  const e = eth.value;
  if (e.ethertype !== EtherType.Ipv4) return fail('ethernet', 'not-ipv4', `ethertype 0x${e.ethertype.toString(16).padStart(4, '0')}`);
  const ip = decodeIpv4(e.payload);
  if (!ip.ok) return ip;
  const p = ip.value;
  if (isFragment(p)) return fail('ipv4', 'fragment', `offset ${p.fragmentOffset}${p.moreFragments ? ', more fragments' : ''}`);
  if (p.protocol !== IpProtocol.Udp) return fail('ipv4', 'not-udp', `protocol ${p.protocol}`);
  const udp = decodeUdp(p.payload, p, options);
  if (!udp.ok) return udp;
  const u = udp.value;
  const out: UdpFrame = {
    srcMac: e.src,
    dstMac: e.dst,
    srcIp: p.src,
    dstIp: p.dst,
    srcPort: u.srcPort,
    dstPort: u.dstPort,
    payload: u.payload,
    ttl: p.ttl,
    tos: p.tos,
    id: p.id,
    dontFragment: p.dontFragment,
  };
  if (e.vlan) out.vlan = e.vlan.id;
  return ok(out);
}
