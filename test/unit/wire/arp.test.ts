import { describe, expect, it } from 'vitest';
import {
  ARP_LENGTH,
  ArpOp,
  arpFrameLength,
  buildArpFrame,
  decodeArp,
  decodeArpFrame,
  encodeArp,
  encodeArpInto,
  type ArpFrame,
  type ArpPacket,
} from '../../../src/wire/arp.js';
import { EncodeError } from '../../../src/wire/result.js';
import { concat, everyTruncation, expectError, garbage, hex, ip4, mac48, toHex, value, zeros } from './helpers.js';

// Golden frames; the same bytes come out of scapy 2.x:
//   raw(Ether(dst='ff:ff:ff:ff:ff:ff', src='aa:00:00:00:00:10') /
//       ARP(op=1, hwsrc='aa:00:00:00:00:10', psrc='203.0.113.10', hwdst='00:00:00:00:00:00', pdst='203.0.113.1'))
// + 18 zero octets of padding (scapy leaves padding to the NIC).
const REQUEST_FRAME = hex`
  ff ff ff ff ff ff          # Ethernet dst: broadcast
  aa 00 00 00 00 10          # Ethernet src: the VM
  08 06                      # EtherType: ARP
  00 01                      # htype: Ethernet
  08 00                      # ptype: IPv4
  06                         # hlen
  04                         # plen
  00 01                      # op: request
  aa 00 00 00 00 10          # SHA
  cb 00 71 0a                # SPA 203.0.113.10
  00 00 00 00 00 00          # THA: unknown
  cb 00 71 01                # TPA 203.0.113.1
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00   # padding to 60`;

const REQUEST: ArpPacket = {
  op: ArpOp.Request,
  senderMac: mac48('aa:00:00:00:00:10'),
  senderIp: ip4('203.0.113.10'),
  targetMac: mac48('00:00:00:00:00:00'),
  targetIp: ip4('203.0.113.1'),
};

// scapy: Ether(dst='aa:00:00:00:00:10', src='fe:00:00:00:00:10') /
//        ARP(op=2, hwsrc='fe:00:00:00:00:10', psrc='203.0.113.1', hwdst='aa:00:00:00:00:10', pdst='203.0.113.10')
const REPLY_FRAME = hex`
  aa 00 00 00 00 10          # Ethernet dst: the requester
  fe 00 00 00 00 10          # Ethernet src: the tap
  08 06                      # EtherType: ARP
  00 01 08 00 06 04          # Ethernet / IPv4 / 6 / 4
  00 02                      # op: reply
  fe 00 00 00 00 10          # SHA: the tap
  cb 00 71 01                # SPA 203.0.113.1
  aa 00 00 00 00 10          # THA: the requester
  cb 00 71 0a                # TPA 203.0.113.10
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00   # padding`;

const REPLY: ArpFrame = {
  op: ArpOp.Reply,
  senderMac: mac48('fe:00:00:00:00:10'),
  senderIp: ip4('203.0.113.1'),
  targetMac: mac48('aa:00:00:00:00:10'),
  targetIp: ip4('203.0.113.10'),
  srcMac: mac48('fe:00:00:00:00:10'),
  dstMac: mac48('aa:00:00:00:00:10'),
};

describe('arp', () => {
  it('decodes a request (golden bytes, padding ignored)', () => {
    expect(value(decodeArp(REQUEST_FRAME.subarray(14)))).toEqual(REQUEST);
    expect(value(decodeArp(REQUEST_FRAME.subarray(14, 14 + ARP_LENGTH)))).toEqual(REQUEST);
    expect(value(decodeArpFrame(REQUEST_FRAME))).toEqual({ ...REQUEST, srcMac: mac48('aa:00:00:00:00:10'), dstMac: mac48('ff:ff:ff:ff:ff:ff') });
  });

  it('encodes golden bytes: request and reply frames, padded to 60 octets', () => {
    expect(toHex(buildArpFrame({ ...REQUEST, srcMac: mac48('aa:00:00:00:00:10'), dstMac: mac48('ff:ff:ff:ff:ff:ff') }))).toBe(toHex(REQUEST_FRAME));
    expect(toHex(buildArpFrame(REPLY))).toBe(toHex(REPLY_FRAME));
    expect(toHex(encodeArp(REQUEST))).toBe(toHex(REQUEST_FRAME.subarray(14, 42)));
    // Text addresses (tests, announcements) encode the same as the decoded numbers.
    const text = { op: ArpOp.Request, senderMac: 'aa:00:00:00:00:10', senderIp: '203.0.113.10', targetMac: '00:00:00:00:00:00', targetIp: '203.0.113.1' };
    expect(toHex(buildArpFrame({ ...text, srcMac: 'aa:00:00:00:00:10', dstMac: 'ff:ff:ff:ff:ff:ff' }))).toBe(toHex(REQUEST_FRAME));
    expect(value(decodeArpFrame(REPLY_FRAME))).toEqual(REPLY);
  });

  it('round-trips packets and frames; re-encoding a decoded packet gives its first 28 octets', () => {
    const odd: ArpPacket = { op: 0xffff, senderMac: mac48('ff:ff:ff:ff:ff:ff'), senderIp: ip4('255.255.255.255'), targetMac: mac48('01:02:03:04:05:06'), targetIp: ip4('0.0.0.0') };
    for (const p of [REQUEST, odd, { ...REQUEST, op: 0 }, { ...REQUEST, op: 3 }]) expect(value(decodeArp(encodeArp(p)))).toEqual(p);
    const tagged: ArpFrame = { ...REPLY, vlan: 100 };
    expect(value(decodeArpFrame(buildArpFrame(tagged)))).toEqual(tagged);
    const withPadding = concat(encodeArp(REQUEST), garbage(30));
    expect(toHex(encodeArp(value(decodeArp(withPadding))))).toBe(toHex(withPadding.subarray(0, 28)));
  });

  it('keeps unknown operations as numbers', () => {
    const b = encodeArp(REQUEST);
    b[6] = 0x00;
    b[7] = 0x08; // InARP request
    expect(value(decodeArp(b)).op).toBe(8);
  });

  it('frame length: 60 untagged (42 + 18 padding) and tagged (46 + 14); padding is zero', () => {
    expect(arpFrameLength({})).toBe(60);
    expect(arpFrameLength({ vlan: 7 })).toBe(60);
    const tagged = buildArpFrame({ ...REPLY, vlan: 7 });
    expect(tagged.length).toBe(60);
    expect(toHex(tagged.subarray(12, 18))).toBe('81 00 00 07 08 06');
    expect(tagged.subarray(46).every((x) => x === 0)).toBe(true);
  });

  it('refuses what is not Ethernet/IPv4 ARP, with typed errors', () => {
    const b = encodeArp(REQUEST);
    const patch = (at: number, v: number) => {
      const c = b.slice();
      c[at] = v;
      return c;
    };
    expectError(decodeArp(patch(1, 6)), 'arp', 'bad-htype'); // IEEE 802
    expectError(decodeArp(patch(2, 0x86)), 'arp', 'bad-ptype');
    expectError(decodeArp(patch(4, 8)), 'arp', 'bad-hlen');
    expectError(decodeArp(patch(5, 16)), 'arp', 'bad-plen');
    expectError(decodeArpFrame(concat(REQUEST_FRAME.subarray(0, 12), hex`08 00`, REQUEST_FRAME.subarray(14))), 'ethernet', 'not-arp');
    expectError(decodeArpFrame(zeros(10)), 'ethernet', 'truncated');
  });

  it('every truncation is a typed error, never a throw', () => {
    const packetReasons = everyTruncation(encodeArp(REQUEST), decodeArp);
    expect([...packetReasons]).toEqual(['arp/truncated']);
    const frameReasons = everyTruncation(REQUEST_FRAME.subarray(0, 42), decodeArpFrame);
    expect([...frameReasons].sort()).toEqual(['arp/truncated', 'ethernet/truncated']);
    // Each length below 28 fails; 28 and above decode.
    for (let n = 0; n <= 46; n++) expect(decodeArp(REQUEST_FRAME.slice(14, 14 + n)).ok).toBe(n >= 28);
  });

  it('writes every octet into a garbage-filled buffer, at an offset', () => {
    const out = garbage(3 + 28);
    expect(encodeArpInto(REQUEST, out, 3)).toBe(28);
    expect(toHex(out)).toBe('a5 a5 a5 ' + toHex(REQUEST_FRAME.subarray(14, 42)));
  });

  it('throws EncodeError on bad values', () => {
    expect(() => encodeArp({ ...REQUEST, op: 0x10000 })).toThrow(EncodeError);
    expect(() => encodeArp({ ...REQUEST, op: -1 })).toThrow(EncodeError);
    expect(() => encodeArp({ ...REQUEST, senderMac: 'aa:00:00:00:00' })).toThrow(EncodeError);
    expect(() => encodeArp({ ...REQUEST, targetIp: '203.0.113.256' })).toThrow(EncodeError);
    expect(() => encodeArp({ ...REQUEST, targetIp: 2 ** 32 })).toThrow(EncodeError);
    expect(() => encodeArp({ ...REQUEST, targetMac: 2 ** 48 })).toThrow(EncodeError);
    expect(() => encodeArp({ ...REQUEST, senderIp: '::1' })).toThrow(EncodeError);
    expect(() => encodeArpInto(REQUEST, new Uint8Array(27))).toThrow(EncodeError);
    expect(() => buildArpFrame({ ...REPLY, vlan: 4096 })).toThrow(EncodeError);
  });
});
