import { describe, expect, it } from 'vitest';
import { decodeIpv4 } from '../../../src/wire/ipv4.js';
import { EncodeError } from '../../../src/wire/result.js';
import { decodeUdp, encodeUdp, encodeUdpHeader, udp4PseudoHeaderSum } from '../../../src/wire/udp.js';
import { everyTruncation, expectError, garbage, hex, toHex, value } from './helpers.js';

// scapy: IP(src='192.0.2.1', dst='203.0.113.10', ...)/UDP(sport=67, dport=68)/b'hello'
const IP_HEADER = hex`45 00 00 21 12 34 40 00 40 11 2a 8c c0 00 02 01 cb 00 71 0a`;
const DATAGRAM = hex`
  00 43        # src port 67
  00 44        # dst port 68
  00 0d        # length 13
  bd 6e        # checksum
  68 65 6c 6c 6f # "hello"`;
const IP = { header: IP_HEADER };

// scapy: IPv6(src=fe80::a800:ff:fe00:10, dst=ff02::1:2)/UDP(546 -> 547)/b'hi!'
const IP6_HEADER = hex`
  60 00 00 00 00 0b 11 01
  fe 80 00 00 00 00 00 00 a8 00 00 ff fe 00 00 10
  ff 02 00 00 00 00 00 00 00 00 00 00 00 01 00 02`;
const DATAGRAM6 = hex`02 22 02 23 00 0b cd 92 68 69 21`;

describe('udp decode', () => {
  it('decodes and verifies the golden datagram', () => {
    expect(value(decodeUdp(DATAGRAM, IP))).toEqual({ srcPort: 67, dstPort: 68, payload: hex`68 65 6c 6c 6f` });
  });

  it('takes the pseudo-header from a decoded Ipv4Packet', () => {
    const ip = value(decodeIpv4(new Uint8Array([...IP_HEADER, ...DATAGRAM])));
    expect(value(decodeUdp(ip.payload, ip)).srcPort).toBe(67);
  });

  it('verifies over IPv6, where a zero checksum is refused', () => {
    expect(value(decodeUdp(DATAGRAM6, { header: IP6_HEADER }))).toEqual({ srcPort: 546, dstPort: 547, payload: hex`68 69 21` });
    const zero = DATAGRAM6.slice();
    zero[6] = 0;
    zero[7] = 0;
    expectError(decodeUdp(zero, { header: IP6_HEADER }), 'udp', 'missing-checksum');
    expect(decodeUdp(zero, { header: IP6_HEADER }, { verifyChecksum: false }).ok).toBe(true);
  });

  it('accepts a zero checksum over IPv4 (none computed)', () => {
    const d = DATAGRAM.slice();
    d[6] = 0;
    d[7] = 0;
    d[8] = 0x58; // payload changed too: nothing is verified
    expect(value(decodeUdp(d, IP)).payload[0]).toBe(0x58);
  });

  it('refuses a bad checksum unless verification is off (TP_STATUS_CSUMNOTREADY)', () => {
    const d = DATAGRAM.slice();
    d[7] = d[7]! ^ 0x01;
    expectError(decodeUdp(d, IP), 'udp', 'bad-checksum');
    expect(value(decodeUdp(d, IP, { verifyChecksum: false })).dstPort).toBe(68);
    // A partial (pseudo-header only) checksum, as an offloading guest sends it:
    const partial = DATAGRAM.slice();
    const pseudo = udp4PseudoHeaderSum('192.0.2.1', '203.0.113.10', 13);
    const folded = (pseudo & 0xffff) + (pseudo >>> 16);
    partial[6] = folded >> 8;
    partial[7] = folded & 0xff;
    expectError(decodeUdp(partial, IP), 'udp', 'bad-checksum');
    expect(decodeUdp(partial, IP, { verifyChecksum: false }).ok).toBe(true);
  });

  it('checks the length field; trailing octets past it are ignored', () => {
    expectError(decodeUdp(DATAGRAM.slice(0, 7), IP), 'udp', 'truncated');
    const short = DATAGRAM.slice();
    short[5] = 7;
    expectError(decodeUdp(short, IP), 'udp', 'bad-length');
    const long = DATAGRAM.slice();
    long[5] = 14;
    expectError(decodeUdp(long, IP), 'udp', 'truncated');
    expect(value(decodeUdp(new Uint8Array([...DATAGRAM, 0, 0, 0]), IP)).payload.length).toBe(5);
  });

  it('refuses to verify without a usable IP header', () => {
    expectError(decodeUdp(DATAGRAM, { header: new Uint8Array(0) }), 'udp', 'bad-pseudo-header');
    expectError(decodeUdp(DATAGRAM, { header: IP_HEADER.slice(0, 12) }), 'udp', 'bad-pseudo-header');
  });

  it('never throws on any truncation', () => {
    everyTruncation(DATAGRAM, (b) => decodeUdp(b, IP));
    everyTruncation(DATAGRAM, (b) => decodeUdp(b, { header: b }));
  });
});

describe('udp encode', () => {
  it('reproduces the golden datagram', () => {
    const out = encodeUdp({ srcPort: 67, dstPort: 68, payload: hex`68 65 6c 6c 6f` }, { src: '192.0.2.1', dst: '203.0.113.10' });
    expect(toHex(out)).toBe(toHex(DATAGRAM));
  });

  it('sends a computed zero checksum as 0xffff (RFC 768), which verifies', () => {
    const ip = { src: '192.0.2.1', dst: '203.0.113.10' };
    const first = encodeUdp({ srcPort: 67, dstPort: 68, payload: hex`00 00` }, ip);
    // Adding the checksum itself to the data makes the new sum 0xffff, i.e. a checksum of 0.
    const c = (first[6]! << 8) | first[7]!;
    const out = encodeUdp({ srcPort: 67, dstPort: 68, payload: new Uint8Array([c >> 8, c & 0xff]) }, ip);
    expect(toHex(out.subarray(6, 8))).toBe('ff ff');
    expect(decodeUdp(out, IP).ok).toBe(true);
  });

  it('writes every header octet into a garbage-filled buffer', () => {
    const out = garbage(2 + 13);
    out.set(hex`68 65 6c 6c 6f`, 2 + 8);
    expect(encodeUdpHeader({ srcPort: 67, dstPort: 68 }, 5, udp4PseudoHeaderSum('192.0.2.1', '203.0.113.10', 13), out, 2)).toBe(8);
    expect(toHex(out)).toBe('a5 a5 ' + toHex(DATAGRAM));
  });

  it('round-trips', () => {
    const d = { srcPort: 1, dstPort: 65535, payload: hex`01 02 03` };
    expect(value(decodeUdp(encodeUdp(d, { src: '10.0.0.1', dst: '10.0.0.2' }), { header: hex`45 00 00 00 00 00 00 00 00 11 00 00 0a 00 00 01 0a 00 00 02` }))).toEqual(d);
  });

  it('throws EncodeError on bad values', () => {
    const ip = { src: '10.0.0.1', dst: '10.0.0.2' };
    expect(() => encodeUdp({ srcPort: 65536, dstPort: 1, payload: new Uint8Array() }, ip)).toThrow(EncodeError);
    expect(() => encodeUdp({ srcPort: 1, dstPort: 1, payload: new Uint8Array() }, { src: 'x', dst: '10.0.0.2' })).toThrow(EncodeError);
    expect(() => encodeUdp({ srcPort: 1, dstPort: 1, payload: new Uint8Array(65528) }, ip)).toThrow(EncodeError);
  });
});
