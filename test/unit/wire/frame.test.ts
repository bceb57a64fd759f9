import { describe, expect, it } from 'vitest';
import { buildUdpFrame, buildUdpFrameInto, decodeUdpFrame, udpFrameLength, type UdpFrameSpec } from '../../../src/wire/frame.js';
import { decodeDhcp4, messageType } from '../../../src/wire/dhcp4.js';
import { encodeIpv4 } from '../../../src/wire/ipv4.js';
import { encodeEthernet } from '../../../src/wire/ethernet.js';
import { EncodeError } from '../../../src/wire/result.js';
import { concat, everyTruncation, expectError, garbage, hex, toHex, value, zeros } from './helpers.js';
import { decodedAddresses } from './helpers.js';

// scapy: Ether(src=aa:00:00:00:00:10, dst=broadcast)/IP(0.0.0.0 -> 255.255.255.255, tos=0x10)/UDP(68 -> 67)/BOOTP/DHCP(discover ...)
const DHCP_PAYLOAD = concat(
  hex`01 01 06 00  39 03 f3 26  00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00`,
  hex`aa 00 00 00 00 10`,
  zeros(10 + 64 + 128),
  hex`63 82 53 63  35 01 01  3d 07 01 aa 00 00 00 00 10  32 04 cb 00 71 0a  0c 04 76 6d 31 30  37 08 01 03 06 0f 77 79 f9 fc  ff`,
);
const DISCOVER_FRAME = concat(
  hex`
    ff ff ff ff ff ff  aa 00 00 00 00 10  08 00   # Ethernet: broadcast <- aa:00:00:00:00:10, IPv4
    45 10 01 2f                                   # IPv4: IHL 5, tos 0x10, total 303
    00 00 00 00                                   # id 0, no flags
    40 11 79 af                                   # ttl 64, UDP, checksum
    00 00 00 00  ff ff ff ff                      # 0.0.0.0 -> 255.255.255.255
    00 44 00 43 01 1b b1 7d                       # UDP 68 -> 67, length 283, checksum`,
  DHCP_PAYLOAD,
);

const DISCOVER_SPEC: UdpFrameSpec = {
  srcMac: 'aa:00:00:00:00:10',
  dstMac: 'ff:ff:ff:ff:ff:ff',
  srcIp: '0.0.0.0',
  dstIp: '255.255.255.255',
  srcPort: 68,
  dstPort: 67,
  payload: DHCP_PAYLOAD,
  tos: 0x10,
};

// scapy: Ether()/Dot1Q(vlan=100)/IP(203.0.113.10 -> 192.0.2.1, id=7)/UDP(68 -> 67)/b'abc'  (PCP set to 0 here)
const VLAN_FRAME = hex`
  02 00 00 00 00 01  aa 00 00 00 00 10   # dst, src
  81 00 00 64  08 00                     # 802.1Q VID 100, inner IPv4
  45 00 00 1f 00 07 00 00 40 11 7c bb    # IPv4 total 31, id 7, ttl 64, UDP, checksum
  cb 00 71 0a c0 00 02 01                # 203.0.113.10 -> 192.0.2.1
  00 44 00 43 00 0b 3c e2 61 62 63       # UDP 68 -> 67, len 11, checksum, "abc"`;

describe('udp frames', () => {
  it('decodes the golden DISCOVER frame, flat', () => {
    const f = value(decodeUdpFrame(DISCOVER_FRAME));
    expect(f).toEqual(decodedAddresses({ ...DISCOVER_SPEC, ttl: 64, id: 0, dontFragment: false }));
    expect(messageType(value(decodeDhcp4(f.payload)))).toBe(1);
  });

  it('builds the golden DISCOVER frame', () => {
    expect(udpFrameLength(DISCOVER_SPEC)).toBe(DISCOVER_FRAME.length);
    expect(toHex(buildUdpFrame(DISCOVER_SPEC))).toBe(toHex(DISCOVER_FRAME));
  });

  it('builds and decodes an 802.1Q frame', () => {
    const spec: UdpFrameSpec = {
      srcMac: 'aa:00:00:00:00:10',
      dstMac: '02:00:00:00:00:01',
      srcIp: '203.0.113.10',
      dstIp: '192.0.2.1',
      srcPort: 68,
      dstPort: 67,
      payload: hex`61 62 63`,
      id: 7,
      vlan: 100,
    };
    expect(toHex(buildUdpFrame(spec))).toBe(toHex(VLAN_FRAME));
    expect(value(decodeUdpFrame(VLAN_FRAME))).toEqual(decodedAddresses({ ...spec, ttl: 64, tos: 0, dontFragment: false }));
  });

  it('writes every octet into a garbage-filled buffer', () => {
    const out = garbage(DISCOVER_FRAME.length + 4);
    expect(buildUdpFrameInto(DISCOVER_SPEC, out, 2)).toBe(DISCOVER_FRAME.length);
    expect(toHex(out)).toBe(`a5 a5 ${toHex(DISCOVER_FRAME)} a5 a5`);
  });

  it('round-trips a reply (DF, ttl, unicast)', () => {
    const spec: UdpFrameSpec = {
      srcMac: '02:00:00:00:00:01',
      dstMac: 'aa:00:00:00:00:10',
      srcIp: '203.0.113.1',
      dstIp: '203.0.113.10',
      srcPort: 67,
      dstPort: 68,
      payload: hex`01 02 03 04 05`,
      ttl: 16,
      tos: 0xc0,
      id: 999,
      dontFragment: true,
    };
    expect(value(decodeUdpFrame(buildUdpFrame(spec)))).toEqual(decodedAddresses(spec));
  });

  it('ignores Ethernet padding of a minimum-size frame', () => {
    const small = buildUdpFrame({ ...DISCOVER_SPEC, payload: hex`68 69` });
    expect(small.length).toBe(44);
    expect(value(decodeUdpFrame(concat(small, zeros(16)))).payload).toEqual(hex`68 69`);
  });

  it('says which layer refused the frame', () => {
    const arp = encodeEthernet({ dst: 'ff:ff:ff:ff:ff:ff', src: 'aa:00:00:00:00:10', ethertype: 0x0806, payload: zeros(28) });
    expectError(decodeUdpFrame(arp), 'ethernet', 'not-ipv4');
    expectError(decodeUdpFrame(DISCOVER_FRAME.slice(0, 10)), 'ethernet', 'truncated');
    const eth = (ip: Uint8Array) => encodeEthernet({ dst: 'ff:ff:ff:ff:ff:ff', src: 'aa:00:00:00:00:10', ethertype: 0x0800, payload: ip });
    expectError(decodeUdpFrame(eth(encodeIpv4({ src: '1.1.1.1', dst: '2.2.2.2', protocol: 1 }, zeros(8)))), 'ipv4', 'not-udp');
    expectError(decodeUdpFrame(eth(encodeIpv4({ src: '1.1.1.1', dst: '2.2.2.2', protocol: 17, moreFragments: true }, zeros(8)))), 'ipv4', 'fragment');
    expectError(decodeUdpFrame(eth(encodeIpv4({ src: '1.1.1.1', dst: '2.2.2.2', protocol: 17, fragmentOffset: 8 }, zeros(8)))), 'ipv4', 'fragment');
    const badIp = DISCOVER_FRAME.slice();
    badIp[22] = 1; // ttl changed, header checksum not
    expectError(decodeUdpFrame(badIp), 'ipv4', 'bad-checksum');
    const badUdp = DISCOVER_FRAME.slice();
    badUdp[100] = badUdp[100]! ^ 0xff;
    expectError(decodeUdpFrame(badUdp), 'udp', 'bad-checksum');
    expect(decodeUdpFrame(badUdp, { verifyChecksum: false }).ok).toBe(true);
  });

  it('never throws on any truncation', () => {
    const reasons = everyTruncation(DISCOVER_FRAME, (b) => decodeUdpFrame(b));
    expect(reasons).toEqual(new Set(['ethernet/truncated', 'ipv4/truncated']));
    everyTruncation(VLAN_FRAME, (b) => decodeUdpFrame(b));
  });

  it('throws EncodeError on bad spec values', () => {
    expect(() => buildUdpFrame({ ...DISCOVER_SPEC, srcMac: 'x' })).toThrow(EncodeError);
    expect(() => buildUdpFrame({ ...DISCOVER_SPEC, dstIp: '256.0.0.1' })).toThrow(EncodeError);
    expect(() => buildUdpFrame({ ...DISCOVER_SPEC, dstPort: 70000 })).toThrow(EncodeError);
    expect(() => buildUdpFrame({ ...DISCOVER_SPEC, vlan: 5000 })).toThrow(EncodeError);
  });
});
