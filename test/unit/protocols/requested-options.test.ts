import { describe, expect, it } from 'vitest';
import { encodedOptions, optionSettings, parseOptionSetting, type OptionSetting } from '../../../src/protocols/option-settings.js';
import { NOTHING_ASKED, askedKey, pickOptions, setsCode } from '../../../src/protocols/requested-options.js';
import { DHCP4_CATALOG } from '../../../src/wire/dhcp4-option-catalog.js';

function settings(lines: Record<number, string>) {
  return optionSettings(
    Object.entries(lines).map(([code, text]) => {
      const r = parseOptionSetting(DHCP4_CATALOG, Number(code), text);
      if (!r.ok) throw new Error(r.error);
      return r.setting as OptionSetting;
    }),
  );
}

describe('operator options in replies', () => {
  const binding = settings({ 42: '203.0.113.5', 224: 'always:text:x', 17: '/srv/root' });
  const config = settings({ 42: '198.51.100.1', 2: '-1' });
  const options = encodedOptions(DHCP4_CATALOG, binding, config);

  it('merges with the binding winning per code, in code order, and keeps the encoding by identity', () => {
    expect(options.map((o) => [o.code, Buffer.from(o.bytes).toString('hex'), o.always])).toEqual([
      [2, 'ffffffff', false], [17, Buffer.from('/srv/root').toString('hex'), false], [42, 'cb007105', false], [224, '78', true],
    ]);
    expect(encodedOptions(DHCP4_CATALOG, binding, config)).toBe(options);
    expect(encodedOptions(DHCP4_CATALOG, binding, settings({}))).not.toBe(options);
  });

  it('sends asked-for options and always: ones, nothing else', () => {
    const asked = (codes: number[]) => (c: number) => codes.includes(c);
    expect(askedKey(options, asked([]))).toBe(NOTHING_ASKED);
    expect(pickOptions(options, askedKey(options, asked([]))).map(([c]) => c)).toEqual([224]);
    expect(pickOptions(options, askedKey(options, asked([42, 3, 1]))).map(([c]) => c)).toEqual([42, 224]);
    expect(pickOptions(options, askedKey(options, asked([17, 2, 224]))).map(([c]) => c)).toEqual([2, 17, 224]);
    expect(askedKey(options, asked([42]))).not.toBe(askedKey(options, asked([17])));
  });

  it('keys past 31 asked-for options as text, still exact', () => {
    const many = encodedOptions(DHCP4_CATALOG, settings(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [200 + i, `hex:${i.toString(16).padStart(2, '0')}`]))), settings({}));
    const k = askedKey(many, (c) => c === 235 || c === 239);
    expect(typeof k).toBe('string');
    expect(pickOptions(many, k).map(([c]) => c)).toEqual([235, 239]);
  });

  it('says which codes the operator set', () => {
    expect(setsCode(options, 17)).toBe(true);
    expect(setsCode(options, 119)).toBe(false);
  });
});
