/**
 * Issue 14: the new RA value parsers (ROUTES6, PREF64, [nd] addresses) take
 * any text without throwing anything but their own error, and what they
 * accept round-trips through its canonical text; the new ND options
 * (Route Information, PREF64, Captive-Portal) decode from any octets
 * without throwing, and what decodes typed re-encodes to octets that decode
 * the same.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatRoutes6, pref64Of, route6Of } from '../../src/bindings/ra-values.js';
import { ndAddresses } from '../../src/config/nd-values.js';
import { decodeNdpOptions, encodeNdpOption, ndpOptionLength, type NdpOption } from '../../src/wire/ndp.js';
import { fuzzParams, fuzzTimeout } from './harness.js';

const group = fc.integer({ min: 0, max: 0xffff }).map((x) => x.toString(16));
const ipv6 = fc.oneof(fc.array(group, { minLength: 8, maxLength: 8 }).map((g) => g.join(':')), fc.array(group, { minLength: 1, maxLength: 4 }).map((g) => `${g.join(':')}::`));
const prefix = fc.tuple(ipv6, fc.integer({ min: -1, max: 130 })).map(([a, l]) => `${a}/${l}`);
const routeText = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.array(fc.tuple(prefix, fc.constantFrom('', ' high', ' LOW', ' medium', ' nope', ' high x')).map(([p, w]) => p + w), { maxLength: 9 }).map((r) => r.join(', ')),
);

describe('RA value parsers (fuzz)', () => {
  it('ROUTES6: an error string or routes whose text parses back to them', () => {
    fc.assert(
      fc.property(routeText, (t) => {
        const r = route6Of(t);
        if (typeof r === 'string') return;
        expect(route6Of(formatRoutes6(r))).toEqual(r);
      }),
      fuzzParams(),
    );
  }, fuzzTimeout());

  it('PREF64 and [nd] addresses: an error or a canonical value', () => {
    fc.assert(
      fc.property(fc.oneof(prefix, fc.string({ maxLength: 50 })), (t) => {
        const p = pref64Of(t);
        if (typeof p !== 'string') expect(pref64Of(`${p.network}/${p.prefixLength}`)).toEqual(p);
        let nd: string[] | undefined;
        try {
          nd = ndAddresses(t);
        } catch (e) {
          expect((e as Error).message).toMatch(/link-local/);
        }
        if (nd) expect(ndAddresses(nd.join(','))).toEqual(nd);
      }),
      fuzzParams(),
    );
  }, fuzzTimeout());
});

describe('RA options codec (fuzz)', () => {
  const option = fc.tuple(fc.constantFrom(24, 37, 38), fc.uint8Array({ maxLength: 40 })).map(([type, body]) => {
    const len = Math.max(8, Math.ceil((body.length + 2) / 8) * 8);
    const b = new Uint8Array(len);
    b[0] = type;
    b[1] = len / 8;
    b.set(body.subarray(0, len - 2), 2);
    return b;
  });
  it('decodes without throwing; typed options re-encode to the same value', () => {
    fc.assert(
      fc.property(option, (b) => {
        const d = decodeNdpOptions(b);
        if (!d.ok) return;
        for (const o of d.value) {
          const out = new Uint8Array(ndpOptionLength(o as NdpOption));
          encodeNdpOption(o, out, 0);
          const again = decodeNdpOptions(out);
          expect(again).toEqual({ ok: true, value: [o] });
        }
      }),
      fuzzParams(),
    );
  }, fuzzTimeout());
});
