import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  decodeDnsName,
  decodeDnsNames,
  dnsNameError,
  dnsNameLength,
  encodeDnsName,
  encodeDnsNames,
  normalizeDnsName,
} from '../../../src/wire/dns-name.js';
import { EncodeError } from '../../../src/wire/result.js';
import { everyTruncation, expectError, garbage, hex, toHex, value } from './helpers.js';

// RFC 3397 §3 example, the three option-119 pieces joined: eng.apple.com, marketing.apple.com
const RFC3397 = hex`
  03 65 6e 67                      # "eng"
  05 61 70 70 6c 65                # "apple"
  03 63 6f 6d                      # "com"
  00                               # root
  09 6d 61 72 6b 65 74 69 6e 67    # "marketing"
  c0 04                            # pointer to offset 4 ("apple.com")`;

describe('dns names: encode', () => {
  it('encodes a list without compression (golden)', () => {
    const out = encodeDnsNames(['example.com', 'b.example.org.']);
    expect(toHex(out)).toBe(
      toHex(hex`
        07 65 78 61 6d 70 6c 65  03 63 6f 6d  00     # example.com
        01 62  07 65 78 61 6d 70 6c 65  03 6f 72 67  00  # b.example.org`),
    );
  });

  it('encodes the root name as one zero octet', () => {
    expect(toHex(encodeDnsNames(['.']))).toBe('00');
    expect(dnsNameLength('.')).toBe(1);
  });

  it('writes every octet into a garbage-filled buffer, at an offset', () => {
    const out = garbage(2 + 6);
    expect(encodeDnsName('a.bc', out, 2)).toBe(6);
    expect(toHex(out)).toBe('a5 a5 01 61 02 62 63 00');
  });

  it('validates names', () => {
    expect(dnsNameError('example.com')).toBeUndefined();
    expect(dnsNameError('example.com.')).toBeUndefined();
    expect(dnsNameError('_sip._udp.example.com')).toBeUndefined();
    expect(dnsNameError('')).toMatch(/empty/);
    expect(dnsNameError('a..b')).toMatch(/empty label/);
    expect(dnsNameError('.a')).toMatch(/empty label/);
    expect(dnsNameError('a b')).toMatch(/not allowed/);
    expect(dnsNameError('bücher.de')).toMatch(/not allowed/);
    expect(dnsNameError('x'.repeat(63))).toBeUndefined();
    expect(dnsNameError('x'.repeat(64))).toMatch(/63/);
    // 255 octets on the wire at most: 3 × 63-octet labels + a 61-octet one = 4×64 - 2 + 1 = 255
    const max = ['x'.repeat(63), 'x'.repeat(63), 'x'.repeat(63), 'x'.repeat(61)].join('.');
    expect(dnsNameLength(max)).toBe(255);
    expect(dnsNameError(max + 'x')).toMatch(/255/);
    expect(normalizeDnsName('Example.COM.')).toBe('Example.COM');
    expect(normalizeDnsName('a..b')).toBeUndefined();
  });

  it('throws EncodeError on invalid names', () => {
    expect(() => encodeDnsNames(['ok.example', 'not ok'])).toThrow(EncodeError);
    expect(() => encodeDnsName('a.b', new Uint8Array(4))).toThrow(EncodeError);
  });
});

describe('dns names: decode', () => {
  it('decodes the RFC 3397 example, following the pointer', () => {
    expect(value(decodeDnsNames(RFC3397))).toEqual(['eng.apple.com', 'marketing.apple.com']);
    expect(value(decodeDnsName(RFC3397, 15))).toEqual({ name: 'marketing.apple.com', next: 27 });
  });

  it('decodes the root name and an empty list', () => {
    expect(value(decodeDnsNames(hex`00`))).toEqual(['.']);
    expect(value(decodeDnsNames(new Uint8Array(0)))).toEqual([]);
  });

  it('follows a chain of backward pointers', () => {
    const b = hex`
      03 63 6f 6d 00     # 0: com
      01 61 c0 00        # 5: a -> com
      01 62 c0 05        # 9: b -> a.com`;
    expect(value(decodeDnsNames(b))).toEqual(['com', 'a.com', 'b.a.com']);
  });

  it('refuses loops and forward pointers', () => {
    expectError(decodeDnsName(hex`c0 00`, 0), 'dns-name', 'bad-pointer'); // points at itself
    expectError(decodeDnsName(hex`01 61 c0 00`, 0), 'dns-name', 'bad-pointer'); // back into its own labels
    expectError(decodeDnsName(hex`c0 02 00`, 0), 'dns-name', 'bad-pointer'); // forward
    // Two names pointing at each other: the second may point back to the first, never the reverse.
    expectError(decodeDnsNames(hex`01 61 c0 04  01 62 c0 00`), 'dns-name', 'bad-pointer');
  });

  it('refuses reserved label types, bad octets, overlong names and truncation', () => {
    expectError(decodeDnsName(hex`40 00`, 0), 'dns-name', 'bad-label-type'); // 64: a 0x40 label type
    expectError(decodeDnsName(hex`80 00`, 0), 'dns-name', 'bad-label-type');
    expectError(decodeDnsName(hex`03 61 20 62 00`, 0), 'dns-name', 'bad-label'); // space
    expectError(decodeDnsName(hex`03 61 2e 62 00`, 0), 'dns-name', 'bad-label'); // '.' inside a label
    expectError(decodeDnsName(hex`01 ff 00`, 0), 'dns-name', 'bad-label');
    const label63 = [63, ...new Array<number>(63).fill(0x78)];
    expectError(decodeDnsName(new Uint8Array([...label63, ...label63, ...label63, ...label63, 0]), 0), 'dns-name', 'name-too-long');
    expectError(decodeDnsName(hex`03 61 62`, 0), 'dns-name', 'truncated');
    expectError(decodeDnsName(hex`01 61`, 0), 'dns-name', 'truncated'); // no root
    expectError(decodeDnsName(hex`c0`, 0), 'dns-name', 'truncated');
    expectError(decodeDnsName(hex`00`, 5), 'dns-name', 'truncated');
  });

  it('caps the expanded length through pointers too', () => {
    // 5 names of one 63-octet label, each pointing to the previous: the 4th is already over 255.
    const parts: number[] = [];
    let prev = -1;
    for (let i = 0; i < 5; i++) {
      const at = parts.length;
      parts.push(63, ...new Array<number>(63).fill(0x61 + i));
      if (prev < 0) parts.push(0);
      else parts.push(0xc0 | (prev >> 8), prev & 0xff);
      prev = at;
    }
    expectError(decodeDnsNames(new Uint8Array(parts)), 'dns-name', 'name-too-long');
  });

  it('never throws on any truncation', () => {
    everyTruncation(RFC3397, decodeDnsNames);
  });
});

const label = fc
  .array(fc.integer({ min: 0x21, max: 0x7e }).filter((c) => c !== 0x2e), { minLength: 1, maxLength: 63 })
  .map((cs) => String.fromCharCode(...cs));
const name = fc
  .array(label, { minLength: 1, maxLength: 6 })
  .map((ls) => ls.join('.'))
  .filter((n) => dnsNameError(n) === undefined);

describe('dns names: properties', () => {
  it('decode(encode(names)) = names', () => {
    fc.assert(
      fc.property(fc.array(name, { maxLength: 6 }), (names) => {
        const bytes = encodeDnsNames(names);
        expect(bytes.length).toBe(names.reduce((n, x) => n + dnsNameLength(x), 0));
        expect(value(decodeDnsNames(bytes))).toEqual(names);
      }),
      { numRuns: 300 },
    );
  });
});
