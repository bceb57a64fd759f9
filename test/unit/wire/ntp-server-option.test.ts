/**
 * DHCPv6 option 56 (RFC 5908) as OPTION6_56 / [dhcp6-options] 56 writes
 * it: addresses and names become sub-options 1 (unicast), 2 (multicast)
 * and 3 (FQDN, uncompressed), in order; octets that are not such a list
 * show as hex.
 */
import { describe, expect, it } from 'vitest';
import { formatOption6Value, parseOption6Value } from '../../../src/wire/dhcp6-option-catalog.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
function bytes(text: string): string {
  const r = parseOption6Value(56, text);
  if (!r.ok) throw new Error(r.error);
  return hex(r.bytes);
}

describe('DHCPv6 option 56 (NTP server, RFC 5908)', () => {
  it('encodes a unicast address as sub-option 1, a multicast one as 2, a name as 3 (RFC 1035 wire form)', () => {
    expect(bytes('2001:db8::123')).toBe('00010010' + '20010db8000000000000000000000123');
    expect(bytes('ff05::101')).toBe('00020010' + 'ff050000000000000000000000000101');
    expect(bytes('ntp.example')).toBe('0003000d' + '036e7470076578616d706c6500');
    expect(bytes('2001:db8::123, ntp.example')).toBe('00010010' + '20010db8000000000000000000000123' + '0003000d' + '036e7470076578616d706c6500');
  });

  it('formats what it encodes back to the same canonical text', () => {
    for (const t of ['2001:db8::123', 'ff05::101,ntp.example', 'ntp.example,2001:db8::1,2001:db8::2']) {
      const r = parseOption6Value(56, t);
      expect(r.ok && formatOption6Value(56, r.bytes)).toBe(t);
    }
  });

  it('refuses what is neither an address nor a name, with the reason', () => {
    const r = parseOption6Value(56, '2001:db8::zz');
    expect(r.ok ? '' : r.error).toMatch(/option 56 \(ntp-server, ntp-servers \(RFC 5908\)\): "2001:db8::zz" is not an IPv6 address/);
    const long = `${'a'.repeat(64)}.example`;
    const n = parseOption6Value(56, long);
    expect(n.ok ? '' : n.error).toMatch(/is neither an IPv6 address nor a domain name: label longer than 63 octets/);
    expect(parseOption6Value(56, '').ok).toBe(false);
  });

  it('shows octets that are not a sub-option list as hex (truncated, unknown code, multicast under code 1)', () => {
    expect(formatOption6Value(56, Uint8Array.of(0, 1, 0, 16, 1, 2))).toBe('hex:000100100102');
    expect(formatOption6Value(56, Uint8Array.of(0, 9, 0, 0))).toBe('hex:00090000');
    const mc = new Uint8Array(20);
    mc.set([0, 1, 0, 16, 0xff, 5]);
    expect(formatOption6Value(56, mc)).toMatch(/^hex:/);
  });
});
