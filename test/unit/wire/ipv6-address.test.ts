import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Address6 } from 'ip-address';
import {
  formatIpv6Address,
  ipv6Bytes,
  ipv6InPrefix,
  ipv6PrefixMatch,
  ipv6PrefixOf,
  isIpv6LinkLocal,
  isIpv6Multicast,
  isIpv6Unspecified,
  isUnicastIpv6,
  ipv6Text,
  maskIpv6Prefix,
  normalizeIpv6Address,
  parseIpv6Address,
  parseIpv6Into,
  putIpv6,
  sameIpv6,
} from '../../../src/wire/ipv6-address.js';
import {
  eui64Address,
  eui64InterfaceId,
  linkLocalFromMac,
  linkLocalOctetsFromMac,
  multicastMac,
  solicitedNodeAddress,
  solicitedNodeMac,
} from '../../../src/wire/ipv6-derive.js';
import { EncodeError } from '../../../src/wire/result.js';
import { hex } from './helpers.js';

/** 16 octets biased towards zero groups, so that "::" placement gets exercised. */
const address16 = fc
  .array(fc.oneof(fc.constant(0), fc.constant(0), fc.constant(1), fc.constant(0xffff), fc.integer({ min: 0, max: 0xffff })), {
    minLength: 8,
    maxLength: 8,
  })
  .map((words) => {
    const b = new Uint8Array(16);
    words.forEach((w, i) => {
      b[2 * i] = w >>> 8;
      b[2 * i + 1] = w & 0xff;
    });
    return b;
  });

const ipAddressText = (b: Uint8Array) => Address6.fromByteArray(Array.from(b)).correctForm();

describe('IPv6 address text', () => {
  it.each([
    ['20010db8000000000000000000000001', '2001:db8::1'],
    ['00000000000000000000000000000000', '::'],
    ['00000000000000000000000000000001', '::1'],
    ['fe800000000000000000000000000000', 'fe80::'],
    ['20010db8000000010001000100010001', '2001:db8:0:1:1:1:1:1'], // RFC 5952 §4.2.2: a lone 0 is not shortened
    ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'], // §4.2.3: first of two equal runs
    ['20010000000000010000000000000001', '2001:0:0:1::1'], // §4.2.3: the longest run
    ['00010000000000000000000000000000', '1::'],
    ['00010002000300040005000600070000', '1:2:3:4:5:6:7:0'],
    ['00000000000000000000ffffc0000201', '::ffff:c000:201'], // hex, as ip-address correctForm writes it
    ['fe80000000000000a80000fffe000010', 'fe80::a800:ff:fe00:10'],
    ['ff0200000000000000000001ff000001', 'ff02::1:ff00:1'],
    ['ABCD00000000000000000000000000EF'.toLowerCase(), 'abcd::ef'],
  ])('formats %s as %s (RFC 5952 §4)', (h, text) => {
    expect(formatIpv6Address(hex(h))).toBe(text);
    expect(parseIpv6Address(text)).toEqual(hex(h));
  });

  it('formats exactly like ip-address correctForm (the binding parser’s canonical form)', () => {
    fc.assert(
      fc.property(address16, (b) => {
        expect(formatIpv6Address(b)).toBe(ipAddressText(b));
      }),
      { numRuns: 2000 },
    );
  });

  it('parses every text form ip-address produces back to the same octets', () => {
    fc.assert(
      fc.property(address16, (b) => {
        const a = Address6.fromByteArray(Array.from(b));
        for (const text of [a.correctForm(), a.canonicalForm(), a.correctForm().toUpperCase(), a.to4in6()]) {
          expect(parseIpv6Address(text)).toEqual(b);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('reads at an offset and formats from one', () => {
    const buf = new Uint8Array(20).fill(0xee);
    expect(parseIpv6Into('2001:db8::1', buf, 2)).toBe(true);
    expect(buf[0]).toBe(0xee);
    expect(buf[18]).toBe(0xee);
    expect(formatIpv6Address(buf, 2)).toBe('2001:db8::1');
    expect(parseIpv6Into('::', new Uint8Array(15), 0)).toBe(false); // no room
  });

  it.each([
    '',
    ':',
    ':::',
    '1',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    ':1::',
    '1::2:',
    '1:2:3:4:5:6:7:8::',
    '::1:2:3:4:5:6:7:8',
    '12345::',
    'g::',
    '1.2.3.4',
    '::1.2.3',
    '::1.2.3.256',
    '::01.2.3.4',
    '1:2:3:4:5:6:7:1.2.3.4',
    '::1.2.3.4:5',
    'fe80::1%eth0',
    '2001:db8::/64',
    ' ::1',
    '::1 ',
    '2001:db8:0:0:0:0:0:0:1',
  ])('refuses %j', (text) => {
    expect(parseIpv6Address(text)).toBeUndefined();
    expect(() => ipv6Bytes(text)).toThrow(EncodeError);
    expect(() => putIpv6(new Uint8Array(16), 0, text, 'test')).toThrow(/bad-address/);
  });

  it('agrees with ip-address on what is an address (sample of near-misses)', () => {
    const pieces = fc.constantFrom('0', '1', 'ffff', 'fe80', '12345', ':', '::', '.', '1.2.3.4', 'g', '00000');
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 12 }), (parts) => {
        const text = parts.join('');
        let theirs: string | undefined;
        try {
          const a = new Address6(text);
          // ip-address accepts prefixes/zones (not here) and leading-zero IPv4 parts: compare only plain forms.
          theirs = text.includes('/') || text.includes('%') ? undefined : a.correctForm();
        } catch {
          theirs = undefined;
        }
        const ours = normalizeIpv6Address(text);
        if (ours !== undefined) expect(ours).toBe(theirs);
      }),
      { numRuns: 3000 },
    );
  });

  it('normalizes any form', () => {
    expect(normalizeIpv6Address('2001:0DB8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1');
    expect(normalizeIpv6Address('::ffff:192.0.2.1')).toBe('::ffff:c000:201');
    expect(normalizeIpv6Address('1:2:3:4:5:6:7::')).toBe('1:2:3:4:5:6:7:0');
    expect(normalizeIpv6Address('nope')).toBeUndefined();
  });
});

describe('IPv6 address classes and prefixes', () => {
  it('classifies', () => {
    expect(isIpv6Multicast(ipv6Bytes('ff02::1'))).toBe(true);
    expect(isIpv6Multicast(ipv6Bytes('ff::1'))).toBe(false); // 00ff:: — text starting "ff" is not enough
    expect(isIpv6Unspecified(ipv6Bytes('::'))).toBe(true);
    expect(isIpv6Unspecified(ipv6Bytes('::1'))).toBe(false);
    expect(isIpv6Unspecified(new Uint8Array(15))).toBe(false);
    expect(isIpv6LinkLocal(ipv6Bytes('fe80::1'))).toBe(true);
    expect(isIpv6LinkLocal(ipv6Bytes('febf::1'))).toBe(true);
    expect(isIpv6LinkLocal(ipv6Bytes('fec0::1'))).toBe(false);
  });

  it('matches prefixes bit by bit', () => {
    expect(ipv6InPrefix('2001:db8:10::a800:ff:fe00:10', '2001:db8:10::', 64)).toBe(true);
    expect(ipv6InPrefix('2001:db8:11::1', '2001:db8:10::', 64)).toBe(false);
    expect(ipv6InPrefix('2001:db8:11::1', '2001:db8:10::', 47)).toBe(true);
    expect(ipv6InPrefix('2001:db8:11::1', '2001:db8:10::', 48)).toBe(false);
    expect(ipv6InPrefix('anything', '::', 0)).toBe(false);
    expect(ipv6InPrefix('2001:db8::1', '::', 0)).toBe(true);
    expect(ipv6InPrefix('2001:db8::1', '2001:db8::1', 128)).toBe(true);
    expect(ipv6PrefixMatch(ipv6Bytes('::1'), 0, ipv6Bytes('::1'), 0, 129)).toBe(false);
    fc.assert(
      fc.property(address16, address16, fc.integer({ min: 0, max: 128 }), (a, p, len) => {
        const theirs = Address6.fromByteArray(Array.from(a)).isInSubnet(new Address6(`${formatIpv6Address(p)}/${len}`));
        expect(ipv6PrefixMatch(a, 0, p, 0, len)).toBe(theirs);
      }),
      { numRuns: 500 },
    );
  });

  it('masks an address to its prefix', () => {
    expect(ipv6PrefixOf('2001:db8:10::a800:ff:fe00:10', 64)).toBe('2001:db8:10::');
    expect(ipv6PrefixOf('2001:db8:10:ffff::1', 52)).toBe('2001:db8:10:f000::');
    expect(ipv6PrefixOf('2001:db8::1', 128)).toBe('2001:db8::1');
    expect(ipv6PrefixOf('2001:db8::1', 0)).toBe('::');
  });
});

describe('EUI-64 and multicast derivations', () => {
  it('builds the modified EUI-64 interface id (RFC 4291 App. A): ff:fe inserted, U/L bit inverted', () => {
    expect(eui64InterfaceId('aa:00:00:00:00:10')).toEqual(hex`a8 00 00 ff fe 00 00 10`);
    expect(eui64InterfaceId('00:1b:21:3a:4f:5e')).toEqual(hex`02 1b 21 ff fe 3a 4f 5e`);
    expect(eui64InterfaceId('FE:00:00:00:00:01')).toEqual(hex`fc 00 00 ff fe 00 00 01`);
    expect(() => eui64InterfaceId('aa:00:00:00:00')).toThrow(EncodeError);
  });

  it('derives link-local and SLAAC addresses like nfdhcpd/snf-network', () => {
    expect(linkLocalFromMac('aa:00:00:00:00:10')).toBe('fe80::a800:ff:fe00:10');
    expect(linkLocalFromMac('fe:00:00:00:00:01')).toBe('fe80::fc00:ff:fe00:1');
    // DESIGN.md writes this EUI64 as 2001:db8:10::a800:ff:fe00:10; RFC 5952 §4.2.2 (and ip-address) keep a lone 0.
    expect(eui64Address('2001:db8:10::', 'aa:00:00:00:00:10')).toBe('2001:db8:10:0:a800:ff:fe00:10');
    expect(normalizeIpv6Address('2001:db8:10::a800:ff:fe00:10')).toBe('2001:db8:10:0:a800:ff:fe00:10');
    // Only the first 64 bits of the prefix are kept.
    expect(eui64Address('2001:db8:10::1234', 'aa:00:00:00:00:10')).toBe('2001:db8:10:0:a800:ff:fe00:10');
  });

  it('derives solicited-node groups and their MACs (RFC 4291 §2.7.1, RFC 2464 §7)', () => {
    expect(solicitedNodeAddress('2001:db8:10::1')).toBe('ff02::1:ff00:1');
    expect(solicitedNodeAddress('fe80::a800:ff:fe00:10')).toBe('ff02::1:ff00:10');
    expect(solicitedNodeAddress('2001:db8::abcd:ef12:3456')).toBe('ff02::1:ff12:3456');
    expect(solicitedNodeMac('2001:db8::abcd:ef12:3456')).toBe('33:33:ff:12:34:56');
    expect(multicastMac('ff02::1')).toBe('33:33:00:00:00:01');
    expect(multicastMac('ff02::2')).toBe('33:33:00:00:00:02');
    expect(multicastMac('ff02::1:2')).toBe('33:33:00:01:00:02');
    expect(() => multicastMac('fe80::1')).toThrow(/not-multicast/);
    expect(() => solicitedNodeAddress('nope')).toThrow(EncodeError);
  });
});

describe('addresses as octets (the packet path)', () => {
  it('sameIpv6 compares 16 octets at any offsets, and is false when either side is short', () => {
    const buf = new Uint8Array(40);
    buf.set(ipv6Bytes('2001:db8::1'), 8);
    buf.set(ipv6Bytes('2001:db8::1'), 24);
    expect(sameIpv6(buf, 8, buf, 24)).toBe(true);
    expect(sameIpv6(buf, 8, ipv6Bytes('2001:db8::1'), 0)).toBe(true);
    expect(sameIpv6(buf, 8, ipv6Bytes('2001:db8::2'), 0)).toBe(false);
    expect(sameIpv6(buf, 25, buf, 24)).toBe(false); // 15 octets left
    expect(sameIpv6(new Uint8Array(0), 0, new Uint8Array(0), 0)).toBe(false);
    fc.assert(
      fc.property(address16, address16, (a, b) => {
        expect(sameIpv6(a, 0, b, 0)).toBe(formatIpv6Address(a) === formatIpv6Address(b));
      }),
    );
  });

  it('putIpv6 writes octets as given and text as parsed, and refuses octets that are not 16 long', () => {
    const out = new Uint8Array(20).fill(0xa5);
    putIpv6(out, 2, ipv6Bytes('fe80::1'), 'test');
    expect(formatIpv6Address(out, 2)).toBe('fe80::1');
    expect(out[1]).toBe(0xa5);
    expect(out[18]).toBe(0xa5);
    const fromText = new Uint8Array(20).fill(0xa5);
    putIpv6(fromText, 2, 'fe80::1', 'test');
    expect(fromText).toEqual(out);
    expect(() => putIpv6(out, 0, new Uint8Array(15), 'test', 'src')).toThrow(/bad-address/);
    expect(() => putIpv6(out, 5, ipv6Bytes('::1'), 'test')).toThrow(EncodeError); // no room
  });

  it('isUnicastIpv6: neither ::, nor multicast, nor short', () => {
    expect(isUnicastIpv6(ipv6Bytes('fe80::a800:ff:fe00:10'))).toBe(true);
    expect(isUnicastIpv6(ipv6Bytes('2001:db8::1'))).toBe(true);
    expect(isUnicastIpv6(ipv6Bytes('::'))).toBe(false);
    expect(isUnicastIpv6(ipv6Bytes('ff02::1'))).toBe(false);
    expect(isUnicastIpv6(new Uint8Array(0))).toBe(false);
    fc.assert(
      fc.property(address16, (b) => {
        expect(isUnicastIpv6(b)).toBe(!isIpv6Multicast(b) && !isIpv6Unspecified(b));
      }),
    );
  });

  it('ipv6Text formats octets and passes text through', () => {
    expect(ipv6Text(ipv6Bytes('2001:DB8:0::1'))).toBe('2001:db8::1');
    expect(ipv6Text('ff02::1')).toBe('ff02::1');
  });

  it('maskIpv6Prefix clears the bits past the length in place, as ipv6PrefixOf does on text', () => {
    const b = ipv6Bytes('2001:db8:10:ffff::1');
    expect(maskIpv6Prefix(b, 52)).toBe(b);
    expect(formatIpv6Address(b)).toBe('2001:db8:10:f000::');
    fc.assert(
      fc.property(address16, fc.integer({ min: 0, max: 128 }), (a, len) => {
        expect(formatIpv6Address(maskIpv6Prefix(a.slice(), len))).toBe(ipv6PrefixOf(formatIpv6Address(a), len));
      }),
    );
  });

  it('linkLocalOctetsFromMac is linkLocalFromMac as octets', () => {
    expect(formatIpv6Address(linkLocalOctetsFromMac('fe:00:00:00:00:01'))).toBe(linkLocalFromMac('fe:00:00:00:00:01'));
    expect(formatIpv6Address(linkLocalOctetsFromMac('52:54:00:12:34:56'))).toBe('fe80::5054:ff:fe12:3456');
  });
});
