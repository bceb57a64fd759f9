/**
 * Fuzzing the IPv6-side decoders (IPv6, ICMPv6, ND, DHCPv6, DUIDs, address
 * text) and the IPv6 responders with fast-check, in the style of
 * wire.fuzz.test.ts: random bytes and mutations of valid frames go in; the
 * only allowed outcomes are a DecodeError or a value, a value must survive
 * decode → encode → decode, and a responder given any decoded request
 * either drops it or produces a reply that encodes.
 *
 * The default run is short. For a long run:
 *     FUZZ_RUNS=200000 npx vitest run test/fuzz/ipv6.fuzz.test.ts
 * FUZZ_SEED=<n> replays a run.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RUNS, fuzzInput, fuzzParams, fuzzTimeout, outcome } from './harness.js';
import { dhcp6ReplyFrame } from '../../src/protocols/dhcp6-frame.js';
import { makeServerDuid, respondInformationRequest } from '../../src/protocols/dhcp6.js';
import { respondNeighborSolicitation } from '../../src/protocols/neighbor.js';
import { ndpReplyFrame } from '../../src/protocols/ndp-frame.js';
import { respondRouterSolicitation } from '../../src/protocols/router-advert.js';
import { decodeUncompressedDnsNames, encodeDnsNames } from '../../src/wire/dns-name.js';
import {
  clientIdentifier,
  decodeDhcp6,
  elapsedTime,
  encodeDhcp6,
  hasIdentityAssociation,
  informationRefreshTime,
  optionRequestList,
  serverIdentifier,
  summarizeDhcp6,
} from '../../src/wire/dhcp6.js';
import {
  dnsServersOption,
  domainListOption,
  duidOption,
  elapsedTimeOption,
  informationRefreshTimeOption,
  optionRequestOption,
  statusCodeOption,
  type OptionCodec,
} from '../../src/wire/dhcp6-options.js';
import { decodeDuid, encodeDuid, formatDuid } from '../../src/wire/duid.js';
import { buildNdpFrame, decodeDhcp6Frame, decodeIpv6Frame, decodeNdpFrame } from '../../src/wire/frame6.js';
import { decodeIcmpv6 } from '../../src/wire/icmpv6.js';
import { decodeIpv6, encodeIpv6 } from '../../src/wire/ipv6.js';
import { formatIpv6Address, parseIpv6Address } from '../../src/wire/ipv6-address.js';
import { decodeNdp, encodeNdp, type NdpMessage } from '../../src/wire/ndp.js';
import { binding6, ipv6Settings } from '../unit/protocols/ipv6-helpers.js';
import { IR_FRAME, NA_FRAME, NS_FRAME, RA_FRAME, REPLY_FRAME, RS_FRAME } from '../unit/wire/ipv6-golden.js';
import { ip6 } from '../unit/wire/helpers.js';

const params = fuzzParams();
const TIMEOUT = fuzzTimeout(20);

const hex = (s: string) => Uint8Array.from((s.replace(/\s+/g, '').match(/../g) ?? []).map((h) => parseInt(h, 16)));

// ---------------------------------------------------------------------------
// Seeds

const MLD_WITH_HBH = hex(
  '333300000016aa000000001086dd6000000000100001fe80000000000000a80000fffe000010ff020000000000000000000000000016' +
    '3a000502000001008f00cc1200000000',
);
const ND_FRAMES = [RS_FRAME, RA_FRAME, NS_FRAME, NA_FRAME, MLD_WITH_HBH];
const UDP_FRAMES = [IR_FRAME, REPLY_FRAME];
const FRAMES = [...ND_FRAMES, ...UDP_FRAMES];
const ICMP = ND_FRAMES.slice(0, 4).map((f) => f.subarray(54));
const DHCP6 = UDP_FRAMES.map((f) => f.subarray(62));
const DUIDS = [hex('0001000100000000aa0000000010'), hex('00020000000901'), hex('00030001020000000001'), hex('000400112233445566778899aabbccddeeff')];

const INTERESTING = [0x00, 0x01, 0x02, 0x03, 0x04, 0x08, 0x0b, 0x11, 0x19, 0x1f, 0x2c, 0x3a, 0x3b, 0x3c, 0x2b, 0x40, 0x7f, 0x80, 0xc0, 0xfe, 0xff];
const input = (seeds: Uint8Array[], maxLength = 300) => fuzzInput(seeds, maxLength, INTERESTING);

const addresses = fc.constantFrom('fe80::a800:ff:fe00:10', '::', 'ff02::1', '2001:db8:10::1', '2001:db8:10::99', 'fe80::fc00:ff:fe00:1', 'ff02::1:ff00:1', '2001:db8:10:0:a800:ff:fe00:10');

// ---------------------------------------------------------------------------

describe('ipv6 fuzz', () => {
  it('ipv6: decode never throws; decode → encode → decode is stable', () => {
    fc.assert(
      fc.property(input(FRAMES.map((f) => f.subarray(14))), (b) => {
        const p = outcome(() => decodeIpv6(b));
        if (!p) return;
        expect(outcome(() => decodeIpv6(encodeIpv6(p, p.payload)))).toEqual(p);
      }),
      params,
    );
  }, TIMEOUT);

  it('icmpv6 + ndp: never throw; decode → encode → decode is stable', () => {
    fc.assert(
      fc.property(input(ICMP, 200), fc.uint8Array({ minLength: 0, maxLength: 48 }), fc.boolean(), (b, header, verify) => {
        outcome(() => decodeIcmpv6(b, { header }, { verifyChecksum: verify }));
        const icmp = outcome(() => decodeIcmpv6(b, { header }, { verifyChecksum: false }));
        if (!icmp) return;
        const m = outcome(() => decodeNdp(icmp));
        if (!m) return;
        const re = encodeNdp(m);
        const again = outcome(() => decodeIcmpv6(re, { header }, { verifyChecksum: false }));
        expect(again && outcome(() => decodeNdp(again))).toEqual(m);
      }),
      params,
    );
  }, TIMEOUT);

  it('nd frames: never throw; what decodes rebuilds to the same message; responders never throw and their replies encode', () => {
    const serverMac = 'fe:00:00:00:00:01';
    fc.assert(
      fc.property(input(ND_FRAMES), fc.boolean(), addresses, fc.boolean(), (b, verify, src, proxy) => {
        outcome(() => decodeIpv6Frame(b));
        const d = outcome(() => decodeNdpFrame(b, { verifyChecksum: verify }));
        if (!d) return;
        const { frame, message } = d;
        const rebuilt = buildNdpFrame(
          { srcMac: frame.srcMac, dstMac: frame.dstMac, src: frame.src, dst: frame.dst, hopLimit: frame.hopLimit, trafficClass: frame.trafficClass, flowLabel: frame.flowLabel, ...(frame.vlan === undefined ? {} : { vlan: frame.vlan }) },
          message,
        );
        expect(outcome(() => decodeNdpFrame(rebuilt))?.message).toEqual(message);
        const settings = ipv6Settings({ proxySubnet: proxy });
        for (const meta of [frame, { ...frame, src: ip6(src), hopLimit: 255 }]) {
          const m = message as NdpMessage;
          const decision =
            m.type === 133
              ? respondRouterSolicitation(m, meta, binding6(), settings, serverMac)
              : m.type === 135
                ? respondNeighborSolicitation(m, meta, binding6(), settings, serverMac)
                : undefined;
          if (decision?.kind === 'reply') {
            const f = ndpReplyFrame(decision.reply, serverMac);
            expect(f.ok).toBe(true);
            if (f.ok) expect(decodeNdpFrame(f.frame).ok).toBe(true);
          } else if (decision) {
            expect(decision.reason.length).toBeGreaterThan(0);
          }
        }
      }),
      params,
    );
  }, TIMEOUT);

  it('dhcp6: never throws; accessors never throw; what decodes re-encodes to the same bytes; the responder’s replies encode', () => {
    const serverDuid = makeServerDuid('02:00:00:00:00:01');
    fc.assert(
      fc.property(input(DHCP6, 200), addresses, (b, src) => {
        const m = outcome(() => decodeDhcp6(b));
        if (!m) return;
        for (const get of [clientIdentifier, serverIdentifier, hasIdentityAssociation, optionRequestList, elapsedTime, informationRefreshTime]) get(m);
        expect(typeof summarizeDhcp6(m)).toBe('string');
        expect(encodeDhcp6(m)).toEqual(b);
        const decision = respondInformationRequest(
          m,
          { srcMac: 0xaa0000000010, src: ip6(src), dst: ip6('ff02::1:2'), hopLimit: 1, srcPort: 546 }, // aa:00:00:00:00:10 and addresses as decoded
          binding6(),
          ipv6Settings(),
          serverDuid,
          'fe:00:00:00:00:01',
        );
        if (decision.kind === 'reply') {
          const f = dhcp6ReplyFrame(decision.reply, 'fe:00:00:00:00:01');
          expect(f.ok).toBe(true);
          if (f.ok) expect(outcome(() => decodeDhcp6Frame(f.frame))?.message).toEqual(decision.reply.message);
        }
      }),
      params,
    );
  }, TIMEOUT);

  it('dhcp6 frames: never throw (checksum on and off)', () => {
    fc.assert(
      fc.property(input(UDP_FRAMES), fc.boolean(), (b, verify) => {
        outcome(() => decodeDhcp6Frame(b, { verifyChecksum: verify }));
      }),
      params,
    );
  }, TIMEOUT);

  it('duids and dhcp6 option values: never throw; decode → encode → decode is stable', () => {
    const codecs = [
      duidOption,
      optionRequestOption,
      elapsedTimeOption,
      informationRefreshTimeOption,
      statusCodeOption,
      dnsServersOption,
      domainListOption,
    ] as unknown as Array<OptionCodec<unknown>>;
    fc.assert(
      fc.property(input([...DUIDS, encodeDnsNames(['example.test', 'a.b']), hex('20010db8000000000000000000000053')], 140), (b) => {
        const d = outcome(() => decodeDuid(b));
        if (d) expect(encodeDuid(d)).toEqual(b);
        expect(typeof formatDuid(b)).toBe('string');
        for (const codec of codecs) {
          const v = outcome(() => codec.decode(b));
          if (v !== undefined) expect(outcome(() => codec.decode(codec.encode(v)))).toEqual(v);
        }
        for (const padded of [false, true]) {
          const names = outcome(() => decodeUncompressedDnsNames(b, padded));
          if (names && names.length > 0) expect(outcome(() => decodeUncompressedDnsNames(encodeDnsNames(names), padded))).toEqual(names);
        }
      }),
      params,
    );
  }, TIMEOUT);

  it('address text: parsing never throws; parse → format → parse is stable', () => {
    const chars = fc.constantFrom(...'0123456789abcdefABCDEF:.:%/ g'.split(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: chars, maxLength: 46 }), addresses), (text) => {
        const b = parseIpv6Address(text);
        if (!b) return;
        const canonical = formatIpv6Address(b);
        expect(parseIpv6Address(canonical)).toEqual(b);
        expect(formatIpv6Address(parseIpv6Address(canonical)!)).toBe(canonical);
      }),
      { ...params, numRuns: RUNS * 4 },
    );
  }, TIMEOUT);
});
