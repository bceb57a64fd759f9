import { describe, expect, it } from 'vitest';
import { DHCP4_CATALOG, formatOptionValue, optionInfo, parseOptionValue } from '../../../src/wire/dhcp4-option-catalog.js';
import { DHCP6_CATALOG, formatOption6Value, parseOption6Value } from '../../../src/wire/dhcp6-option-catalog.js';
import { CONFIG_KEYS } from '../../../src/config/keys.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function bytes4(code: number, text: string): string {
  const r = parseOptionValue(code, text);
  if (!r.ok) throw new Error(r.error);
  return hex(r.bytes);
}

function error4(code: number, text: string): string {
  const r = parseOptionValue(code, text);
  if (r.ok) throw new Error(`accepted: ${hex(r.bytes)}`);
  return r.error;
}

describe('DHCPv4 option catalogue', () => {
  it('types known codes from the table', () => {
    expect(optionInfo(42)?.name).toBe('ntp-servers');
    expect(bytes4(42, '203.0.113.5,203.0.113.6')).toBe('cb007105cb007106');
    expect(bytes4(42, '203.0.113.5, 203.0.113.6')).toBe('cb007105cb007106');
    expect(bytes4(2, '-3600')).toBe('fffff1f0');
    expect(bytes4(23, '64')).toBe('40');
    expect(bytes4(22, '576')).toBe('0240');
    expect(bytes4(19, 'yes')).toBe('01');
    expect(bytes4(19, 'off')).toBe('00');
    expect(bytes4(17, '/srv/root path')).toBe(Buffer.from('/srv/root path').toString('hex'));
    expect(bytes4(33, '10.0.0.0 203.0.113.1, 10.1.0.0 203.0.113.1')).toBe('0a000000cb0071010a010000cb007101');
    expect(bytes4(25, '68,296,576')).toBe('004401280240');
    // RFC 3397 §2 encoding, uncompressed.
    expect(bytes4(119, 'example.com,b.example')).toBe('076578616d706c6503636f6d000162076578616d706c6500');
  });

  it('takes hex: and text: for any code, known or not', () => {
    expect(bytes4(224, 'hex:0a0b0c')).toBe('0a0b0c');
    expect(bytes4(224, 'HEX:0a:0B:0c')).toBe('0a0b0c');
    expect(bytes4(224, 'text:hello world')).toBe(Buffer.from('hello world').toString('hex'));
    expect(bytes4(42, 'hex:cb007105')).toBe('cb007105');
    expect(bytes4(80, 'hex:')).toBe('');
  });

  it('refuses bad values with a message that says what is expected', () => {
    expect(error4(42, '203.0.113.256')).toMatch(/option 42 \(ntp-servers, ipv4-list\): "203.0.113.256" is not an IPv4 address; or write hex/);
    expect(error4(23, '256')).toMatch(/256 is outside 0..255/);
    expect(error4(224, '0a0b')).toMatch(/write hex:0a0b0c or text:/);
    expect(error4(224, 'hex:0a0')).toMatch(/odd number/);
    expect(error4(224, 'hex:zz')).toMatch(/only hex digits/);
    expect(error4(16, '203.0.113.1,203.0.113.2')).toMatch(/expected one value/);
    expect(error4(119, 'a..b')).toMatch(/not a domain name/);
  });

  it('refuses the codes onlinkd computes, naming what sets them', () => {
    expect(error4(3, '203.0.113.1')).toBe('option 3 (routers) is set by onlinkd: the router comes from GATEWAY (and PRIVATE)');
    expect(error4(3, 'hex:cb007101')).toMatch(/GATEWAY/);
    expect(error4(54, '203.0.113.1')).toMatch(/server_ip/);
    expect(error4(121, 'hex:00')).toMatch(/ROUTES/);
    for (const code of [0, 255, 256, -1, 1.5]) expect(error4(code, 'hex:00')).toMatch(/outside 1..254/);
    for (const code of [1, 3, 6, 12, 15, 26, 28, 50, 51, 52, 53, 54, 55, 57, 58, 59, 61, 66, 67, 82, 121, 249]) {
      expect(optionInfo(code)?.refused, String(code)).toBeDefined();
    }
    expect(optionInfo(119)?.refused).toBeUndefined();
  });

  it('formats octets as the canonical text, typed when they fit', () => {
    const b = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
    expect(formatOptionValue(42, b('cb007105cb007106'))).toBe('203.0.113.5,203.0.113.6');
    expect(formatOptionValue(42, b('cb0071'))).toBe('hex:cb0071');
    expect(formatOptionValue(2, b('fffff1f0'))).toBe('-3600');
    expect(formatOptionValue(19, b('01'))).toBe('yes');
    expect(formatOptionValue(224, Buffer.from('hello world'))).toBe('text:hello world');
    expect(formatOptionValue(224, b('000102'))).toBe('hex:000102');
    // Text that would read as another form, or has blanks at an end, is not shown plain.
    expect(formatOptionValue(17, Buffer.from('hex:00'))).toBe('text:hex:00');
    expect(formatOptionValue(17, Buffer.from(' x'))).toBe('hex:2078');
    // RFC 3397 compression pointers are read when shown.
    expect(formatOptionValue(119, b('076578616d706c6503636f6d000162c000'))).toBe('example.com,b.example.com');
  });

  it('round-trips every known type through its canonical text', () => {
    const samples: Array<[number, string]> = [
      [2, '-1'], [13, '65535'], [19, 'no'], [21, '203.0.113.0 255.255.255.0'], [42, '203.0.113.5'], [56, 'héllo wörld'],
      [119, 'a.example'], [211, '4294967295'], [224, 'text:x'], [224, 'hex:ff00'],
    ];
    for (const [code, text] of samples) {
      const first = parseOptionValue(code, text);
      expect(first.ok, `${code} ${text}`).toBe(true);
      if (!first.ok) continue;
      const shown = formatOptionValue(code, first.bytes);
      expect(shown).toBe(text);
      const again = parseOptionValue(code, shown);
      expect(again.ok && hex(again.bytes)).toBe(hex(first.bytes));
    }
  });

  it('lists known codes in order, each with a name', () => {
    const codes = DHCP4_CATALOG.known.map((i) => i.code);
    expect(codes).toEqual([...codes].sort((a, b) => a - b));
    expect(new Set(codes).size).toBe(codes.length);
  });
});

describe('DHCPv6 option catalogue', () => {
  it('types, refuses and formats', () => {
    const r = parseOption6Value(31, '2001:db8::1, 2001:db8::2');
    expect(r.ok && hex(r.bytes)).toBe('20010db800000000000000000000000120010db8000000000000000000000002');
    if (r.ok) expect(formatOption6Value(31, r.bytes)).toBe('2001:db8::1,2001:db8::2');
    const tz = parseOption6Value(42, 'Europe/Athens');
    expect(tz.ok && Buffer.from(tz.bytes).toString()).toBe('Europe/Athens');
    // The boot file URL is BOOTFILE6's (README "Network boot").
    expect(parseOption6Value(59, 'http://[2001:db8::1]/boot.ipxe')).toMatchObject({ ok: false, error: expect.stringMatching(/BOOTFILE6/) });
    const aftr = parseOption6Value(64, 'aftr.example');
    expect(aftr.ok && hex(aftr.bytes)).toBe('0461667472076578616d706c6500');
    expect(parseOption6Value(23, '2001:db8::53')).toEqual({ ok: false, error: 'option 23 (dns-servers) is set by onlinkd: name servers come from DNS6 or [ipv6] nameservers' });
    expect(parseOption6Value(0, 'hex:00').ok).toBe(false);
    expect(parseOption6Value(65536, 'hex:00').ok).toBe(false);
    expect(parseOption6Value(65535, 'hex:00').ok).toBe(true);
    expect(parseOption6Value(31, 'fe80::1%eth0').ok).toBe(false);
    // DHCPv6 names are never compressed (RFC 8415 §10): a pointer is not shown as a name.
    expect(formatOption6Value(24, Uint8Array.from(Buffer.from('076578616d706c6503636f6d000162c000', 'hex')))).toMatch(/^hex:/);
    for (const code of [1, 2, 3, 5, 6, 8, 13, 14, 20, 23, 25, 26, 32]) expect(DHCP6_CATALOG.optionInfo(code)?.refused, String(code)).toBeDefined();
  });
});

describe('names in the catalogues', () => {
  // Binding keys in `refused` are checked against the binding schema when compiled (bindingKey);
  // configuration keys (`[section] key`) are checked here against the configuration's table.
  it('names only configuration keys that exist', () => {
    const named = [...DHCP4_CATALOG.known, ...DHCP6_CATALOG.known]
      .flatMap((i) => [i.refused ?? '', i.overrides ?? ''])
      .flatMap((t) => [...t.matchAll(/\[([a-z0-9-]+)\] ([a-z0-9_]+)/g)].map((m) => `${m[1]}.${m[2]}`));
    expect(named.length).toBeGreaterThan(10);
    for (const k of named) expect(CONFIG_KEYS, k).toContain(k);
  });
});
