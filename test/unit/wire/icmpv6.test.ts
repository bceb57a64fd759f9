import { describe, expect, it } from 'vitest';
import { ipv6PseudoHeaderSum } from '../../../src/wire/checksum.js';
import { decodeIcmpv6, encodeIcmpv6, icmpv6Checksum, putIcmpv6Checksum } from '../../../src/wire/icmpv6.js';
import { decodeIpv6 } from '../../../src/wire/ipv6.js';
import { parseIpv6Address } from '../../../src/wire/ipv6-address.js';
import { EncodeError } from '../../../src/wire/result.js';
import { everyTruncation, expectError, hex, value } from './helpers.js';
import { NA_FRAME, RA_FRAME, RS_FRAME, ip } from './ipv6-golden.js';

const packet = (frame: Uint8Array) => value(decodeIpv6(ip(frame)));

describe('icmpv6', () => {
  it('decodes type, code, checksum and body, verifying the checksum over the pseudo-header', () => {
    const p = packet(RS_FRAME);
    expect(value(decodeIcmpv6(p.payload, p))).toEqual({
      type: 133,
      code: 0,
      checksum: 0x2b0d,
      body: hex`00 00 00 00 01 01 aa 00 00 00 00 10`,
    });
  });

  it('verifies scapy’s checksums of RA and NA', () => {
    for (const f of [RA_FRAME, NA_FRAME]) {
      const p = packet(f);
      expect(decodeIcmpv6(p.payload, p).ok).toBe(true);
    }
  });

  it('refuses a bad checksum unless verification is off (TP_STATUS_CSUMNOTREADY)', () => {
    const p = packet(RS_FRAME);
    const bad = p.payload.slice();
    bad[3] = bad[3]! ^ 0x01;
    expectError(decodeIcmpv6(bad, p), 'icmpv6', 'bad-checksum');
    expect(value(decodeIcmpv6(bad, p, { verifyChecksum: false })).type).toBe(133);
    // A partial checksum (pseudo-header only), as an offloading guest leaves it, fails verification.
    const partial = p.payload.slice();
    const pseudo = ipv6PseudoHeaderSum(p.header, 8, p.header, 24, 58, partial.length);
    let folded = pseudo;
    while (folded > 0xffff) folded = (folded & 0xffff) + Math.floor(folded / 0x10000);
    partial[2] = folded >> 8;
    partial[3] = folded & 0xff;
    expectError(decodeIcmpv6(partial, p), 'icmpv6', 'bad-checksum');
    expect(decodeIcmpv6(partial, p, { verifyChecksum: false }).ok).toBe(true);
  });

  it('the checksum binds the addresses: the same message to another destination fails', () => {
    const p = packet(RS_FRAME);
    const header = p.header.slice();
    header[39] = 0x01; // ff02::2 → ff02::1
    expectError(decodeIcmpv6(p.payload, { header }), 'icmpv6', 'bad-checksum');
  });

  it('needs an IPv6 header to verify against', () => {
    const p = packet(RS_FRAME);
    expectError(decodeIcmpv6(p.payload, { header: new Uint8Array(20) }), 'icmpv6', 'bad-pseudo-header');
    expectError(decodeIcmpv6(p.payload, { header: hex`45`.subarray(0, 1) }), 'icmpv6', 'bad-pseudo-header');
    expect(decodeIcmpv6(p.payload, { header: new Uint8Array(0) }, { verifyChecksum: false }).ok).toBe(true);
  });

  it('every truncation is a value or a typed error', () => {
    const p = packet(RA_FRAME);
    const reasons = everyTruncation(p.payload, (b) => decodeIcmpv6(b, p));
    expect(reasons).toEqual(new Set(['icmpv6/truncated', 'icmpv6/bad-checksum']));
  });

  it('computes checksums like scapy', () => {
    const p = packet(RS_FRAME);
    expect(icmpv6Checksum(p.payload, p.src, p.dst)).toBe(0x2b0d);
    const enc = encodeIcmpv6({ type: 133, code: 0, body: p.payload.subarray(4) }, p.src, p.dst);
    expect(enc).toEqual(p.payload);
    // In place, from the IPv6 header in the same buffer; whatever was in the field is overwritten.
    const frame = RA_FRAME.slice();
    frame[14 + 40 + 2] = 0xde;
    frame[14 + 40 + 3] = 0xad;
    putIcmpv6Checksum(frame, 14, 54, frame.length - 54);
    expect(frame).toEqual(RA_FRAME);
    expect(() => putIcmpv6Checksum(new Uint8Array(50), 0, 40, 20)).toThrow(EncodeError);
    expect(() => icmpv6Checksum(p.payload, 'nope', p.dst)).toThrow(EncodeError);
  });

  it('an odd-length message is summed with a zero pad octet (RFC 1071)', () => {
    const src = 'fe80::1';
    const dst = 'fe80::2';
    const msg = encodeIcmpv6({ type: 128, code: 0, body: hex`00 01 00 02 61` }, src, dst);
    const header = new Uint8Array(40);
    header[0] = 0x60;
    header.set(parseIpv6Address(src)!, 8);
    header.set(parseIpv6Address(dst)!, 24);
    expect(decodeIcmpv6(msg, { header }).ok).toBe(true);
  });
});
