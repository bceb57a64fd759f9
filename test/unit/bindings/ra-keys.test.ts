/** Issue 14: ROUTES6 and PREF64 binding keys, [ipv6] pref64. */
import { describe, expect, it } from 'vitest';
import { parseBindingFile, serializeBinding } from '../../../src/bindings/binding-file.js';
import { pref64Of, route6Of } from '../../../src/bindings/ra-values.js';
import { parseConfig } from '../../../src/config/config.js';

describe('ROUTES6', () => {
  it('PREFIX/LEN [high|medium|low], preference default medium, canonical text', () => {
    expect(route6Of('2001:db8:ff::/48 high, 2001:DB8:FE::/48; ::/0 Low')).toEqual([
      { network: '2001:db8:ff::', prefixLength: 48, preference: 'high' },
      { network: '2001:db8:fe::', prefixLength: 48, preference: 'medium' },
      { network: '::', prefixLength: 0, preference: 'low' },
    ]);
    const b = parseBindingFile('tap10', 'MAC=aa:00:00:00:00:10\nROUTES6="2001:db8:ff::/48 HIGH, 2001:db8:fe::/48 medium"\n');
    if (!b.ok) throw new Error(b.error.message);
    expect(serializeBinding(b.binding)).toContain("ROUTES6='2001:db8:ff::/48 high, 2001:db8:fe::/48'");
  });

  it.each([
    ['2001:db8:ff::1/48', /bits set past \/48/],
    ['2001:db8:ff::/48 urgent', /not "PREFIX\/LEN \[high\|medium\|low\]"/],
    ['2001:db8:ff::/48 high extra', /not "PREFIX\/LEN/],
    ['2001:db8::/129', /not an IPv6 prefix/],
    ['ff02::/16', /multicast/],
    ['fe80::/64', /link-local/],
    ['2001:db8::/32, 2001:db8::/32 low', /listed twice/],
  ])('refuses %s', (text, msg) => {
    expect(route6Of(text)).toMatch(msg);
    const b = parseBindingFile('tap10', `MAC=aa:00:00:00:00:10\nROUTES6="${text}"\n`);
    expect(b.ok).toBe(false);
    if (!b.ok) expect(`${b.error.line} ${b.error.message}`).toMatch(/^2 .*ROUTES6/);
  });
});

describe('PREF64', () => {
  it('the six RFC 6052 lengths, host bits zero', () => {
    for (const len of [96, 64, 56, 48, 40, 32]) expect(pref64Of(`64:ff9b::/${len}`)).toEqual({ network: '64:ff9b::', prefixLength: len });
    expect(pref64Of('64:ff9b::/80')).toMatch(/\/96, \/64, \/56, \/48, \/40, \/32/);
    expect(pref64Of('64:ff9b::1/96')).toMatch(/bits set past \/96/);
    expect(pref64Of('nat64')).toMatch(/not an IPv6 prefix/);
  });

  it('[ipv6] pref64: unset by default, the same rule with file:line', () => {
    expect(parseConfig('').ipv6.pref64).toBeUndefined();
    expect(parseConfig('[ipv6]\npref64 = 64:ff9b::/96\n').ipv6.pref64).toEqual({ network: '64:ff9b::', prefixLength: 96 });
    expect(() => parseConfig('[ipv6]\n\npref64 = 64:ff9b::/95\n', 'o.conf')).toThrow(/o\.conf:3.*pref64/);
  });
});
