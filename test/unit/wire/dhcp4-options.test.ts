import { describe, expect, it } from 'vitest';
import {
  DHCP4_OPTIONS,
  OptionCollector,
  bytesOption,
  classlessRoutesOption,
  clientIdOption,
  decodeOptionArea,
  decodeOptionValue,
  dhcp4Option,
  dhcp4OptionName,
  domainSearchOption,
  encodeClasslessRoutes,
  encodeDomainSearch,
  encodeIpv4,
  encodeIpv4List,
  encodeOptionArea,
  encodeString,
  encodeU16,
  encodeU32,
  encodeU8,
  ipv4ListOption,
  ipv4Option,
  messageTypeOption,
  optionWireLength,
  parameterRequestListOption,
  scanOptionArea,
  stringOption,
  u16Option,
  u32Option,
  u8Option,
  writeOption,
} from '../../../src/wire/dhcp4-options.js';
import { EncodeError } from '../../../src/wire/result.js';
import { concat, everyTruncation, expectError, garbage, hex, toHex, value } from './helpers.js';

describe('option value codecs', () => {
  it('ipv4 / ipv4 list', () => {
    expect(value(ipv4Option.decode(hex`ff ff ff 00`))).toBe('255.255.255.0');
    expectError(ipv4Option.decode(hex`ff ff ff`), 'dhcp4-option', 'bad-length');
    expect(toHex(ipv4Option.encode('192.0.2.1'))).toBe('c0 00 02 01');
    expect(value(ipv4ListOption.decode(hex`c0 00 02 01 c0 00 02 02`))).toEqual(['192.0.2.1', '192.0.2.2']);
    expectError(ipv4ListOption.decode(new Uint8Array(0)), 'dhcp4-option', 'bad-length');
    expectError(ipv4ListOption.decode(hex`c0 00 02 01 c0`), 'dhcp4-option', 'bad-length');
    expect(toHex(ipv4ListOption.encode(['8.8.8.8', '1.1.1.1']))).toBe('08 08 08 08 01 01 01 01');
    expect(() => ipv4ListOption.encode([])).toThrow(EncodeError);
    expect(() => ipv4ListOption.encode(['1.1.1.256'])).toThrow(EncodeError);
  });

  it('u8 / u16 / u32', () => {
    expect(value(u8Option.decode(hex`05`))).toBe(5);
    expect(value(u16Option.decode(hex`05 dc`))).toBe(1500);
    expect(value(u32Option.decode(hex`ff ff ff ff`))).toBe(0xffffffff);
    expect(value(u32Option.decode(hex`00 01 51 80`))).toBe(86400);
    expectError(u16Option.decode(hex`05`), 'dhcp4-option', 'bad-length');
    expectError(u32Option.decode(hex`00 01 51 80 00`), 'dhcp4-option', 'bad-length');
    expect(toHex(u16Option.encode(576))).toBe('02 40');
    expect(toHex(u32Option.encode(0xffffffff))).toBe('ff ff ff ff');
    expect(() => u8Option.encode(256)).toThrow(EncodeError);
    expect(() => u16Option.encode(-1)).toThrow(EncodeError);
    expect(() => u32Option.encode(1.5)).toThrow(EncodeError);
  });

  it('string: trailing NULs dropped, octets kept one to one', () => {
    expect(value(stringOption.decode(hex`76 6d 31 30`))).toBe('vm10');
    expect(value(stringOption.decode(hex`76 6d 31 30 00 00`))).toBe('vm10');
    expect(value(stringOption.decode(hex`c3 a9`))).toBe('\u00c3\u00a9'); // octets, not UTF-8
    expectError(stringOption.decode(hex`00`), 'dhcp4-option', 'empty');
    expectError(stringOption.decode(new Uint8Array(0)), 'dhcp4-option', 'empty');
    expect(toHex(stringOption.encode('MSFT 5.0'))).toBe('4d 53 46 54 20 35 2e 30');
    expect(toHex(stringOption.encode('\u00c3\u00a9'))).toBe('c3 a9');
    expect(() => stringOption.encode('')).toThrow(EncodeError);
    expect(() => stringOption.encode('a\u0000')).toThrow(EncodeError);
    expect(value(stringOption.decode(stringOption.encode('a\u0000b')))).toBe('a\u0000b');
    expect(() => stringOption.encode('\u20ac')).toThrow(EncodeError);
  });

  it('client identifier: raw, at least 2 octets', () => {
    const id = hex`01 aa 00 00 00 00 10`;
    expect(value(clientIdOption.decode(id))).toEqual(id);
    expectError(clientIdOption.decode(hex`01`), 'dhcp4-option', 'bad-length');
    expect(() => clientIdOption.encode(hex`01`)).toThrow(EncodeError);
    const enc = clientIdOption.encode(id);
    expect(enc).toEqual(id);
    expect(enc.buffer).not.toBe(id.buffer);
  });

  it('parameter request list', () => {
    expect(value(parameterRequestListOption.decode(hex`01 03 06 0f 77 79 f9 fc`))).toEqual([1, 3, 6, 15, 119, 121, 249, 252]);
    expectError(parameterRequestListOption.decode(new Uint8Array(0)), 'dhcp4-option', 'bad-length');
    expect(toHex(parameterRequestListOption.encode([1, 3, 121]))).toBe('01 03 79');
    expect(() => parameterRequestListOption.encode([256])).toThrow(EncodeError);
  });

  it('message type', () => {
    expect(value(messageTypeOption.decode(hex`05`))).toBe(5);
    expect(value(messageTypeOption.decode(hex`0d`))).toBe(13); // leasequery types decode as numbers
    expectError(messageTypeOption.decode(hex`00`), 'dhcp4-option', 'bad-value');
    expectError(messageTypeOption.decode(hex`01 01`), 'dhcp4-option', 'bad-length');
    expect(() => messageTypeOption.encode(0)).toThrow(EncodeError);
  });

  it('domain search and classless routes delegate to their codecs', () => {
    expect(toHex(domainSearchOption.encode(['a.b']))).toBe('01 61 01 62 00');
    expect(value(domainSearchOption.decode(hex`01 61 01 62 00`))).toEqual(['a.b']);
    expectError(domainSearchOption.decode(hex`01 61 01`), 'dns-name', 'truncated');
    const r = [{ destination: '0.0.0.0', prefixLength: 0, router: '192.0.2.1' }];
    expect(value(classlessRoutesOption.decode(classlessRoutesOption.encode(r)))).toEqual(r);
  });

  it('bytes: anything, copied on encode', () => {
    expect(value(bytesOption.decode(new Uint8Array(0)))).toEqual(new Uint8Array(0));
    const b = hex`01 02`;
    expect(bytesOption.encode(b)).not.toBe(b);
  });

  it('shorthands used by the responder', () => {
    expect(toHex(encodeU8(5))).toBe('05');
    expect(toHex(encodeU16(1500))).toBe('05 dc');
    expect(toHex(encodeU32(3600))).toBe('00 00 0e 10');
    expect(toHex(encodeIpv4('203.0.113.1'))).toBe('cb 00 71 01');
    expect(toHex(encodeIpv4List(['203.0.113.1']))).toBe('cb 00 71 01');
    expect(toHex(encodeString('vm10'))).toBe('76 6d 31 30');
    expect(toHex(encodeDomainSearch(['a.b']))).toBe('01 61 01 62 00');
    expect(toHex(encodeClasslessRoutes([{ destination: '169.254.0.0', prefixLength: 16, router: '192.0.2.1' }]))).toBe('10 a9 fe c0 00 02 01');
  });

  it('registry: names and typed decoding', () => {
    expect(dhcp4OptionName(121)).toBe('classless-static-route');
    expect(dhcp4OptionName(249)).toBe('ms-classless-static-route');
    expect(dhcp4OptionName(200)).toBe('option-200');
    expect(DHCP4_OPTIONS.get(249)?.codec).toBe(DHCP4_OPTIONS.get(121)?.codec);
    expect(value(decodeOptionValue(3, hex`c0 00 02 01`))).toEqual(['192.0.2.1']);
    expect(value(decodeOptionValue(200, hex`01`))).toEqual(hex`01`);
    expect(dhcp4Option(3, ipv4ListOption, ['192.0.2.1'])).toEqual([3, hex`c0 00 02 01`]);
    expect(() => dhcp4Option(0, u8Option, 1)).toThrow(EncodeError);
    expect(() => dhcp4Option(255, u8Option, 1)).toThrow(EncodeError);
  });
});

describe('option areas', () => {
  it('skips Pad, stops at End, ignores what follows End', () => {
    const area = hex`
      00 00                # pad pad
      35 01 01             # 53 message type: DISCOVER
      00                   # pad
      0c 04 76 6d 31 30    # 12 host name "vm10"
      ff                   # end
      0c 01 78             # after End: ignored`;
    expect(value(decodeOptionArea(area))).toEqual([
      [53, hex`01`],
      [12, hex`76 6d 31 30`],
    ]);
  });

  it('tolerates a missing End at the end of the area, and zero-length options', () => {
    expect(value(decodeOptionArea(hex`50 00 35 01 03`))).toEqual([
      [80, new Uint8Array(0)], // rapid commit (RFC 4039)
      [53, hex`03`],
    ]);
  });

  it('refuses an option running past the area', () => {
    expectError(decodeOptionArea(hex`35 01 01 0c 05 76 6d`), 'dhcp4', 'truncated-option');
    expectError(decodeOptionArea(hex`35 01 01 0c`), 'dhcp4', 'truncated-option');
    const c = new OptionCollector();
    const err = scanOptionArea(hex`35 02 01 ff`, 0, 3, c, 'dhcp4', 'file');
    expect(err?.reason).toBe('truncated-option');
    expect(err?.detail).toMatch(/^file:/);
  });

  it('RFC 3396: joins repeated codes in order, first-seen position kept', () => {
    const area = hex`
      77 02 01 61          # 119 part 1
      35 01 05             # 53
      77 03 01 62 00       # 119 part 2
      77 00                # 119 part 3 (empty)
      ff`;
    expect(value(decodeOptionArea(area))).toEqual([
      [119, hex`01 61 01 62 00`],
      [53, hex`05`],
    ]);
  });

  it('keeps order and joins repeats past the small-table threshold (every code 1..254, then repeats)', () => {
    // Beyond 16 distinct codes the collector switches to an indexed lookup: repeats
    // of codes seen before and after the switch must still be joined in place.
    const parts: number[] = [];
    for (let code = 1; code <= 254; code++) parts.push(code, 1, code & 0xff);
    parts.push(3, 1, 0xaa, 200, 1, 0xbb, 0xff);
    const got = value(decodeOptionArea(Uint8Array.from(parts)));
    expect(got).toHaveLength(254);
    expect(got.map(([c]) => c)).toEqual(Array.from({ length: 254 }, (_, i) => i + 1));
    expect(got[2]).toEqual([3, Uint8Array.of(3, 0xaa)]);
    expect(got[199]).toEqual([200, Uint8Array.of(200, 0xbb)]);
    expect(got[4]).toEqual([5, Uint8Array.of(5)]);
  });

  it('RFC 3397 example: option 119 in three pieces, with a compression pointer', () => {
    const area = hex`
      77 09 03 65 6e 67 05 61 70 70 6c    # 119 len 9: 3 "eng" 5 "appl
      77 09 65 03 63 6f 6d 00 09 6d 61    # 119 len 9: e" 3 "com" 0 9 "ma
      77 09 72 6b 65 74 69 6e 67 c0 04    # 119 len 9: rketing" ptr 4
      ff`;
    const [[code, v]] = value(decodeOptionArea(area)) as [[number, Uint8Array]];
    expect(code).toBe(119);
    expect(value(domainSearchOption.decode(v))).toEqual(['eng.apple.com', 'marketing.apple.com']);
  });

  it('RFC 3396: a 300-octet option is split 255 + 45 on encode and joined on decode', () => {
    const big = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const area = encodeOptionArea([
      [53, hex`05`],
      [121, big],
    ]);
    expect(area.length).toBe(3 + 2 + 255 + 2 + 45 + 1);
    expect(optionWireLength(300)).toBe(304);
    expect(toHex(area.subarray(0, 5))).toBe('35 01 05 79 ff'); // 53; 121 len 255
    expect(toHex(area.subarray(260, 262))).toBe('79 2d'); // 121 len 45
    expect(area[area.length - 1]).toBe(0xff);
    expect(value(decodeOptionArea(area))).toEqual([
      [53, hex`05`],
      [121, big],
    ]);
  });

  it('split points: 255 is one TLV, 256 two, 510 two, 0 one empty TLV', () => {
    expect(optionWireLength(0)).toBe(2);
    expect(optionWireLength(255)).toBe(257);
    expect(optionWireLength(256)).toBe(260);
    expect(optionWireLength(510)).toBe(514);
    expect(optionWireLength(511)).toBe(517);
    const out = garbage(4);
    expect(writeOption(80, new Uint8Array(0), out, 1)).toBe(2);
    expect(toHex(out)).toBe('a5 50 00 a5');
  });

  it('encode refuses Pad/End/out-of-range codes', () => {
    expect(() => encodeOptionArea([[0, hex`01`]])).toThrow(EncodeError);
    expect(() => encodeOptionArea([[255, hex`01`]])).toThrow(EncodeError);
    expect(() => encodeOptionArea([[256, hex`01`]])).toThrow(EncodeError);
  });

  it('joins thousands of repeats in linear time', () => {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < 20000; i++) parts.push(hex`2b 01 07`);
    const area = concat(...parts);
    const t = Date.now();
    const [[, v]] = value(decodeOptionArea(area)) as [[number, Uint8Array]];
    expect(v.length).toBe(20000);
    expect(Date.now() - t).toBeLessThan(1000);
  });

  it('never throws on any truncation', () => {
    everyTruncation(hex`35 01 01 3d 07 01 aa 00 00 00 00 10 32 04 cb 00 71 0a ff`, decodeOptionArea);
  });
});
