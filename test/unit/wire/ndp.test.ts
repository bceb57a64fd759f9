import { describe, expect, it } from 'vitest';
import { buildNdpFrame, decodeNdpFrame } from '../../../src/wire/frame6.js';
import { decodeIcmpv6 } from '../../../src/wire/icmpv6.js';
import {
  NDP_INFINITE_LIFETIME,
  NdpOptionType,
  decodeNdp,
  decodeNdpOptions,
  encodeNdp,
  encodeNdpInto,
  encodeNdpOption,
  hasNdpOption,
  ndpMessageLength,
  ndpOptionLength,
  sourceLinkLayerAddress,
  targetLinkLayerAddress,
  type NdpMessage,
  type NdpMessageSpec,
  type NdpOption,
  type RouterAdvertisement,
} from '../../../src/wire/ndp.js';
import { EncodeError } from '../../../src/wire/result.js';
import { concat, everyTruncation, expectError, garbage, hex, value } from './helpers.js';
import { decodedAddresses } from './helpers.js';
import { formatIpv6Address } from '../../../src/wire/ipv6-address.js';
import { NA_FRAME, NS_FRAME, RA_FRAME, ROUTER_LL, RS_FRAME, SERVER_MAC, VM_LL, VM_MAC } from './ipv6-golden.js';

/** ICMPv6 bytes → ND message, checksum not checked (these tests are about the ND layer). */
const nd = (icmp: Uint8Array) => {
  const m = decodeIcmpv6(icmp, { header: new Uint8Array(0) }, { verifyChecksum: false });
  return m.ok ? decodeNdp(m.value) : m;
};
const icmpOf = (frame: Uint8Array) => frame.subarray(54);

const GOLDEN_RA: RouterAdvertisement = {
  type: 134,
  code: 0,
  curHopLimit: 64,
  managed: false,
  other: true,
  homeAgent: false,
  preference: 'medium',
  routerLifetime: 900,
  reachableTime: 0,
  retransTimer: 0,
  options: [
    { kind: 'source-link-layer', mac: SERVER_MAC },
    { kind: 'mtu', mtu: 1500 },
    {
      kind: 'prefix',
      prefixLength: 64,
      onLink: true,
      autonomous: true,
      routerAddress: false,
      validLifetime: 86400,
      preferredLifetime: 14400,
      prefix: '2001:db8:10::',
    },
    { kind: 'rdnss', lifetime: 900, servers: ['2001:db8::53'] },
    { kind: 'dnssl', lifetime: 900, domains: ['example.test'] },
  ],
};

describe('ndp decode (scapy golden frames)', () => {
  it('RS with a source link-layer address option', () => {
    const d = value(decodeNdpFrame(RS_FRAME));
    expect(d.frame).toMatchObject(decodedAddresses({ srcMac: VM_MAC, dstMac: '33:33:00:00:00:02', src: VM_LL, dst: 'ff02::2', hopLimit: 255 }));
    expect(d.message).toEqual({ type: 133, code: 0, options: [{ kind: 'source-link-layer', mac: VM_MAC }] });
    expect(sourceLinkLayerAddress(d.message)).toBe(VM_MAC);
    expect(hasNdpOption(d.message, NdpOptionType.SourceLinkLayerAddress)).toBe(true);
  });

  it('RA with SLLAO, MTU, PIO, RDNSS and DNSSL', () => {
    const d = value(decodeNdpFrame(RA_FRAME));
    expect(d.frame).toMatchObject(decodedAddresses({ src: ROUTER_LL, dst: VM_LL, hopLimit: 255 }));
    expect(d.message).toEqual(GOLDEN_RA);
  });

  it('NS for the gateway, to its solicited-node group', () => {
    const d = value(decodeNdpFrame(NS_FRAME));
    expect(d.frame).toMatchObject(decodedAddresses({ dstMac: '33:33:ff:00:00:01', dst: 'ff02::1:ff00:1' }));
    expect(d.message).toEqual(decodedAddresses({ type: 135, code: 0, target: '2001:db8:10::1', options: [{ kind: 'source-link-layer', mac: VM_MAC }] }));
  });

  it('NA with R, S, O and a target link-layer address option', () => {
    const d = value(decodeNdpFrame(NA_FRAME));
    expect(formatIpv6Address(d.frame.src)).toBe('2001:db8:10::1');
    expect(d.message).toEqual(decodedAddresses({
      type: 136,
      code: 0,
      router: true,
      solicited: true,
      override: true,
      target: '2001:db8:10::1',
      options: [{ kind: 'target-link-layer', mac: SERVER_MAC }],
    }));
    expect(targetLinkLayerAddress(d.message)).toBe(SERVER_MAC);
  });

  it('decodeNdpFrame says which layer refused', () => {
    expectError(decodeNdpFrame(RS_FRAME.subarray(0, 13)), 'ethernet', 'truncated');
    const v4 = RS_FRAME.slice();
    v4[13] = 0x00; // ethertype 0x8600
    expectError(decodeNdpFrame(v4), 'ethernet', 'not-ipv6');
    const udp = RS_FRAME.slice();
    udp[20] = 17;
    expectError(decodeNdpFrame(udp), 'ipv6', 'not-icmpv6');
    const bad = RS_FRAME.slice();
    bad[56] = 0;
    expectError(decodeNdpFrame(bad), 'icmpv6', 'bad-checksum');
    expect(decodeNdpFrame(bad, { verifyChecksum: false }).ok).toBe(true);
    const echo = concat(hex`80 00 00 00`, new Uint8Array(4));
    expectError(nd(echo), 'ndp', 'not-ndp');
  });

  it('reads every RA flag and all four preference values (RFC 4191 §2.2)', () => {
    const icmp = icmpOf(RA_FRAME).slice();
    const cases: Array<[number, Partial<RouterAdvertisement>]> = [
      [0x00, { managed: false, other: false, homeAgent: false, preference: 'medium' }],
      [0x80, { managed: true }],
      [0x40, { other: true }],
      [0x20, { homeAgent: true }],
      [0x08, { preference: 'high' }],
      [0x18, { preference: 'low' }],
      [0x10, { preference: 'reserved' }],
      [0x07, { managed: false, other: false, homeAgent: false, preference: 'medium' }], // P (RFC 4389) and reserved bits ignored
    ];
    for (const [flags, want] of cases) {
      icmp[5] = flags;
      const m = value(nd(icmp)) as RouterAdvertisement;
      expect(m).toMatchObject(want);
      // Re-encoding reproduces the flags that have a meaning.
      expect(encodeNdp(m)[5]).toBe(flags & 0xf8);
    }
  });
});

describe('ndp encode', () => {
  it('builds frames byte-identical to scapy (checksums included)', () => {
    expect(buildNdpFrame({ srcMac: SERVER_MAC, dstMac: VM_MAC, src: ROUTER_LL, dst: VM_LL, hopLimit: 255 }, GOLDEN_RA)).toEqual(RA_FRAME);
    for (const f of [RS_FRAME, NS_FRAME, NA_FRAME]) {
      const d = value(decodeNdpFrame(f));
      expect(buildNdpFrame({ srcMac: d.frame.srcMac, dstMac: d.frame.dstMac, src: d.frame.src, dst: d.frame.dst, hopLimit: 255 }, d.message)).toEqual(f);
    }
  });

  it('writes every octet (into garbage), reserved fields zero', () => {
    for (const m of [GOLDEN_RA, value(decodeNdpFrame(NS_FRAME)).message, value(decodeNdpFrame(NA_FRAME)).message, value(decodeNdpFrame(RS_FRAME)).message]) {
      const out = garbage(ndpMessageLength(m) + 4);
      expect(encodeNdpInto(m, out, 2)).toBe(ndpMessageLength(m));
      expect(out.subarray(2, 2 + ndpMessageLength(m))).toEqual(encodeNdp(m));
      expect(out[0]).toBe(0xa5);
      expect(out[out.length - 1]).toBe(0xa5);
    }
  });

  it('pads DNSSL to 8 octets and sizes RDNSS as 1 + 2N (RFC 8106)', () => {
    const dnssl = (domains: string[]): NdpOption => ({ kind: 'dnssl', lifetime: NDP_INFINITE_LIFETIME, domains });
    expect(ndpOptionLength(dnssl(['a']))).toBe(16); // 8 + 3 → 16
    expect(ndpOptionLength(dnssl(['abcdef']))).toBe(16); // 8 + 8 → exactly 16, no padding
    expect(ndpOptionLength(dnssl(['abcdefg']))).toBe(24); // 8 + 9 → 24
    const out = garbage(24);
    encodeNdpOption(dnssl(['abcdefg']), out, 0);
    expect(out).toEqual(hex`1f 03 00 00 ff ff ff ff  07 61 62 63 64 65 66 67 00  00 00 00 00 00 00 00`);
    const rdnss: NdpOption = { kind: 'rdnss', lifetime: 600, servers: ['2001:db8::53', '2001:db8::54'] };
    expect(ndpOptionLength(rdnss)).toBe(40);
    const r = new Uint8Array(40);
    encodeNdpOption(rdnss, r, 0);
    expect(r.subarray(0, 8)).toEqual(hex`19 05 00 00 00 00 02 58`);
  });

  it('throws EncodeError on values that cannot be encoded', () => {
    const base = value(decodeNdpFrame(NA_FRAME)).message;
    expect(() => encodeNdp({ ...base, target: 'nope' } as NdpMessageSpec)).toThrow(/bad-address/);
    expect(() => encodeNdp({ ...base, options: [{ kind: 'target-link-layer', mac: 'aa:bb' }] } as NdpMessage)).toThrow(/bad-mac/);
    expect(() => encodeNdp({ ...GOLDEN_RA, routerLifetime: 0x10000 })).toThrow(EncodeError);
    expect(() => encodeNdp({ ...GOLDEN_RA, curHopLimit: 256 })).toThrow(EncodeError);
    expect(() => encodeNdp({ ...GOLDEN_RA, code: -1 })).toThrow(EncodeError);
    expect(() => ndpOptionLength({ kind: 'rdnss', lifetime: 1, servers: [] })).toThrow(/empty/);
    expect(() => ndpOptionLength({ kind: 'dnssl', lifetime: 1, domains: [] })).toThrow(/empty/);
    expect(() => ndpOptionLength({ kind: 'dnssl', lifetime: 1, domains: ['bad name'] })).toThrow(EncodeError);
    expect(() => ndpOptionLength({ kind: 'raw', type: 14, data: new Uint8Array(5) })).toThrow(/bad-option/);
    expect(() => ndpOptionLength({ kind: 'rdnss', lifetime: 1, servers: new Array<string>(128).fill('::1') })).toThrow(/too-big/);
    expect(() => encodeNdpOption({ kind: 'raw', type: 256, data: new Uint8Array(6) }, new Uint8Array(8), 0)).toThrow(EncodeError);
    expect(() =>
      encodeNdpOption(
        { kind: 'prefix', prefixLength: 129, onLink: true, autonomous: true, routerAddress: false, validLifetime: 1, preferredLifetime: 1, prefix: '::' },
        new Uint8Array(32),
        0,
      ),
    ).toThrow(EncodeError);
    expect(() => encodeNdpOption({ kind: 'mtu', mtu: 1500 }, new Uint8Array(7), 0)).toThrow(/buffer-too-small/);
  });
});

describe('ndp options', () => {
  it('fails the message on an option of length 0 (RFC 4861 §4.6) or one past the end', () => {
    const rs = icmpOf(RS_FRAME);
    const zero = rs.slice();
    zero[9] = 0;
    expectError(nd(zero), 'ndp', 'zero-length-option');
    const long = rs.slice();
    long[9] = 2;
    expectError(nd(long), 'ndp', 'truncated-option');
    expectError(nd(concat(rs, hex`01`)), 'ndp', 'truncated-option');
    expectError(decodeNdpOptions(hex`0e`), 'ndp', 'truncated-option');
    expect(value(decodeNdpOptions(new Uint8Array(0)))).toEqual([]);
  });

  it('keeps unknown options raw, in order, and re-encodes them unchanged', () => {
    const nonce = hex`0e 01 01 02 03 04 05 06`;
    const flags = hex`1a 02 80 00 00 00 00 00 00 00 00 00 00 00 00 00`; // RFC 5175 RA flags extension, not interpreted
    const opts = value(decodeNdpOptions(concat(nonce, flags)));
    expect(opts).toEqual([
      { kind: 'raw', type: 14, data: nonce.subarray(2) },
      { kind: 'raw', type: 26, data: flags.subarray(2) },
    ]);
    const out = new Uint8Array(24);
    encodeNdpOption(opts[0]!, out, 0);
    encodeNdpOption(opts[1]!, out, 8);
    expect(out).toEqual(concat(nonce, flags));
  });

  it.each([
    ['SLLAO of 16 octets (not Ethernet)', hex`01 02 aa 00 00 00 00 10 00 00 00 00 00 00 00 00`, /link-layer address of 14 octets/],
    ['PIO of 24 octets', concat(hex`03 03 40 c0`, new Uint8Array(20)), /prefix information of 24 octets/],
    ['PIO with prefix length 129', concat(hex`03 04 81 c0`, new Uint8Array(28)), /prefix length 129/],
    ['MTU of 16 octets', concat(hex`05 02`, new Uint8Array(14)), /MTU option of 16 octets/],
    ['RDNSS without an address', hex`19 01 00 00 00 00 02 58`, /RDNSS of 8 octets/],
    ['RDNSS of even length', concat(hex`19 02 00 00 00 00 02 58`, new Uint8Array(8)), /RDNSS of 16 octets/],
    ['DNSSL of 8 octets', hex`1f 01 00 00 00 00 02 58`, /DNSSL of 8 octets/],
    ['DNSSL with no name', concat(hex`1f 02 00 00 00 00 02 58`, new Uint8Array(8)), /without a domain/],
    ['DNSSL with a compression pointer', hex`1f 02 00 00 00 00 02 58 01 61 c0 00 00 00 00 00`, /compressed/],
    ['DNSSL with junk after the padding', hex`1f 02 00 00 00 00 02 58 01 61 00 00 07 00 00 00`, /bad-padding/],
    ['DNSSL with a name running past the option', hex`1f 02 00 00 00 00 02 58 09 61 62 63 64 65 66 67`, /truncated/],
  ])('keeps a malformed %s as raw with a note, without failing the message', (_name, opt, note) => {
    const [o] = value(decodeNdpOptions(opt));
    expect(o).toMatchObject({ kind: 'raw', type: opt[0], data: opt.subarray(2) });
    expect(o?.kind === 'raw' && o.malformed).toMatch(note);
    const out = new Uint8Array(opt.length);
    encodeNdpOption(o!, out, 0);
    expect(out).toEqual(opt);
    // The message carrying it still decodes, and presence checks still see the option's type.
    const rs = value(nd(concat(hex`85 00 00 00 00 00 00 00`, opt)));
    expect(hasNdpOption(rs, opt[0]!)).toBe(true);
    if (opt[0] === 1) expect(sourceLinkLayerAddress(rs)).toBeUndefined();
  });

  it('decodes PIO R flag, infinite lifetimes and multiple DNSSL names', () => {
    const opts = value(
      decodeNdpOptions(
        concat(
          hex`03 04 40 a0 ff ff ff ff ff ff ff ff 00 00 00 00  20 01 0d b8 00 10 00 00 00 00 00 00 00 00 00 01`,
          hex`1f 03 00 00 00 00 02 58 01 61 01 62 00 01 63 00 00 00 00 00 00 00 00 00`,
        ),
      ),
    );
    expect(opts).toEqual([
      {
        kind: 'prefix',
        prefixLength: 64,
        onLink: true,
        autonomous: false,
        routerAddress: true,
        validLifetime: NDP_INFINITE_LIFETIME,
        preferredLifetime: NDP_INFINITE_LIFETIME,
        prefix: '2001:db8:10::1',
      },
      { kind: 'dnssl', lifetime: 600, domains: ['a.b', 'c'] },
    ]);
  });
});

describe('ndp truncation', () => {
  it('every truncation of every golden message is a value or a typed ndp error', () => {
    const seen = new Set<string>();
    for (const f of [RS_FRAME, RA_FRAME, NS_FRAME, NA_FRAME]) {
      for (const r of everyTruncation(icmpOf(f), (b) => nd(b))) seen.add(r);
    }
    expect(seen).toEqual(new Set(['icmpv6/truncated', 'ndp/truncated', 'ndp/truncated-option']));
  });

  it('refuses a body shorter than the type’s fixed part', () => {
    expectError(nd(icmpOf(NS_FRAME).subarray(0, 23)), 'ndp', 'truncated');
    expectError(nd(icmpOf(RA_FRAME).subarray(0, 15)), 'ndp', 'truncated');
    expect(value(nd(icmpOf(NS_FRAME).subarray(0, 24)))).toMatchObject({ type: 135, options: [] });
  });
});
