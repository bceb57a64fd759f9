/**
 * Ethernet II frames (IEEE 802.3 with EtherType), with one optional
 * IEEE 802.1Q / 802.1ad tag.
 *
 * The FCS is not part of what a packet socket hands over, and is not read
 * or written here. Frames shorter than the 60-octet minimum are accepted
 * and emitted as they are (a tap or veth does not pad; a NIC pads on the
 * wire). Decoding copies nothing: `payload` is a view into the input.
 */
import { readMac48, type Mac48, type MacInput } from './addr.js';
import { u16 } from './reader.js';
import { EncodeError, fail, ok, type Decoded } from './result.js';
import { checkUint, putMac, putU16 } from './writer.js';

/** EtherType values onlinkd meets (IEEE registry). */
export const EtherType = {
  Ipv4: 0x0800,
  Arp: 0x0806,
  Vlan: 0x8100, // IEEE 802.1Q C-tag
  QinQ: 0x88a8, // IEEE 802.1ad S-tag
  Ipv6: 0x86dd,
} as const;

export const ETHERNET_HEADER_LENGTH = 14;
export const VLAN_TAG_LENGTH = 4;

/** One 802.1Q/802.1ad tag (TPID + TCI). */
export interface VlanTag {
  /** Tag protocol identifier: 0x8100 (802.1Q) or 0x88a8 (802.1ad). */
  tpid: number;
  /** Priority code point, 0..7. */
  pcp: number;
  /** Drop eligible indicator (formerly CFI). */
  dei: boolean;
  /** VLAN identifier, 0..4095 (0 = priority tag only). */
  id: number;
}

export interface EthernetFrame {
  /** Destination MAC as a 48-bit number (addr.ts formatMac48 for text). */
  dst: Mac48;
  /** Source MAC as a 48-bit number. */
  src: Mac48;
  /**
   * EtherType of the payload: for a tagged frame, the *inner* EtherType.
   * A value below 0x0600 is an 802.3 length field (LLC frame), which
   * onlinkd does not speak; a second (QinQ) tag shows up as 0x8100 here.
   */
  ethertype: number;
  /** Present only when the frame carried an 802.1Q/802.1ad tag. */
  vlan?: VlanTag;
  /** Everything after the header, Ethernet padding included (IPv4 total length trims it). */
  payload: Uint8Array;
}

export type EthernetHeader = Omit<EthernetFrame, 'payload'>;

/** A header to encode: MACs as numbers or text (a decoded header is one). */
export interface EthernetHeaderSpec extends Omit<EthernetHeader, 'dst' | 'src'> {
  dst: MacInput;
  src: MacInput;
}

export function decodeEthernet(frame: Uint8Array): Decoded<EthernetFrame> {
  if (frame.length < ETHERNET_HEADER_LENGTH) {
    return fail('ethernet', 'truncated', `${frame.length} < ${ETHERNET_HEADER_LENGTH} octets`);
  }
  const dst = readMac48(frame, 0);
  const src = readMac48(frame, 6);
  const type = u16(frame, 12);
  if (type !== EtherType.Vlan && type !== EtherType.QinQ) {
    return ok({ dst, src, ethertype: type, payload: frame.subarray(ETHERNET_HEADER_LENGTH) });
  }
  const hlen = ETHERNET_HEADER_LENGTH + VLAN_TAG_LENGTH;
  if (frame.length < hlen) return fail('ethernet', 'truncated', `tagged frame ${frame.length} < ${hlen} octets`);
  const tci = u16(frame, 14);
  return ok({
    dst,
    src,
    ethertype: u16(frame, 16),
    vlan: { tpid: type, pcp: tci >>> 13, dei: (tci & 0x1000) !== 0, id: tci & 0x0fff },
    payload: frame.subarray(hlen),
  });
}

export function ethernetHeaderLength(header: Pick<EthernetHeader, 'vlan'>): number {
  return header.vlan ? ETHERNET_HEADER_LENGTH + VLAN_TAG_LENGTH : ETHERNET_HEADER_LENGTH;
}

/**
 * The header of a frame onlinkd builds: untagged, or with one 802.1Q tag
 * (priority 0, DEI clear) for VLAN `vlan`.
 */
export function ethernetHeaderFor(dst: MacInput, src: MacInput, ethertype: number, vlan?: number): EthernetHeaderSpec {
  const h: EthernetHeaderSpec = { dst, src, ethertype };
  if (vlan !== undefined) h.vlan = { tpid: EtherType.Vlan, pcp: 0, dei: false, id: vlan };
  return h;
}

/** Octets of the header `ethernetHeaderFor` builds for `vlan` (untagged when undefined). */
export function ethernetHeaderLengthFor(vlan?: number): number {
  return vlan === undefined ? ETHERNET_HEADER_LENGTH : ETHERNET_HEADER_LENGTH + VLAN_TAG_LENGTH;
}

/**
 * Writes the header at `out[offset]` and returns its length. Every header
 * octet is written. Throws EncodeError on a bad MAC or out-of-range field.
 */
export function encodeEthernetHeader(header: EthernetHeaderSpec, out: Uint8Array, offset = 0): number {
  const len = ethernetHeaderLength(header);
  if (out.length - offset < len) throw new EncodeError('ethernet', 'buffer-too-small');
  putMac(out, offset, header.dst, 'ethernet', 'dst');
  putMac(out, offset + 6, header.src, 'ethernet', 'src');
  checkUint(header.ethertype, 0xffff, 'ethernet', 'ethertype');
  const v = header.vlan;
  if (v) {
    if (v.tpid !== EtherType.Vlan && v.tpid !== EtherType.QinQ) {
      throw new EncodeError('ethernet', 'bad-field', `tpid 0x${v.tpid.toString(16)}`);
    }
    checkUint(v.pcp, 7, 'ethernet', 'vlan.pcp');
    checkUint(v.id, 0xfff, 'ethernet', 'vlan.id');
    putU16(out, offset + 12, v.tpid);
    putU16(out, offset + 14, (v.pcp << 13) | (v.dei ? 0x1000 : 0) | v.id);
    putU16(out, offset + 16, header.ethertype);
  } else {
    putU16(out, offset + 12, header.ethertype);
  }
  return len;
}

/** Header + payload as a new frame. */
export function encodeEthernet(frame: EthernetHeaderSpec & { payload: Uint8Array }): Uint8Array {
  const hlen = ethernetHeaderLength(frame);
  const out = new Uint8Array(hlen + frame.payload.length);
  encodeEthernetHeader(frame, out, 0);
  out.set(frame.payload, hlen);
  return out;
}
