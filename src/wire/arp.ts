/**
 * ARP for Ethernet and IPv4 (RFC 826), the only pairing onlinkd meets.
 *
 *  0   hardware type (16) = 1 Ethernet | protocol type (16) = 0x0800 IPv4
 *  4   hardware length (8) = 6 | protocol length (8) = 4 | operation (16)
 *  8   sender hardware address (6)     SHA
 *  14  sender protocol address (4)     SPA
 *  18  target hardware address (6)     THA
 *  24  target protocol address (4)     TPA
 *  28  (Ethernet padding up to the 60-octet minimum frame, ignored)
 *
 * The decoder refuses, with a typed error ('arp' layer), anything but
 * htype 1 / ptype 0x0800 / hlen 6 / plen 4 ('bad-htype', 'bad-ptype',
 * 'bad-hlen', 'bad-plen') and a packet shorter than 28 octets
 * ('truncated'). The operation is kept as a number: 1 request and 2 reply
 * (RFC 826) are what a responder looks at; the others (RARP 3/4 belong to
 * EtherType 0x8035, InARP 8/9, ...) are left for it to refuse. Trailing
 * octets (padding) are ignored, so `encodeArp(decodeArp(b))` is the first
 * 28 octets of `b`.
 *
 * `buildArpFrame` lays Ethernet + ARP out in one buffer padded with zeros
 * to 60 octets (the 64-octet Ethernet minimum without FCS): a packet
 * socket sends exactly what it is handed, and a veth or tap does not pad.
 */
import { readMac48, type Ipv4Input, type Mac48, type MacInput } from './addr.js';
import { EtherType, decodeEthernet, encodeEthernetHeader, ethernetHeaderFor, ethernetHeaderLengthFor } from './ethernet.js';
import { u16, u32 } from './reader.js';
import { EncodeError, fail, ok, type Decoded } from './result.js';
import { checkUint, putIpv4, putMac, putU16 } from './writer.js';

const LAYER = 'arp';

export const ARP_HTYPE_ETHERNET = 1;
export const ARP_PTYPE_IPV4 = EtherType.Ipv4;
/** An Ethernet/IPv4 ARP packet: 8 fixed octets + 2 × (6 + 4). */
export const ARP_LENGTH = 28;
/** Shortest Ethernet frame without its FCS (IEEE 802.3: 64 with FCS). */
export const ETHERNET_MIN_FRAME_LENGTH = 60;
/** THA of a request: unknown (RFC 5227 §2.1.1 "SHOULD be set to all zeroes"). */
export const ZERO_MAC = '00:00:00:00:00:00';

/** ARP operation codes (IANA "ARP Operation Codes"). */
export const ArpOp = {
  Request: 1,
  Reply: 2,
} as const;

/** A decoded ARP packet: MACs as 48-bit numbers, addresses as uint32 (addr.ts formats them for logs). */
export interface ArpPacket {
  /** Operation: 1 request, 2 reply; any other value is kept as it came. */
  op: number;
  /** SHA. */
  senderMac: Mac48;
  /** SPA; 0 (0.0.0.0) in an RFC 5227 probe. */
  senderIp: number;
  /** THA; zeros in a request (ignored by receivers). */
  targetMac: Mac48;
  /** TPA. */
  targetIp: number;
}

/** An ARP packet to encode: addresses as numbers or text (a decoded packet is one). */
export interface ArpPacketSpec {
  op: number;
  senderMac: MacInput;
  senderIp: Ipv4Input;
  targetMac: MacInput;
  targetIp: Ipv4Input;
}

/** An ARP packet with the Ethernet addresses it came with (flat, like frame.ts `UdpFrame`). */
export interface ArpFrame extends ArpPacket {
  /** Ethernet source. */
  srcMac: Mac48;
  /** Ethernet destination. */
  dstMac: Mac48;
  /** 802.1Q VLAN id, when the frame carried a tag. */
  vlan?: number;
}

/** What `buildArpFrame` needs: the ARP fields, the Ethernet addresses, an optional 802.1Q VLAN id. */
export interface ArpFrameSpec extends ArpPacketSpec {
  srcMac: MacInput;
  dstMac: MacInput;
  vlan?: number;
}

export function decodeArp(bytes: Uint8Array): Decoded<ArpPacket> {
  if (bytes.length < 8) return fail(LAYER, 'truncated', `${bytes.length} < 8 octets`);
  const htype = u16(bytes, 0);
  if (htype !== ARP_HTYPE_ETHERNET) return fail(LAYER, 'bad-htype', `hardware type ${htype}`);
  const ptype = u16(bytes, 2);
  if (ptype !== ARP_PTYPE_IPV4) return fail(LAYER, 'bad-ptype', `protocol type 0x${ptype.toString(16).padStart(4, '0')}`);
  const hlen = bytes[4]!;
  if (hlen !== 6) return fail(LAYER, 'bad-hlen', `hardware length ${hlen}`);
  const plen = bytes[5]!;
  if (plen !== 4) return fail(LAYER, 'bad-plen', `protocol length ${plen}`);
  if (bytes.length < ARP_LENGTH) return fail(LAYER, 'truncated', `${bytes.length} < ${ARP_LENGTH} octets`);
  return ok({
    op: u16(bytes, 6),
    senderMac: readMac48(bytes, 8),
    senderIp: u32(bytes, 14),
    targetMac: readMac48(bytes, 18),
    targetIp: u32(bytes, 24),
  });
}

/**
 * Writes the 28 octets at `out[offset]` and returns 28. Throws
 * EncodeError on a bad MAC or address or an operation outside 0..65535.
 */
export function encodeArpInto(p: ArpPacketSpec, out: Uint8Array, offset = 0): number {
  if (out.length - offset < ARP_LENGTH) throw new EncodeError(LAYER, 'buffer-too-small');
  checkUint(p.op, 0xffff, LAYER, 'op');
  putU16(out, offset, ARP_HTYPE_ETHERNET);
  putU16(out, offset + 2, ARP_PTYPE_IPV4);
  out[offset + 4] = 6;
  out[offset + 5] = 4;
  putU16(out, offset + 6, p.op);
  putMac(out, offset + 8, p.senderMac, LAYER, 'senderMac');
  putIpv4(out, offset + 14, p.senderIp, LAYER, 'senderIp');
  putMac(out, offset + 18, p.targetMac, LAYER, 'targetMac');
  putIpv4(out, offset + 24, p.targetIp, LAYER, 'targetIp');
  return ARP_LENGTH;
}

/** The 28-octet packet in a new buffer. Throws EncodeError (see `encodeArpInto`). */
export function encodeArp(p: ArpPacketSpec): Uint8Array {
  const out = new Uint8Array(ARP_LENGTH);
  encodeArpInto(p, out, 0);
  return out;
}

/** Octets `buildArpFrame(spec)` produces: header + 28, at least 60. */
export function arpFrameLength(spec: Pick<ArpFrameSpec, 'vlan'>): number {
  return Math.max(ETHERNET_MIN_FRAME_LENGTH, ethernetHeaderLengthFor(spec.vlan) + ARP_LENGTH);
}

/**
 * Ethernet + ARP in a new buffer, zero-padded to 60 octets. Throws
 * EncodeError on a bad MAC, address, VLAN id or operation.
 */
export function buildArpFrame(spec: ArpFrameSpec): Uint8Array {
  const out = new Uint8Array(arpFrameLength(spec)); // zero-filled: the padding
  const hlen = encodeEthernetHeader(ethernetHeaderFor(spec.dstMac, spec.srcMac, EtherType.Arp, spec.vlan), out, 0);
  encodeArpInto(spec, out, hlen);
  return out;
}

/**
 * Ethernet → ARP. A frame that is not ARP fails with 'ethernet'/'not-arp';
 * ARP errors as in `decodeArp`. Padding after the 28 octets is ignored.
 */
export function decodeArpFrame(frame: Uint8Array): Decoded<ArpFrame> {
  const eth = decodeEthernet(frame);
  if (!eth.ok) return eth;
  const e = eth.value;
  if (e.ethertype !== EtherType.Arp) return fail('ethernet', 'not-arp', `ethertype 0x${e.ethertype.toString(16).padStart(4, '0')}`);
  const arp = decodeArp(e.payload);
  if (!arp.ok) return arp;
  const out: ArpFrame = { ...arp.value, srcMac: e.src, dstMac: e.dst };
  if (e.vlan) out.vlan = e.vlan.id;
  return ok(out);
}
