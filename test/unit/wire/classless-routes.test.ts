import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  classlessRoutesLength,
  decodeClasslessRoutes,
  encodeClasslessRoutes,
  normalizeClasslessRoute,
} from '../../../src/wire/classless-routes.js';
import { numberToIpv4, prefixMask } from '../../../src/wire/addr.js';
import { EncodeError } from '../../../src/wire/result.js';
import { everyTruncation, expectError, hex, toHex, value } from './helpers.js';

const GW = '192.0.2.1';

describe('classless static routes (RFC 3442)', () => {
  it('RFC example: 169.254.0.0/16 via 192.0.2.1 -> 10 a9 fe c0 00 02 01', () => {
    const r = [{ destination: '169.254.0.0', prefixLength: 16, router: GW }];
    expect(toHex(encodeClasslessRoutes(r))).toBe('10 a9 fe c0 00 02 01');
    expect(value(decodeClasslessRoutes(hex`10 a9 fe c0 00 02 01`))).toEqual(r);
  });

  it('default route: 0.0.0.0/0 via GW -> 00 + GW', () => {
    const r = [{ destination: '0.0.0.0', prefixLength: 0, router: GW }];
    expect(toHex(encodeClasslessRoutes(r))).toBe('00 c0 00 02 01');
    expect(value(decodeClasslessRoutes(hex`00 c0 00 02 01`))).toEqual(r);
  });

  it('/32 host route: 169.254.169.254/32 -> 20 a9 fe a9 fe + GW', () => {
    const r = [{ destination: '169.254.169.254', prefixLength: 32, router: GW }];
    expect(toHex(encodeClasslessRoutes(r))).toBe('20 a9 fe a9 fe c0 00 02 01');
    expect(value(decodeClasslessRoutes(hex`20 a9 fe a9 fe c0 00 02 01`))).toEqual(r);
  });

  it('the onlinkd Windows set, an on-link route and odd widths, in order', () => {
    const routes = [
      { destination: '169.254.0.0', prefixLength: 16, router: '203.0.113.1' },
      { destination: '0.0.0.0', prefixLength: 0, router: '203.0.113.1' },
      { destination: '203.0.113.0', prefixLength: 24, router: '0.0.0.0' },
      { destination: '128.0.0.0', prefixLength: 1, router: '10.0.0.1' },
      { destination: '10.128.0.0', prefixLength: 9, router: '10.0.0.1' },
      { destination: '10.1.2.128', prefixLength: 25, router: '10.0.0.1' },
    ];
    const bytes = hex`
      10 a9 fe           cb 00 71 01   # 169.254/16 via 203.0.113.1
      00                 cb 00 71 01   # default via 203.0.113.1
      18 cb 00 71        00 00 00 00   # 203.0.113/24 on-link
      01 80              0a 00 00 01   # 128/1
      09 0a 80           0a 00 00 01   # 10.128/9
      19 0a 01 02 80     0a 00 00 01   # 10.1.2.128/25`;
    expect(toHex(encodeClasslessRoutes(routes))).toBe(toHex(bytes));
    expect(classlessRoutesLength(routes)).toBe(bytes.length);
    expect(value(decodeClasslessRoutes(bytes))).toEqual(routes);
  });

  it('decode refuses bits past the prefix, widths over 32, truncation and an empty option', () => {
    expectError(decodeClasslessRoutes(hex`09 0a 81 c0 00 02 01`), 'classless-routes', 'bad-destination'); // 10.129/9
    expectError(decodeClasslessRoutes(hex`01 c0 c0 00 02 01`), 'classless-routes', 'bad-destination');
    expectError(decodeClasslessRoutes(hex`21 0a 00 00 00 00 c0 00 02 01`), 'classless-routes', 'bad-prefix');
    expectError(decodeClasslessRoutes(hex`10 a9 fe c0 00 02`), 'classless-routes', 'truncated');
    expectError(decodeClasslessRoutes(hex`10 a9 fe c0 00 02 01 00`), 'classless-routes', 'truncated');
    expectError(decodeClasslessRoutes(new Uint8Array(0)), 'classless-routes', 'empty');
  });

  it('encode normalises bits past the prefix (documented choice)', () => {
    const r = { destination: '10.1.2.3', prefixLength: 8, router: GW };
    expect(toHex(encodeClasslessRoutes([r]))).toBe('08 0a c0 00 02 01');
    expect(normalizeClasslessRoute(r)).toEqual({ destination: '10.0.0.0', prefixLength: 8, router: GW });
    expect(value(decodeClasslessRoutes(encodeClasslessRoutes([{ destination: '10.129.0.0', prefixLength: 9, router: GW }])))).toEqual([
      { destination: '10.128.0.0', prefixLength: 9, router: GW },
    ]);
  });

  it('encode throws EncodeError on bad routes and on an empty list', () => {
    expect(() => encodeClasslessRoutes([])).toThrow(EncodeError);
    expect(() => encodeClasslessRoutes([{ destination: '10.0.0.0', prefixLength: 33, router: GW }])).toThrow(EncodeError);
    expect(() => encodeClasslessRoutes([{ destination: '10.0.0.0', prefixLength: 1.5, router: GW }])).toThrow(EncodeError);
    expect(() => encodeClasslessRoutes([{ destination: '10.0.0', prefixLength: 8, router: GW }])).toThrow(EncodeError);
    expect(() => encodeClasslessRoutes([{ destination: '10.0.0.0', prefixLength: 8, router: '' }])).toThrow(EncodeError);
  });

  it('never throws on any truncation', () => {
    everyTruncation(hex`10 a9 fe c0 00 02 01 00 c0 00 02 01 20 a9 fe a9 fe c0 00 02 01`, decodeClasslessRoutes);
  });

  it('decode(encode(routes)) = normalised routes', () => {
    const route = fc.record({
      destination: fc.integer({ min: 0, max: 0xffffffff }).map(numberToIpv4),
      prefixLength: fc.integer({ min: 0, max: 32 }),
      router: fc.integer({ min: 0, max: 0xffffffff }).map(numberToIpv4),
    });
    fc.assert(
      fc.property(fc.array(route, { minLength: 1, maxLength: 40 }), (routes) => {
        const norm = routes.map(normalizeClasslessRoute);
        for (const r of norm) {
          const d = r.destination.split('.').reduce((n, o) => n * 256 + Number(o), 0);
          expect((d & ~prefixMask(r.prefixLength)) >>> 0).toBe(0);
        }
        expect(value(decodeClasslessRoutes(encodeClasslessRoutes(routes)))).toEqual(norm);
      }),
      { numRuns: 300 },
    );
  });
});
