import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  finishChecksum,
  internetChecksum,
  ipv4PseudoHeaderSum,
  ipv6PseudoHeaderSum,
  sumWords,
} from '../../../src/wire/checksum.js';
import { hex } from './helpers.js';

/** Reference: RFC 1071 §4.1 "C" loop, over one contiguous array. */
function reference(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

describe('internet checksum (RFC 1071)', () => {
  it('RFC 1071 §3 example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2', () => {
    const b = hex`00 01 f2 03 f4 f5 f6 f7`;
    expect(finishChecksum(sumWords(b, 0, b.length))).toBe(~0xddf2 & 0xffff);
  });

  it('IPv4 header (scapy-built): checksum 2a8c, and 0 over the header including it', () => {
    const h = hex`
      45 00 00 21   # v4 ihl5, tos, total 33
      12 34 40 00   # id 0x1234, DF
      40 11 2a 8c   # ttl 64, udp, checksum
      c0 00 02 01   # 192.0.2.1
      cb 00 71 0a   # 203.0.113.10`;
    expect(internetChecksum(h)).toBe(0);
    const z = h.slice();
    z[10] = 0;
    z[11] = 0;
    expect(internetChecksum(z)).toBe(0x2a8c);
  });

  it('pads an odd trailing octet with zero', () => {
    expect(internetChecksum(hex`01`)).toBe(0xfeff);
    expect(internetChecksum(hex`00 01 02`)).toBe(~(0x0001 + 0x0200) & 0xffff);
  });

  it('empty range: 0xffff', () => {
    expect(internetChecksum(new Uint8Array(0))).toBe(0xffff);
  });

  it('clamps ranges to the buffer', () => {
    const b = hex`12 34`;
    expect(sumWords(b, 0, 100)).toBe(0x1234);
    expect(sumWords(b, -5, 2)).toBe(0x1234);
  });

  it('UDP over IPv4 pseudo-header (scapy-built datagram verifies)', () => {
    const ip = hex`45 00 00 21 12 34 40 00 40 11 2a 8c c0 00 02 01 cb 00 71 0a`;
    const udp = hex`00 43 00 44 00 0d bd 6e 68 65 6c 6c 6f`; // 67 -> 68, len 13, csum, "hello"
    expect(finishChecksum(sumWords(udp, 0, udp.length, ipv4PseudoHeaderSum(ip, 12, ip, 16, 17, 13)))).toBe(0);
  });

  it('UDP over IPv6 pseudo-header (scapy-built datagram verifies)', () => {
    const pkt = hex`
      60 00 00 00  00 0b 11 01                          # v6, payload 11, next UDP, hlim 1
      fe 80 00 00 00 00 00 00 a8 00 00 ff fe 00 00 10   # fe80::a800:ff:fe00:10
      ff 02 00 00 00 00 00 00 00 00 00 00 00 01 00 02   # ff02::1:2
      02 22 02 23 00 0b cd 92 68 69 21                  # 546 -> 547, len 11, csum, "hi!"`;
    const acc = ipv6PseudoHeaderSum(pkt, 8, pkt, 24, 17, 11);
    expect(finishChecksum(sumWords(pkt, 40, pkt.length, acc))).toBe(0);
  });

  it('matches the reference, and several even-length ranges sum like one', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.nat(1000), (b, cut) => {
        const split = Math.min(b.length, cut * 2) & ~1;
        expect(internetChecksum(b)).toBe(reference(b));
        expect(finishChecksum(sumWords(b, split, b.length, sumWords(b, 0, split)))).toBe(reference(b));
        // Writing the checksum into a zeroed field makes the whole verify to 0.
        const withField = new Uint8Array(b.length + (b.length % 2) + 2);
        withField.set(b);
        const c = internetChecksum(withField);
        withField[withField.length - 2] = c >> 8;
        withField[withField.length - 1] = c & 0xff;
        expect(internetChecksum(withField)).toBe(0);
      }),
      { numRuns: 200 },
    );
  });
});
