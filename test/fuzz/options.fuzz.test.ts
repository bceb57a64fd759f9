/**
 * Operator-set DHCP options: the value parser takes any text without
 * throwing, and what it accepts round-trips through its canonical text;
 * the formatter shows any octets as text that parses back to them; random
 * option sets, merged and encoded (RFC 3396 splitting), decode back to
 * every option.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodedOptions, optionSettings, parseOptionSetting, type OptionSetting } from '../../src/protocols/option-settings.js';
import { DHCP4_CATALOG } from '../../src/wire/dhcp4-option-catalog.js';
import { decodeOptionArea, encodeOptionArea } from '../../src/wire/dhcp4-option-area.js';
import { DHCP6_CATALOG } from '../../src/wire/dhcp6-option-catalog.js';
import type { OptionCatalog } from '../../src/wire/option-catalog.js';
import { fuzzParams, fuzzTimeout } from './harness.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const octet = fc.integer({ min: 0, max: 255 });
const ipv4 = fc.tuple(octet, octet, octet, octet).map((a) => a.join('.'));
const ipv6 = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }).map((g) => g.map((x) => x.toString(16)).join(':'));
const label = fc.stringMatching(/^[a-z0-9-]{1,12}$/);
const domain = fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join('.'));

/** Texts an operator might write, and junk. */
const valueText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ maxLength: 20, unit: 'binary' }),
  fc.tuple(fc.array(ipv4, { minLength: 1, maxLength: 4 }), fc.constantFrom(',', ', ', ' ')).map(([a, sep]) => a.join(sep)),
  fc.array(ipv6, { minLength: 1, maxLength: 3 }).map((a) => a.join(',')),
  fc.array(domain, { minLength: 1, maxLength: 3 }).map((a) => a.join(',')),
  fc.integer({ min: -(2 ** 33), max: 2 ** 33 }).map(String),
  fc.constantFrom('yes', 'no', 'on', 'off', '1', '0', 'true', 'hex:', 'text:', 'always:', 'always:hex:zz', '203.0.113.1 203.0.113.2, 10.0.0.0 255.0.0.0'),
  fc.uint8Array({ maxLength: 40 }).map((b) => `hex:${hex(b)}`),
  fc.string({ maxLength: 30 }).map((t) => `text:${t}`),
);
const prefixed = fc.tuple(fc.constantFrom('', 'always:', 'ALWAYS:'), valueText).map(([p, v]) => p + v);

function codes(catalog: OptionCatalog): fc.Arbitrary<number> {
  return fc.oneof(fc.constantFrom(...catalog.known.map((i) => i.code)), fc.integer({ min: -2, max: catalog.maxCode + 2 }));
}

for (const catalog of [DHCP4_CATALOG, DHCP6_CATALOG]) {
  describe(`${catalog.protocol} option values`, () => {
    it('parse never throws; an accepted value round-trips through its canonical text', () => {
      fc.assert(
        fc.property(codes(catalog), prefixed, (code, text) => {
          const r = parseOptionSetting(catalog, code, text);
          if (!r.ok) {
            expect(typeof r.error).toBe('string');
            return;
          }
          // The canonical text is one line with no blanks around: a binding file can hold it as it is.
          expect(/[\x00-\x1f\x7f]|^\s|\s$/.test(r.setting.value), r.setting.value).toBe(false);
          const bytes = catalog.parseOptionValue(code, r.setting.value);
          expect(bytes.ok).toBe(true);
          const first = catalog.parseOptionValue(code, text.replace(/^always:/i, ''));
          if (bytes.ok && first.ok) expect(hex(bytes.bytes)).toBe(hex(first.bytes));
          if (bytes.ok) expect(catalog.formatOptionValue(code, bytes.bytes)).toBe(r.setting.value);
        }),
        fuzzParams(),
      );
    }, fuzzTimeout(1));

    it('format shows any octets as text that parses back to them', () => {
      const allowed = fc.oneof(fc.constantFrom(...catalog.known.filter((i) => !i.refused).map((i) => i.code)), fc.integer({ min: 224, max: 254 })).filter((c) => catalog.optionInfo(c)?.refused === undefined);
      fc.assert(
        fc.property(allowed, fc.uint8Array({ maxLength: 300 }), (code, bytes) => {
          const text = catalog.formatOptionValue(code, bytes);
          const back = catalog.parseOptionValue(code, text);
          expect(back.ok, text).toBe(true);
          if (back.ok) expect(hex(back.bytes)).toBe(hex(bytes));
          expect(/^\s|\s$/.test(text)).toBe(false);
        }),
        fuzzParams(),
      );
    }, fuzzTimeout(1));
  });
}

describe('DHCPv4 option sets', () => {
  const setting = fc
    .tuple(fc.integer({ min: 1, max: 254 }), fc.uint8Array({ maxLength: 700 }), fc.boolean())
    .map(([code, bytes, always]) => parseOptionSetting(DHCP4_CATALOG, code, `${always ? 'always:' : ''}hex:${hex(bytes)}`))
    .filter((r): r is { ok: true; setting: OptionSetting } => r.ok)
    .map((r) => r.setting);
  const set = fc.uniqueArray(setting, { selector: (s) => s.code, maxLength: 8 }).map(optionSettings);

  it('merged (binding wins per code) and encoded with RFC 3396 splitting, decode back to every option', () => {
    fc.assert(
      fc.property(set, set, (binding, config) => {
        const options = encodedOptions(DHCP4_CATALOG, binding, config);
        const want = new Map<number, OptionSetting>([...config.map((s) => [s.code, s] as const), ...binding.map((s) => [s.code, s] as const)]);
        expect(options.map((o) => o.code)).toEqual([...want.keys()].sort((a, b) => a - b));
        const area = encodeOptionArea(options.map((o) => [o.code, o.bytes] as const));
        const decoded = decodeOptionArea(area);
        expect(decoded.ok).toBe(true);
        if (!decoded.ok) return;
        expect(decoded.value.map(([c]) => c)).toEqual(options.map((o) => o.code));
        for (const [code, value] of decoded.value) {
          const s = want.get(code)!;
          expect(DHCP4_CATALOG.formatOptionValue(code, value)).toBe(s.value);
          expect(options.find((o) => o.code === code)!.always).toBe(s.always);
        }
      }),
      fuzzParams(Math.max(1, Math.floor(fuzzParams().numRuns / 4))),
    );
  }, fuzzTimeout(4));
});
