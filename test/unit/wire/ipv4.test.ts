import { describe, expect, it } from 'vitest';
import { decodeIpv4, encodeIpv4, encodeIpv4Header, isFragment } from '../../../src/wire/ipv4.js';
import { EncodeError } from '../../../src/wire/result.js';
import { concat, everyTruncation, expectError, garbage, hex, toHex, value } from './helpers.js';
import { decodedAddresses, ip4 } from './helpers.js';

// Built with scapy: IP(src='192.0.2.1', dst='203.0.113.10', id=0x1234, flags='DF')/UDP(67->68)/b'hello'
const HEADER = hex`
  45          # version 4, IHL 5
  00          # tos
  00 21       # total length 33
  12 34       # id
  40 00       # flags DF, fragment offset 0
  40          # ttl 64
  11          # protocol UDP
  2a 8c       # header checksum
  c0 00 02 01 # src 192.0.2.1
  cb 00 71 0a # dst 203.0.113.10`;
const UDP = hex`00 43 00 44 00 0d bd 6e 68 65 6c 6c 6f`;
const PACKET = concat(HEADER, UDP);

// scapy: IP(..., options=[IPOption_Router_Alert()])
const WITH_OPTIONS = hex`
  46 00 00 21  00 07 00 00  40 11 e7 b4   # IHL 6, total 33, id 7, ttl 64, udp, checksum
  cb 00 71 0a  c0 00 02 01                # 203.0.113.10 -> 192.0.2.1
  94 04 00 00                             # option: router alert
  00 44 00 43 00 09 89 48 78              # udp 68 -> 67 "x"`;

describe('ipv4 decode', () => {
  it('decodes the golden packet', () => {
    const p = value(decodeIpv4(PACKET));
    expect(p).toMatchObject({
      tos: 0,
      id: 0x1234,
      dontFragment: true,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol: 17,
      src: ip4('192.0.2.1'),
      dst: ip4('203.0.113.10'),
    });
    expect(p.payload).toEqual(UDP);
    expect(p.header).toEqual(HEADER);
    expect(p.options.length).toBe(0);
    expect(isFragment(p)).toBe(false);
  });

  it('skips options and exposes them raw', () => {
    const p = value(decodeIpv4(WITH_OPTIONS));
    expect(p.options).toEqual(hex`94 04 00 00`);
    expect(p.header.length).toBe(24);
    expect(p.payload).toEqual(hex`00 44 00 43 00 09 89 48 78`);
  });

  it('ignores trailing Ethernet padding after total length', () => {
    const padded = concat(PACKET, new Uint8Array(13));
    expect(value(decodeIpv4(padded)).payload).toEqual(UDP);
  });

  it('reports fragments (MF, offset in octets)', () => {
    const f = encodeIpv4({ src: '1.2.3.4', dst: '5.6.7.8', protocol: 17, moreFragments: true, fragmentOffset: 1480 }, hex`00`);
    const p = value(decodeIpv4(f));
    expect(p.moreFragments).toBe(true);
    expect(p.fragmentOffset).toBe(1480);
    expect(isFragment(p)).toBe(true);
    expect(isFragment({ moreFragments: false, fragmentOffset: 8 })).toBe(true);
  });

  it('refuses malformed headers with typed errors', () => {
    const mut = (i: number, v: number) => {
      const b = PACKET.slice();
      b[i] = v;
      return b;
    };
    expectError(decodeIpv4(PACKET.slice(0, 19)), 'ipv4', 'truncated');
    expectError(decodeIpv4(mut(0, 0x65)), 'ipv4', 'bad-version');
    expectError(decodeIpv4(mut(0, 0x44)), 'ipv4', 'bad-header-length');
    expectError(decodeIpv4(mut(0, 0x4f)), 'ipv4', 'truncated'); // 60-octet header in 33 octets
    expectError(decodeIpv4(mut(3, 0x13)), 'ipv4', 'bad-length'); // total 19 < 20
    expectError(decodeIpv4(mut(3, 0x22)), 'ipv4', 'truncated'); // total 34 > 33
    expectError(decodeIpv4(mut(8, 0x3f)), 'ipv4', 'bad-checksum');
    expectError(decodeIpv4(mut(19, 0x0b)), 'ipv4', 'bad-checksum');
  });

  // Regression, found by `npm run fuzz` (FUZZ_RUNS=200000, seed -1055170884): the reserved
  // flag bit was accepted but not re-encoded, so decode → encode → decode changed the header.
  it('refuses the reserved flag bit (RFC 791), with a valid checksum', () => {
    const b = PACKET.slice();
    b[6] = 0x80 | b[6]!;
    b[10] = 0;
    b[11] = 0;
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    const c = ~sum & 0xffff;
    b[10] = c >> 8;
    b[11] = c & 0xff;
    expectError(decodeIpv4(b), 'ipv4', 'reserved-flag');
  });

  it('never throws on any truncation', () => {
    const reasons = everyTruncation(PACKET, decodeIpv4);
    expect(reasons).toEqual(new Set(['ipv4/truncated']));
    everyTruncation(WITH_OPTIONS, decodeIpv4);
  });
});

describe('ipv4 encode', () => {
  it('reproduces the golden packet', () => {
    const out = encodeIpv4({ src: '192.0.2.1', dst: '203.0.113.10', protocol: 17, id: 0x1234, dontFragment: true }, UDP);
    expect(toHex(out)).toBe(toHex(PACKET));
  });

  it('reproduces a packet with options', () => {
    const p = value(decodeIpv4(WITH_OPTIONS));
    expect(toHex(encodeIpv4(p, p.payload))).toBe(toHex(WITH_OPTIONS));
  });

  it('defaults: TTL 64, tos 0, id 0, no DF', () => {
    const p = value(decodeIpv4(encodeIpv4({ src: '0.0.0.0', dst: '255.255.255.255', protocol: 17 }, new Uint8Array(0))));
    expect(p).toMatchObject({ ttl: 64, tos: 0, id: 0, dontFragment: false, moreFragments: false, fragmentOffset: 0 });
  });

  it('writes every header octet into a garbage-filled buffer', () => {
    const out = garbage(25);
    expect(encodeIpv4Header({ src: '192.0.2.1', dst: '203.0.113.10', protocol: 17, id: 0x1234, dontFragment: true }, 13, out, 5)).toBe(20);
    expect(toHex(out.subarray(5))).toBe(toHex(HEADER));
    expect(toHex(out.subarray(0, 5))).toBe('a5 a5 a5 a5 a5');
  });

  it('round-trips decode(encode(x))', () => {
    const h = { src: '10.1.2.3', dst: '10.255.0.1', protocol: 1, ttl: 1, tos: 0xb8, id: 65535, dontFragment: true, options: hex`01 01 01 00` };
    const p = value(decodeIpv4(encodeIpv4(h, hex`01 02 03`)));
    expect(p).toMatchObject(decodedAddresses({ ...h, moreFragments: false, fragmentOffset: 0, payload: hex`01 02 03` }));
  });

  it('throws EncodeError on bad values', () => {
    const base = { src: '1.2.3.4', dst: '5.6.7.8', protocol: 17 };
    const bad = [
      { ...base, src: '1.2.3' },
      { ...base, dst: '01.2.3.4' },
      { ...base, ttl: 256 },
      { ...base, protocol: -1 },
      { ...base, fragmentOffset: 3 },
      { ...base, options: hex`01 01 01` },
    ];
    for (const h of bad) expect(() => encodeIpv4(h, new Uint8Array(0))).toThrow(EncodeError);
    expect(() => encodeIpv4(base, new Uint8Array(65536))).toThrow(EncodeError);
  });
});
