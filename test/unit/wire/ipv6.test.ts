import { describe, expect, it } from 'vitest';
import {
  IPV6_HEADER_LENGTH,
  Ipv6NextHeader,
  MAX_EXTENSION_HEADERS,
  decodeIpv6,
  encodeIpv6,
  encodeIpv6Header,
} from '../../../src/wire/ipv6.js';
import { EncodeError } from '../../../src/wire/result.js';
import { formatIpv6Address } from '../../../src/wire/ipv6-address.js';
import { concat, decodedAddresses, everyTruncation, expectError, garbage, hex, value } from './helpers.js';
import { RS_FRAME, ip } from './ipv6-golden.js';

// scapy: IPv6(src=VLL, dst='ff02::16', hlim=1)/IPv6ExtHdrHopByHop(options=[RouterAlert()])/ICMPv6MLReport2()
const MLD_REPORT = hex`
  60 00 00 00  00 10  00  01                         # payload 16, next header 0 (Hop-by-Hop), hop limit 1
  fe 80 00 00 00 00 00 00 a8 00 00 ff fe 00 00 10    # src
  ff 02 00 00 00 00 00 00 00 00 00 00 00 00 00 16    # dst ff02::16
  3a 00  05 02 00 00  01 00                          # HBH: next 58, length 0 (8 octets), Router Alert MLD, PadN
  8f 00 cc 12 00 00 00 00                            # ICMPv6 143 (MLDv2 report), no records
`;

// scapy: IPv6(..., dst='ff02::1:2')/IPv6ExtHdrDestOpt()/IPv6ExtHdrRouting(addresses=[])/UDP(546 -> 547)/b'hi'
const DESTOPT_ROUTING_UDP = hex`
  60 00 00 00  00 1a  3c  01                         # payload 26, next header 60 (Destination Options)
  fe 80 00 00 00 00 00 00 a8 00 00 ff fe 00 00 10
  ff 02 00 00 00 00 00 00 00 00 00 00 00 01 00 02
  2b 00  01 04 00 00 00 00                           # DestOpt: next 43 (Routing), length 0, PadN
  11 00  00 00  00 00 00 00                          # Routing: next 17 (UDP), length 0, type 0, segments left 0
  02 22 02 23 00 0a ee 94  68 69                     # UDP
`;

// scapy: IPv6(..., hlim=255)/IPv6ExtHdrFragment(m=1, id=7)/ICMPv6ND_RS()
const FRAGMENT = hex`
  60 00 00 00  00 10  2c  ff                         # next header 44 (Fragment)
  fe 80 00 00 00 00 00 00 a8 00 00 ff fe 00 00 10
  ff 02 00 00 00 00 00 00 00 00 00 00 00 00 00 01
  3a 00  00 01  00 00 00 07                          # next 58, offset 0, M=1, id 7
  85 00 d6 27 00 00 00 00
`;

// scapy: IPv6(src=VLL, dst='ff02::2', hlim=255, tc=0xb8, fl=0xabcde)/ICMPv6ND_RS()
const TC_FL = hex`
  6b 8a bc de                                        # version 6, traffic class 0xb8, flow label 0xabcde
  00 08 3a ff
  fe 80 00 00 00 00 00 00 a8 00 00 ff fe 00 00 10
  ff 02 00 00 00 00 00 00 00 00 00 00 00 00 00 02
  85 00 d6 26 00 00 00 00
`;

describe('ipv6 decode', () => {
  it('decodes the golden RS packet field by field', () => {
    const packet = ip(RS_FRAME);
    const p = value(decodeIpv6(packet));
    expect(p).toMatchObject(decodedAddresses({
      trafficClass: 0,
      flowLabel: 0,
      hopLimit: 255,
      nextHeader: 58,
      protocol: 58,
      src: 'fe80::a800:ff:fe00:10',
      dst: 'ff02::2',
      payloadOffset: 40,
    }));
    expect(p.extensions.length).toBe(0);
    expect(p.header).toEqual(packet.subarray(0, 40));
    expect(p.payload).toEqual(packet.subarray(40));
    expect(p.payload.length).toBe(16);
  });

  it('reads traffic class and flow label', () => {
    expect(value(decodeIpv6(TC_FL))).toMatchObject({ trafficClass: 0xb8, flowLabel: 0xabcde });
  });

  it('ignores link padding after the payload length', () => {
    const padded = concat(ip(RS_FRAME), garbage(10));
    const p = value(decodeIpv6(padded));
    expect(p.payload.length).toBe(16);
    expect(p.payload).toEqual(ip(RS_FRAME).subarray(40));
  });

  it('walks Hop-by-Hop (MLD reports carry Router Alert) to the upper layer', () => {
    const p = value(decodeIpv6(MLD_REPORT));
    expect(p).toMatchObject({ nextHeader: Ipv6NextHeader.HopByHop, protocol: Ipv6NextHeader.Icmpv6, payloadOffset: 48, hopLimit: 1 });
    expect(p.extensions).toEqual(MLD_REPORT.subarray(40, 48));
    expect(p.payload[0]).toBe(143);
  });

  it('gives the addresses as 16-octet views into the packet, not copies', () => {
    const packet = ip(RS_FRAME).slice();
    const p = value(decodeIpv6(packet));
    expect(p.src.length).toBe(16);
    expect(p.src.buffer).toBe(packet.buffer);
    expect(p.dst.byteOffset - packet.byteOffset).toBe(24);
    packet[39] = 1; // ff02::2 → ff02::1 under the decoder's feet: the view sees it
    expect(formatIpv6Address(p.dst)).toBe('ff02::1');
  });

  it('walks Destination Options and Routing headers', () => {
    const p = value(decodeIpv6(DESTOPT_ROUTING_UDP));
    expect(p).toMatchObject(decodedAddresses({ nextHeader: 60, protocol: 17, payloadOffset: 56, dst: 'ff02::1:2' }));
    expect(p.payload).toEqual(hex`02 22 02 23 00 0a ee 94 68 69`);
  });

  it('refuses fragments, headers it cannot walk, and malformed chains, with typed errors', () => {
    expectError(decodeIpv6(FRAGMENT), 'ipv6', 'fragment');
    for (const nh of [50, 51, 135, 139, 140, 253, 254]) {
      const b = TC_FL.slice();
      b[6] = nh;
      expectError(decodeIpv6(b), 'ipv6', 'unsupported-extension');
    }
    // Hop-by-Hop after another extension header (RFC 8200 §4.1).
    const hbhSecond = DESTOPT_ROUTING_UDP.slice();
    hbhSecond[48] = 0; // routing header's next header → Hop-by-Hop
    expectError(decodeIpv6(hbhSecond), 'ipv6', 'bad-extension-order');
    // An extension header longer than the payload.
    const long = MLD_REPORT.slice();
    long[41] = 2; // 24 octets, only 16 in the payload
    expectError(decodeIpv6(long), 'ipv6', 'truncated-extension');
    // A chain of Destination Options headers past the cap.
    const n = MAX_EXTENSION_HEADERS + 1;
    const chain = new Uint8Array(8 * n);
    for (let i = 0; i < n; i++) chain[8 * i] = i === n - 1 ? 59 : 60;
    expectError(decodeIpv6(encodeIpv6({ src: '::', dst: '::', nextHeader: 60, extensions: chain }, new Uint8Array(0))), 'ipv6', 'too-many-extensions');
    // Just under the cap is fine; 59 (No Next Header) ends the chain with an empty payload.
    const ok8 = chain.subarray(8);
    const p = value(decodeIpv6(encodeIpv6({ src: '::', dst: '::', nextHeader: 60, extensions: ok8 }, new Uint8Array(0))));
    expect(p).toMatchObject({ protocol: 59, payloadOffset: 40 + 8 * MAX_EXTENSION_HEADERS });
    expect(p.payload.length).toBe(0);
  });

  it('checks version and lengths', () => {
    const v4 = TC_FL.slice();
    v4[0] = 0x45;
    expectError(decodeIpv6(v4), 'ipv6', 'bad-version');
    const long = TC_FL.slice();
    long[5] = 9; // payload length 9 > 8 present
    expectError(decodeIpv6(long), 'ipv6', 'truncated');
    expectError(decodeIpv6(TC_FL.subarray(0, 39)), 'ipv6', 'truncated');
  });

  it('every truncation of every golden packet is a value or a typed error, never a throw', () => {
    for (const b of [ip(RS_FRAME), MLD_REPORT, DESTOPT_ROUTING_UDP, FRAGMENT, TC_FL]) {
      const reasons = everyTruncation(b, decodeIpv6);
      expect([...reasons].every((r) => r.startsWith('ipv6/'))).toBe(true);
      expect(reasons.has('ipv6/truncated')).toBe(true);
    }
  });
});

describe('ipv6 encode', () => {
  it('writes the golden headers byte for byte', () => {
    const rs = ip(RS_FRAME);
    expect(
      encodeIpv6({ src: 'fe80::a800:ff:fe00:10', dst: 'ff02::2', nextHeader: 58, hopLimit: 255 }, rs.subarray(40)),
    ).toEqual(rs);
    expect(
      encodeIpv6({ src: 'fe80::a800:ff:fe00:10', dst: 'ff02::2', nextHeader: 58, hopLimit: 255, trafficClass: 0xb8, flowLabel: 0xabcde }, TC_FL.subarray(40)),
    ).toEqual(TC_FL);
  });

  it('writes every header octet (into garbage) and round-trips extensions', () => {
    const out = garbage(40 + 16);
    encodeIpv6Header(
      { src: 'fe80::a800:ff:fe00:10', dst: 'ff02::16', nextHeader: 0, hopLimit: 1, extensions: MLD_REPORT.subarray(40, 48) },
      8,
      out,
      0,
    );
    out.set(MLD_REPORT.subarray(48), 48);
    expect(out).toEqual(MLD_REPORT);
    const p = value(decodeIpv6(MLD_REPORT));
    expect(value(decodeIpv6(encodeIpv6(p, p.payload)))).toEqual(p);
  });

  it('defaults: hop limit 64, traffic class and flow label 0', () => {
    const b = encodeIpv6({ src: '::1', dst: '::2', nextHeader: 17 }, new Uint8Array(3));
    expect(b.subarray(0, 8)).toEqual(hex`60 00 00 00 00 03 11 40`);
    expect(b.length).toBe(IPV6_HEADER_LENGTH + 3);
  });

  it('throws EncodeError on bad values', () => {
    const base = { src: '::1', dst: '::2', nextHeader: 17 };
    expect(() => encodeIpv6({ ...base, src: '1.2.3.4' }, new Uint8Array(0))).toThrow(EncodeError);
    expect(() => encodeIpv6({ ...base, dst: 'fe80::1%eth0' }, new Uint8Array(0))).toThrow(/bad-address/);
    expect(() => encodeIpv6({ ...base, hopLimit: 256 }, new Uint8Array(0))).toThrow(EncodeError);
    expect(() => encodeIpv6({ ...base, flowLabel: 0x100000 }, new Uint8Array(0))).toThrow(EncodeError);
    expect(() => encodeIpv6({ ...base, trafficClass: -1 }, new Uint8Array(0))).toThrow(EncodeError);
    expect(() => encodeIpv6({ ...base, nextHeader: 300 }, new Uint8Array(0))).toThrow(EncodeError);
    expect(() => encodeIpv6({ ...base, extensions: new Uint8Array(7) }, new Uint8Array(0))).toThrow(/bad-extensions/);
    expect(() => encodeIpv6(base, new Uint8Array(0x10000))).toThrow(/too-big/);
    expect(() => encodeIpv6Header(base, 0, new Uint8Array(39))).toThrow(/buffer-too-small/);
  });
});
