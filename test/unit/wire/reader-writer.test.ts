import { describe, expect, it } from 'vitest';
import { Reader, cString, latin1, u16, u32, u8 } from '../../../src/wire/reader.js';
import { colonHexLength, ipv4Value, putColonHex, putIpv4, putMac, putU16, putU32 } from '../../../src/wire/writer.js';
import { EncodeError } from '../../../src/wire/result.js';
import { parseIpv4 } from '../../../src/wire/addr.js';
import { garbage, hex, toHex } from './helpers.js';
import fc from 'fast-check';

describe('reader', () => {
  it('reads big-endian; out of range reads as 0', () => {
    const b = hex`01 02 03 04 ff`;
    expect(u8(b, 4)).toBe(255);
    expect(u16(b, 0)).toBe(0x0102);
    expect(u32(b, 1)).toBe(0x020304ff);
    expect(u32(hex`ff ff ff ff`, 0)).toBe(0xffffffff);
    expect(u16(b, 4)).toBe(0xff00);
    expect(u32(b, 10)).toBe(0);
  });

  it('latin1 / cString', () => {
    expect(latin1(hex`61 ff 00 62`, 0, 4)).toBe('a\u00ff\u0000b');
    expect(cString(hex`61 62 00 63`, 0, 4)).toBe('ab');
    expect(cString(hex`61 62`, 0, 10)).toBe('ab');
  });

  it('Reader: sticky overrun', () => {
    const r = new Reader(hex`01 02 03 04 05`, 1, 4);
    expect(r.remaining).toBe(3);
    expect(r.u16()).toBe(0x0203);
    expect(r.has(1)).toBe(true);
    expect(r.has(2)).toBe(false);
    expect(r.u16()).toBe(0);
    expect(r.overrun).toBe(true);
    expect(r.remaining).toBe(0);
    expect(r.u8()).toBe(0);
    expect(r.bytesView(1).length).toBe(0);
    const s = new Reader(hex`01 02 03 04 05`);
    expect(s.u32()).toBe(0x01020304);
    s.skip(1);
    expect(s.overrun).toBe(false);
    expect(toHex(new Reader(hex`0a 0b 0c`).bytesView(2))).toBe('0a 0b');
  });
});

describe('writer', () => {
  it('ipv4Value agrees with addr.parseIpv4 on trimmed text', () => {
    for (const t of ['0.0.0.0', '255.255.255.255', '192.0.2.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '256.1.1.1', '1..2.3', '', 'a.b.c.d', '1.2.3.4 ', '1000.1.1.1']) {
      const p = parseIpv4(t);
      const v = ipv4Value(t);
      if (t !== t.trim()) expect(v).toBe(-1);
      else expect(v).toBe(p ? ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0 : -1);
    }
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        expect(ipv4Value(ip) >= 0).toBe(parseIpv4(ip) !== undefined);
      }),
    );
  });

  it('puts numbers, addresses and colon hex', () => {
    const b = garbage(12);
    putU16(b, 0, 0xabcd);
    putU32(b, 2, 0xdeadbeef);
    putIpv4(b, 6, '192.0.2.1', 't');
    expect(toHex(b)).toBe('ab cd de ad be ef c0 00 02 01 a5 a5');
    expect(colonHexLength('')).toBe(0);
    expect(colonHexLength('aa')).toBe(1);
    expect(colonHexLength('aa:BB:0c')).toBe(3);
    expect(colonHexLength('aa:bb:')).toBe(-1);
    expect(colonHexLength('aa-bb')).toBe(-1);
    expect(colonHexLength('a:bb')).toBe(-1);
    expect(colonHexLength('aa:bg')).toBe(-1);
    const m = garbage(7);
    putMac(m, 1, 'AA:00:00:00:00:10', 't');
    expect(toHex(m)).toBe('a5 aa 00 00 00 00 10');
    expect(putColonHex(m, 0, 'zz')).toBe(0);
    expect(() => putMac(m, 0, 'aa:00:00:00:00', 't')).toThrow(EncodeError);
    expect(() => putIpv4(m, 0, '1.2.3.x', 't')).toThrow(EncodeError);
  });
});
