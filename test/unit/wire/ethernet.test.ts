import { describe, expect, it } from 'vitest';
import {
  EtherType, decodeEthernet, encodeEthernet, encodeEthernetHeader, ethernetHeaderFor, ethernetHeaderLength, ethernetHeaderLengthFor,
} from '../../../src/wire/ethernet.js';
import { buildArpFrame } from '../../../src/wire/arp.js';
import { buildUdpFrame } from '../../../src/wire/frame.js';
import { buildNdpFrame, decodeNdpFrame } from '../../../src/wire/frame6.js';
import { Icmpv6Type } from '../../../src/wire/icmpv6.js';
import { EncodeError } from '../../../src/wire/result.js';
import { everyTruncation, expectError, garbage, hex, toHex, value } from './helpers.js';
import { decodedAddresses } from './helpers.js';

const UNTAGGED = hex`
  ff ff ff ff ff ff   # dst: broadcast
  aa 00 00 00 00 10   # src
  08 00               # ethertype: IPv4
  de ad be ef         # payload`;

const TAGGED = hex`
  02 00 00 00 00 01   # dst
  aa 00 00 00 00 10   # src
  81 00               # TPID: 802.1Q
  a0 64               # TCI: PCP 5, DEI 0, VID 100
  08 00               # inner ethertype: IPv4
  45 00               # payload`;

describe('ethernet', () => {
  it('decodes an untagged frame (payload is a view)', () => {
    const f = value(decodeEthernet(UNTAGGED));
    expect(f).toEqual(decodedAddresses({ dst: 'ff:ff:ff:ff:ff:ff', src: 'aa:00:00:00:00:10', ethertype: 0x0800, payload: hex`de ad be ef` }));
    expect(f.vlan).toBeUndefined();
    expect(f.payload.buffer).toBe(UNTAGGED.buffer);
    expect(f.payload.byteOffset).toBe(14);
  });

  it('decodes an 802.1Q tag and exposes the inner ethertype', () => {
    const f = value(decodeEthernet(TAGGED));
    expect(f).toEqual(decodedAddresses({
      dst: '02:00:00:00:00:01',
      src: 'aa:00:00:00:00:10',
      ethertype: EtherType.Ipv4,
      vlan: { tpid: 0x8100, pcp: 5, dei: false, id: 100 },
      payload: hex`45 00`,
    }));
  });

  it('decodes DEI and 802.1ad; a second tag shows as the inner ethertype', () => {
    const qinq = hex`02 00 00 00 00 01  aa 00 00 00 00 10  88 a8  1f ff  81 00  00 05 08 00`;
    const f = value(decodeEthernet(qinq));
    expect(f.vlan).toEqual({ tpid: 0x88a8, pcp: 0, dei: true, id: 0xfff });
    expect(f.ethertype).toBe(0x8100);
  });

  it('refuses short frames', () => {
    expectError(decodeEthernet(UNTAGGED.slice(0, 13)), 'ethernet', 'truncated');
    expectError(decodeEthernet(TAGGED.slice(0, 17)), 'ethernet', 'truncated');
    expect(value(decodeEthernet(TAGGED.slice(0, 18))).payload.length).toBe(0);
    expect(value(decodeEthernet(UNTAGGED.slice(0, 14))).payload.length).toBe(0);
  });

  it('never throws on any truncation', () => {
    everyTruncation(UNTAGGED, decodeEthernet);
    everyTruncation(TAGGED, decodeEthernet);
  });

  it('encodes golden bytes, tagged and untagged', () => {
    expect(toHex(encodeEthernet(value(decodeEthernet(UNTAGGED))))).toBe(toHex(UNTAGGED));
    expect(toHex(encodeEthernet(value(decodeEthernet(TAGGED))))).toBe(toHex(TAGGED));
  });

  it('writes every header octet into a garbage-filled buffer, at an offset', () => {
    const out = garbage(3 + 18);
    const n = encodeEthernetHeader(
      { dst: '02:00:00:00:00:01', src: 'AA:00:00:00:00:10', ethertype: 0x0800, vlan: { tpid: 0x8100, pcp: 5, dei: false, id: 100 } },
      out,
      3,
    );
    expect(n).toBe(18);
    expect(toHex(out)).toBe(toHex(hex`a5 a5 a5` /* untouched */) + ' ' + toHex(TAGGED.slice(0, 18)));
  });

  it('throws EncodeError on bad values', () => {
    expect(() => encodeEthernet({ dst: 'nope', src: 'aa:00:00:00:00:10', ethertype: 0x800, payload: new Uint8Array() })).toThrow(EncodeError);
    expect(() => encodeEthernet({ dst: 'aa:00:00:00:00:10', src: 'aa:00:00:00:00:10', ethertype: 0x10000, payload: new Uint8Array() })).toThrow(EncodeError);
    expect(() =>
      encodeEthernet({ dst: 'aa:00:00:00:00:10', src: 'aa:00:00:00:00:10', ethertype: 0x800, vlan: { tpid: 0x8100, pcp: 0, dei: false, id: 4096 }, payload: new Uint8Array() }),
    ).toThrow(EncodeError);
    expect(() => encodeEthernetHeader({ dst: 'aa:00:00:00:00:10', src: 'aa:00:00:00:00:10', ethertype: 0x800 }, new Uint8Array(13))).toThrow(EncodeError);
  });

  it('ethernetHeaderFor: untagged without a VLAN id, one 802.1Q tag (priority 0, DEI clear) with one', () => {
    const plain = ethernetHeaderFor('02:00:00:00:00:01', 'aa:00:00:00:00:10', EtherType.Ipv4);
    expect(plain).toEqual({ dst: '02:00:00:00:00:01', src: 'aa:00:00:00:00:10', ethertype: EtherType.Ipv4 });
    expect('vlan' in plain).toBe(false);
    const tagged = ethernetHeaderFor('02:00:00:00:00:01', 'aa:00:00:00:00:10', EtherType.Ipv4, 100);
    expect(tagged.vlan).toEqual({ tpid: EtherType.Vlan, pcp: 0, dei: false, id: 100 });
    expect(ethernetHeaderFor('02:00:00:00:00:01', 'aa:00:00:00:00:10', EtherType.Arp, 0).vlan?.id).toBe(0); // VLAN 0 is a tag too
    const out = new Uint8Array(18);
    expect(encodeEthernetHeader(tagged, out)).toBe(18);
    expect(toHex(out)).toBe(toHex(hex`02 00 00 00 00 01  aa 00 00 00 00 10  81 00  00 64  08 00`));
  });

  it('ethernetHeaderLengthFor agrees with the header ethernetHeaderFor builds', () => {
    for (const vlan of [undefined, 0, 7, 4095]) {
      expect(ethernetHeaderLengthFor(vlan)).toBe(ethernetHeaderLength(ethernetHeaderFor('02:00:00:00:00:01', 'aa:00:00:00:00:10', 0x0800, vlan)));
    }
    expect(ethernetHeaderLengthFor()).toBe(14);
    expect(ethernetHeaderLengthFor(7)).toBe(18);
  });

  it('the UDP, IPv6 and ARP frame builders all tag with it', () => {
    const macs = { srcMac: 'aa:00:00:00:00:10', dstMac: '02:00:00:00:00:01' };
    const udp = buildUdpFrame({ ...macs, srcIp: '203.0.113.10', dstIp: '192.0.2.1', srcPort: 68, dstPort: 67, payload: hex`61`, vlan: 7 });
    const ndp = buildNdpFrame({ ...macs, src: 'fe80::1', dst: 'ff02::2', hopLimit: 255, vlan: 7 }, { type: Icmpv6Type.RouterSolicitation, code: 0, options: [] });
    const arp = buildArpFrame({ ...macs, op: 1, senderMac: macs.srcMac, senderIp: '203.0.113.10', targetMac: '00:00:00:00:00:00', targetIp: '203.0.113.1', vlan: 7 });
    for (const [frame, ethertype] of [[udp, EtherType.Ipv4], [ndp, EtherType.Ipv6], [arp, EtherType.Arp]] as const) {
      const e = value(decodeEthernet(frame));
      expect(e.vlan).toEqual({ tpid: EtherType.Vlan, pcp: 0, dei: false, id: 7 });
      expect(e.ethertype).toBe(ethertype);
    }
    expect(value(decodeNdpFrame(ndp)).frame.vlan).toBe(7);
  });
});
