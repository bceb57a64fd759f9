/** IA_NA / IA_TA / IA_PD, IA Address and IA Prefix codecs (RFC 8415 §21.4–§21.6, §21.21, §21.22). */
import { describe, expect, it } from 'vitest';
import {
  decodeIa, decodeIaAddress, decodeIaPrefix, encodeIa, encodeIaAddress, encodeIaPrefix, iaAddresses, iaPrefixes, identityAssociations,
} from '../../../src/wire/dhcp6-ia.js';
import { EncodeError } from '../../../src/wire/result.js';
import { parseIpv6Address, formatIpv6Address } from '../../../src/wire/ipv6-address.js';
import { hex } from './helpers.js';

const A = parseIpv6Address('2001:db8:10::5')!;

describe('DHCPv6 IA codecs', () => {
  it('decodes an IA_NA as a client sends it (IAID, T1, T2, an IA Address with lifetimes)', () => {
    const v = hex`0a0b0c0d 00000e10 00001518 0005 0018 20010db8001000000000000000000005 00001c20 00015180`;
    const r = decodeIa(3, v);
    if (!r.ok) throw new Error(r.error.toString());
    expect(r.value).toMatchObject({ code: 3, iaid: 0x0a0b0c0d, t1: 3600, t2: 5400 });
    const [addr] = iaAddresses(r.value);
    expect(formatIpv6Address(addr!.address)).toBe('2001:db8:10::5');
    expect(addr).toMatchObject({ preferredLifetime: 7200, validLifetime: 86400, options: [] });
    expect(encodeIa(r.value)).toEqual(v);
  });

  it('IA_TA has no T1/T2; IA_PD carries IA Prefix options (26)', () => {
    const ta = decodeIa(4, hex`00000001`);
    expect(ta.ok && ta.value).toMatchObject({ code: 4, iaid: 1, t1: 0, t2: 0, options: [] });
    expect(() => encodeIa({ code: 4, iaid: 1, t1: 5, t2: 0, options: [] })).toThrow(EncodeError);
    const p = encodeIaPrefix({ preferredLifetime: 10, validLifetime: 20, prefixLength: 56, prefix: parseIpv6Address('2001:db8:100::')!, options: [] });
    expect(p).toEqual(hex`0000000a 00000014 38 20010db8010000000000000000000000`);
    const pd = decodeIa(25, encodeIa({ code: 25, iaid: 7, t1: 1, t2: 2, options: [[26, p]] }));
    if (!pd.ok) throw new Error(pd.error.toString());
    expect(iaPrefixes(pd.value)).toEqual([{ preferredLifetime: 10, validLifetime: 20, prefixLength: 56, prefix: parseIpv6Address('2001:db8:100::'), options: [] }]);
  });

  it('refuses short values, truncated nested options and prefix lengths over 128 with typed errors', () => {
    expect(decodeIa(3, hex`00000001 00000000`)).toMatchObject({ ok: false, error: { reason: 'truncated' } });
    expect(decodeIa(25, hex`00000001 00000000 00000000 0005 0018 00`)).toMatchObject({ ok: false, error: { reason: 'truncated-option' } });
    expect(decodeIa(5, hex`00000001`)).toMatchObject({ ok: false, error: { reason: 'not-an-ia' } });
    expect(decodeIaAddress(new Uint8Array(23))).toMatchObject({ ok: false, error: { reason: 'truncated' } });
    const bad = new Uint8Array(25);
    bad[8] = 129;
    expect(decodeIaPrefix(bad)).toMatchObject({ ok: false, error: { reason: 'bad-prefix-length' } });
  });

  it('encoders refuse values outside the fields', () => {
    expect(() => encodeIaAddress({ address: new Uint8Array(4), preferredLifetime: 0, validLifetime: 0, options: [] })).toThrow(EncodeError);
    expect(() => encodeIaAddress({ address: A, preferredLifetime: 2 ** 32, validLifetime: 0, options: [] })).toThrow(EncodeError);
    expect(() => encodeIaPrefix({ prefix: A, prefixLength: 129, preferredLifetime: 0, validLifetime: 0, options: [] })).toThrow(EncodeError);
  });

  it('identityAssociations lists the IAs of a message and counts the malformed ones', () => {
    const good = encodeIa({ code: 3, iaid: 1, t1: 0, t2: 0, options: [] });
    const r = identityAssociations([[1, hex`0003`], [3, good], [25, hex`01`], [4, hex`00000009`]]);
    expect(r.ias.map((ia) => [ia.code, ia.iaid])).toEqual([[3, 1], [4, 9]]);
    expect(r.malformed).toBe(1);
  });

  it('an IA Address nested option (a status code) survives the round trip', () => {
    const v = encodeIaAddress({ address: A, preferredLifetime: 1, validLifetime: 2, options: [[13, hex`0000 6f6b`]] });
    const d = decodeIaAddress(v);
    if (!d.ok) throw new Error(d.error.toString());
    expect(d.value.options).toEqual([[13, hex`0000 6f6b`]]);
    expect(encodeIaAddress(d.value)).toEqual(v);
  });
});
