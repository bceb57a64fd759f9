/**
 * Issue 14, RA side: the tap's mode in the flags, ROUTES6 / PREF64 /
 * CAPTIVE_PORTAL options (values and octets), the 1280-octet bound and its
 * parse-time refusal, and the deprecated prefix of a withdrawal.
 */
import { describe, expect, it } from 'vitest';
import { parseBindingFile } from '../../../src/bindings/binding-file.js';
import { ndpReplyFrame, type NdpDecision, type NdpReply } from '../../../src/protocols/ndp-frame.js';
import { deprecatedPrefixOption, pref64Lifetime, withdrawnValidLifetime } from '../../../src/protocols/ra-extras.js';
import { MAX_DNS6_SERVERS, MAX_ROUTES6, MAX_SEARCH_LIST_OCTETS, RA_ROUTES_PORTAL_ROOM } from '../../../src/protocols/reply-limits.js';
import {
  buildRouterAdvertisement, finalRouterAdvertisement, respondRouterSolicitation, unsolicitedRouterAdvertisement,
} from '../../../src/protocols/router-advert.js';
import { decodeNdpOptions, encodeNdpOption, type NdpOption, type RouterAdvertisement, type RouterSolicitation } from '../../../src/wire/ndp.js';
import { SERVER_MAC, VM_MAC, binding6, ipv6Settings, meta } from './ipv6-helpers.js';
import type { Binding } from '../../../src/bindings/binding.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
function encode(o: NdpOption): Uint8Array {
  const out = new Uint8Array(2048);
  return out.slice(0, encodeNdpOption(o, out, 0));
}
function reply(d: NdpDecision): NdpReply {
  if (d.kind !== 'reply') throw new Error(`expected a reply, got ${JSON.stringify(d)}`);
  return d.reply;
}
function ra(b: Binding, s = ipv6Settings()): RouterAdvertisement {
  const r = buildRouterAdvertisement(b, s, SERVER_MAC);
  if (r.kind !== 'ra') throw new Error(r.reason);
  return r.message;
}
const opts = <K extends NdpOption['kind']>(m: RouterAdvertisement, kind: K) => m.options.filter((o): o is Extract<NdpOption, { kind: K }> => o.kind === kind);
const RS: RouterSolicitation = { type: 133, code: 0, options: [{ kind: 'source-link-layer', mac: VM_MAC }] };

describe('MODE6 in the RA flags (RFC 4861 §4.2, §4.6.2)', () => {
  it.each([
    ['slaac+dhcpv6', true, false, true, true],
    ['dhcpv6', true, true, true, false],
    ['slaac', true, false, false, true],
    ['dhcpv6', false, false, false, false], // enable_dhcpv6 = no: nobody would answer M or O
    ['slaac+dhcpv6', false, false, false, true],
  ] as const)('%s (DHCPv6 %s): M=%s O=%s A=%s', (mode, dhcp, m, o, a) => {
    for (const msg of [ra(binding6({ mode6: mode }), ipv6Settings({ enableDhcpv6: dhcp })), ra(binding6(), ipv6Settings({ mode, enableDhcpv6: dhcp }))]) {
      expect([msg.managed, msg.other]).toEqual([m, o]);
      expect(opts(msg, 'prefix')[0]?.autonomous).toBe(a);
    }
  });

  it('the binding wins over [ipv6] mode', () => {
    expect(ra(binding6({ mode6: 'dhcpv6' }), ipv6Settings({ mode: 'slaac' })).managed).toBe(true);
    expect(ra(binding6({ mode6: 'slaac' }), ipv6Settings({ mode: 'dhcpv6' })).managed).toBe(false);
  });

  it('none: no RA at all — not to an RS, not periodic, not final', () => {
    const s = ipv6Settings({ mode: 'none' });
    expect(respondRouterSolicitation(RS, meta(), binding6(), s, SERVER_MAC)).toEqual({ kind: 'drop', reason: 'mode-none' });
    expect(unsolicitedRouterAdvertisement(binding6(), s, SERVER_MAC)).toEqual({ kind: 'drop', reason: 'mode-none' });
    expect(finalRouterAdvertisement(binding6(), s, SERVER_MAC)).toEqual({ kind: 'drop', reason: 'mode-none' });
    expect(unsolicitedRouterAdvertisement(binding6({ mode6: 'none' }), ipv6Settings(), SERVER_MAC)).toEqual({ kind: 'drop', reason: 'mode-none' });
  });
});

describe('Route Information (RFC 4191 §2.3)', () => {
  it('encodes length by prefix length, preference bits, lifetime, masked prefix', () => {
    expect(hex(encode({ kind: 'route', prefixLength: 48, preference: 'high', lifetime: 900, prefix: '2001:db8:ff::' }))).toBe('1802' + '30' + '08' + '00000384' + '20010db800ff0000');
    expect(hex(encode({ kind: 'route', prefixLength: 0, preference: 'low', lifetime: 1, prefix: '::' }))).toBe('1801' + '00' + '18' + '00000001');
    expect(hex(encode({ kind: 'route', prefixLength: 65, preference: 'medium', lifetime: 0, prefix: '2001:db8::ffff:0:0:0' }))).toBe(
      '1803' + '41' + '00' + '00000000' + '20010db800000000' + '8000000000000000',
    );
    // Bits past the length are never sent (§2.3: "MUST be initialized to zero").
    expect(hex(encode({ kind: 'route', prefixLength: 16, preference: 'medium', lifetime: 0, prefix: '2001:db8::1' }))).toBe('1802' + '10' + '00' + '00000000' + '2001000000000000');
  });

  it('ROUTES6 in the RA: one option per route, lifetime = Router Lifetime', () => {
    const m = ra(binding6({ routes6: [{ network: '2001:db8:ff::', prefixLength: 48, preference: 'high' }, { network: '2001:db8:fe::', prefixLength: 48, preference: 'low' }] }));
    expect(opts(m, 'route')).toEqual([
      { kind: 'route', prefixLength: 48, preference: 'high', lifetime: m.routerLifetime, prefix: '2001:db8:ff::' },
      { kind: 'route', prefixLength: 48, preference: 'low', lifetime: m.routerLifetime, prefix: '2001:db8:fe::' },
    ]);
  });

  it('decodes what it encodes; a short or over-long option is kept raw', () => {
    const o: NdpOption = { kind: 'route', prefixLength: 56, preference: 'high', lifetime: 7, prefix: '2001:db8:ff:ff00::' };
    expect(decodeNdpOptions(encode(o))).toEqual({ ok: true, value: [o] });
    const short = Uint8Array.from([24, 1, 48, 0, 0, 0, 0, 1]); // a /48 needs Length 2
    expect(decodeNdpOptions(short).ok && decodeNdpOptions(short)).toMatchObject({ value: [{ kind: 'raw', type: 24 }] });
  });
});

describe('PREF64 (RFC 8781 §4)', () => {
  it.each([
    [96, 0],
    [64, 1],
    [56, 2],
    [48, 3],
    [40, 4],
    [32, 5],
  ] as const)('/%i: Prefix Length Code %i', (len, plc) => {
    const o: NdpOption = { kind: 'pref64', scaledLifetime: 113, prefixLength: len, prefix: '64:ff9b::' };
    const b = encode(o);
    // Type 38, Length 2, Scaled Lifetime (13 bits) | PLC (3 bits), the first 96 bits of the prefix.
    expect(hex(b)).toBe('2602' + ((113 << 3) | plc).toString(16).padStart(4, '0') + '0064ff9b' + '0'.repeat(16));
    expect(decodeNdpOptions(b)).toEqual({ ok: true, value: [o] });
  });

  it('carries only the first 96 bits, masked to the length', () => {
    expect(hex(encode({ kind: 'pref64', scaledLifetime: 1, prefixLength: 32, prefix: '2001:db8:ffff::' })).slice(8)).toBe('20010db80000000000000000');
  });

  it('a Prefix Length Code of 6 or 7 is kept raw (§4: the receiver ignores it)', () => {
    const d = decodeNdpOptions(Uint8Array.from([38, 2, 0, 6, ...new Array(12).fill(0)]));
    expect(d.ok && d.value[0]).toMatchObject({ kind: 'raw', type: 38 });
  });

  it('lifetime: 3 × ra_period, never under the Router Lifetime, in 8 s units, at most 8191 units', () => {
    expect(pref64Lifetime(900, 300)).toBe(904); // 900 rounded up to 8
    expect(pref64Lifetime(9000, 300)).toBe(9000); // router_lifetime above 3 × ra_period
    expect(pref64Lifetime(9000, 65535)).toBe(8191 * 8);
    expect(pref64Lifetime(0, 4)).toBe(16);
    const m = ra(binding6({ pref64: { network: '64:ff9b::', prefixLength: 96 } }));
    const p = opts(m, 'pref64')[0]!;
    expect(p.scaledLifetime * 8).toBeGreaterThanOrEqual(m.routerLifetime);
    expect(p).toMatchObject({ prefixLength: 96, prefix: '64:ff9b::' });
  });

  it('[ipv6] pref64 for every binding; a binding PREF64 wins', () => {
    const s = ipv6Settings({ pref64: { network: '64:ff9b::', prefixLength: 96 } });
    expect(opts(ra(binding6(), s), 'pref64')[0]?.prefix).toBe('64:ff9b::');
    expect(opts(ra(binding6({ pref64: { network: '2001:db8:64::', prefixLength: 48 } }), s), 'pref64')[0]).toMatchObject({ prefix: '2001:db8:64::', prefixLength: 48 });
  });
});

describe('Captive-Portal option (RFC 8910 §2.3)', () => {
  it('the URI, NUL-padded to 8 octets', () => {
    const b = encode({ kind: 'captive-portal', uri: 'https://cp.example/api' }); // 22 octets + 2 = 24
    expect(b.length).toBe(24);
    expect(b[0]).toBe(37);
    expect(b[1]).toBe(3);
    expect(Buffer.from(b.subarray(2)).toString('latin1')).toBe('https://cp.example/api');
    const c = encode({ kind: 'captive-portal', uri: 'https://cp.example/a' }); // 20 + 2 → 24, two NULs
    expect([...c.subarray(22)]).toEqual([0, 0]);
    expect(decodeNdpOptions(c)).toEqual({ ok: true, value: [{ kind: 'captive-portal', uri: 'https://cp.example/a' }] });
  });

  it('CAPTIVE_PORTAL goes in the RA', () => {
    expect(opts(ra(binding6({ captivePortal: 'https://cp.example/api' })), 'captive-portal')).toEqual([{ kind: 'captive-portal', uri: 'https://cp.example/api' }]);
  });
});

describe('the RA fits 1280 octets (reply-limits.ts)', () => {
  const name = (i: number) => `d${String(i).padStart(2, '0')}${'x'.repeat(56)}.example`; // 68 octets encoded
  it('every list at its limit, one withdrawn prefix, PREF64, routes and portal filling the room', () => {
    const dns6 = Array.from({ length: MAX_DNS6_SERVERS }, (_, i) => `2001:db8::${i + 1}`);
    const domains: string[] = [];
    for (let i = 0; domains.reduce((n, d) => n + d.length + 2, 0) + name(i).length + 2 <= MAX_SEARCH_LIST_OCTETS; i++) domains.push(name(i));
    const left = MAX_SEARCH_LIST_OCTETS - domains.reduce((n, d) => n + d.length + 2, 0);
    domains.push(`${'y'.repeat(left - 10)}.example`); // exactly the 256 octets [ipv6] domains may hold
    const domain = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`; // 255 octets encoded
    const routes6 = Array.from({ length: MAX_ROUTES6 }, (_, i) => ({ network: `2001:db8:${i}::1:0:0`, prefixLength: 96, preference: 'high' as const }));
    const b = binding6({ dns6, domain, routes6, pref64: { network: '64:ff9b::', prefixLength: 96 } });
    expect(MAX_ROUTES6 * 24).toBeLessThanOrEqual(RA_ROUTES_PORTAL_ROOM);
    const r = buildRouterAdvertisement(b, ipv6Settings({ domains }), SERVER_MAC, { deprecated: [{ prefix: '2001:db8:99::', prefixLength: 64, validLifetime: 7200 }] });
    if (r.kind !== 'ra') throw new Error(r.reason);
    const f = ndpReplyFrame({ message: r.message, srcIp: r.srcIp, dstIp: 'ff02::1', dstMac: '33:33:00:00:00:01' }, SERVER_MAC);
    if (!f.ok) throw new Error(f.error);
    expect(f.frame.length - 14).toBeLessThanOrEqual(1280);
    expect(f.frame.length - 14).toBeGreaterThan(1280 - 24); // the bound is tight: the limits are not arbitrary
  });

  it('a binding whose routes and portal would not fit is refused when parsed, naming the key', () => {
    const base = 'MAC=aa:00:00:00:00:10\nSUBNET6=2001:db8:10::/64\n';
    const routes = Array.from({ length: MAX_ROUTES6 }, (_, i) => `2001:db8:${i}::/96`).join(', ');
    expect(parseBindingFile('tap10', `${base}ROUTES6="${routes}"\n`).ok).toBe(true);
    const tooMany = parseBindingFile('tap10', `${base}ROUTES6="${routes}, 2001:db8:ff::/96"\n`);
    expect(tooMany.ok).toBe(false);
    if (!tooMany.ok) expect(tooMany.error.message).toMatch(/ROUTES6.*more than 7 routes/);
    const withPortal = parseBindingFile('tap10', `${base}ROUTES6="${routes}"\nCAPTIVE_PORTAL=https://cp.example/api\n`);
    expect(withPortal.ok).toBe(false);
    if (!withPortal.ok) expect(withPortal.error.message).toMatch(/ROUTES6.*168 for ROUTES6 and CAPTIVE_PORTAL/);
    const longPortal = parseBindingFile('tap10', `${base}CAPTIVE_PORTAL=https://cp.example/${'a'.repeat(200)}\n`);
    expect(longPortal.ok).toBe(false);
    if (!longPortal.ok) expect(longPortal.error.message).toMatch(/CAPTIVE_PORTAL.*octets of the RA/);
  });
});

describe('withdrawal (RFC 9096 §3.3)', () => {
  it('a deprecated prefix: preferred 0, the valid lifetime given, A=1 even in dhcpv6 mode', () => {
    const m = ra(binding6({ mode6: 'dhcpv6' }), ipv6Settings());
    expect(opts(m, 'prefix')).toHaveLength(1);
    const r = buildRouterAdvertisement(binding6({ mode6: 'dhcpv6' }), ipv6Settings(), SERVER_MAC, { deprecated: [{ prefix: '2001:db8:99::', prefixLength: 64, validLifetime: 5000 }] });
    if (r.kind !== 'ra') throw new Error(r.reason);
    expect(opts(r.message, 'prefix')).toEqual([
      expect.objectContaining({ prefix: '2001:db8:10::', autonomous: false, preferredLifetime: 14400 }),
      { kind: 'prefix', prefixLength: 64, onLink: true, autonomous: true, routerAddress: false, validLifetime: 5000, preferredLifetime: 0, prefix: '2001:db8:99::' },
    ]);
    expect(deprecatedPrefixOption({ prefix: '2001:db8::', prefixLength: 56, validLifetime: 1 })).toMatchObject({ autonomous: false, preferredLifetime: 0 });
  });

  it('the final RA: own prefix deprecated with min(valid_lifetime, 2 h), routes and PREF64 at 0, other deprecated prefixes kept', () => {
    const b = binding6({ routes6: [{ network: '2001:db8:ff::', prefixLength: 48, preference: 'high' }], pref64: { network: '64:ff9b::', prefixLength: 96 } });
    const m = reply(finalRouterAdvertisement(b, ipv6Settings({ validLifetime: 3600, preferredLifetime: 1800 }), SERVER_MAC, [{ prefix: '2001:db8:99::', prefixLength: 64, validLifetime: 10 }])).message as RouterAdvertisement;
    expect(m.routerLifetime).toBe(0);
    expect(opts(m, 'prefix').map((p) => [p.prefix, p.preferredLifetime, p.validLifetime])).toEqual([['2001:db8:10::', 0, 3600], ['2001:db8:99::', 0, 10]]);
    expect(opts(m, 'route')[0]?.lifetime).toBe(0);
    expect(opts(m, 'pref64')[0]?.scaledLifetime).toBe(0);
    expect(withdrawnValidLifetime({ validLifetime: 86400 })).toBe(7200);
  });

  it('without the new keys the RA has exactly the options it always had', () => {
    expect(ra(binding6()).options.map((o) => o.kind)).toEqual(['source-link-layer', 'mtu', 'prefix', 'rdnss', 'dnssl']);
  });
});
