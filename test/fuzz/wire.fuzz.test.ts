/**
 * Fuzzing the wire decoders with fast-check: random bytes, and mutations of
 * valid messages, go into every decoder. Only two outcomes are allowed: a
 * DecodeError result, or a value — and a value must re-encode to something
 * that decodes to the same value (decode → encode → decode is stable).
 *
 * The default run is short (a few seconds in total). For a long run:
 *     FUZZ_RUNS=200000 npx vitest run test/fuzz
 * FUZZ_SEED=<n> replays a run (fast-check prints the seed and the shrunk
 * counterexample of any failure; keep such an input as a named regression
 * case in the unit tests).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fuzzInput, fuzzParams, fuzzTimeout, outcome } from './harness.js';
import { decodeClasslessRoutes, encodeClasslessRoutes } from '../../src/wire/classless-routes.js';
import { DHCP4_OPTIONS, bytesOption, decodeOptionArea, encodeOptionArea } from '../../src/wire/dhcp4-options.js';
import {
  clientId,
  decodeDhcp4,
  encodeDhcp4,
  hostname,
  leaseTime,
  maxMessageSize,
  messageType,
  parameterRequestList,
  requestedIp,
  serverId,
  summarizeDhcp4,
  vendorClass,
} from '../../src/wire/dhcp4.js';
import type { Dhcp4MessageSpec } from '../../src/wire/dhcp4-types.js';
import { decodeDnsName, decodeDnsNames, encodeDnsNames } from '../../src/wire/dns-name.js';
import { decodeEthernet, encodeEthernet } from '../../src/wire/ethernet.js';
import { buildUdpFrame, decodeUdpFrame } from '../../src/wire/frame.js';
import { decodeIpv4, encodeIpv4 } from '../../src/wire/ipv4.js';
import { decodeUdp, encodeUdp } from '../../src/wire/udp.js';
import type { Decoded } from '../../src/wire/result.js';

const params = fuzzParams();
const TIMEOUT = fuzzTimeout(20);

// ---------------------------------------------------------------------------
// Seeds: valid messages built with the encoders.

const hex = (s: string) => Uint8Array.from((s.replace(/\s+/g, '').match(/../g) ?? []).map((h) => parseInt(h, 16)));

const DISCOVER: Dhcp4MessageSpec = {
  op: 1,
  htype: 1,
  hlen: 6,
  hops: 0,
  xid: 0x3903f326,
  secs: 3,
  flags: 0x8000,
  ciaddr: '0.0.0.0',
  yiaddr: '0.0.0.0',
  siaddr: '0.0.0.0',
  giaddr: '0.0.0.0',
  chaddr: 'aa:00:00:00:00:10',
  sname: '',
  file: '',
  options: [
    [53, hex('01')],
    [61, hex('01aa0000000010')],
    [50, hex('cb00710a')],
    [57, hex('05dc')],
    [12, hex('766d3130')],
    [60, hex('4d53465420352e30')],
    [55, hex('0103060f7779f9fc')],
  ],
};

const ACK: Dhcp4MessageSpec = {
  ...DISCOVER,
  op: 2,
  yiaddr: '203.0.113.10',
  options: [
    [53, hex('05')],
    [54, hex('cb007101')],
    [51, hex('00015180')],
    [1, hex('ffffff00')],
    [121, hex('10a9fecb00710100cb007101')],
    [3, hex('cb007101')],
    [119, hex('03656e67056170706c6503636f6d00096d61726b6574696e67c004')],
    [249, new Uint8Array(300).fill(0x18)], // split per RFC 3396 and overloaded at 576
  ],
};

function must(r: Decoded<Uint8Array>): Uint8Array {
  if (!r.ok) throw new Error(r.error.toString());
  return r.value;
}

const DHCP_SEEDS = [must(encodeDhcp4(DISCOVER)), must(encodeDhcp4(ACK)), must(encodeDhcp4(ACK, { maxLength: 1500 }))];
const FRAME_SEEDS = DHCP_SEEDS.map((payload, i) =>
  buildUdpFrame({
    srcMac: 'aa:00:00:00:00:10',
    dstMac: 'ff:ff:ff:ff:ff:ff',
    srcIp: '0.0.0.0',
    dstIp: '255.255.255.255',
    srcPort: 68,
    dstPort: 67,
    payload,
    ...(i === 1 ? { vlan: 100 } : {}),
  }),
);
const ROUTE_SEED = encodeClasslessRoutes([
  { destination: '169.254.0.0', prefixLength: 16, router: '203.0.113.1' },
  { destination: '0.0.0.0', prefixLength: 0, router: '203.0.113.1' },
  { destination: '169.254.169.254', prefixLength: 32, router: '0.0.0.0' },
  { destination: '10.128.0.0', prefixLength: 9, router: '10.0.0.1' },
]);
const NAME_SEED = hex('03656e67056170706c6503636f6d00096d61726b6574696e67c004');

// ---------------------------------------------------------------------------
// Inputs: random bytes, and mutations of seeds.

const INTERESTING = [0x00, 0x01, 0x02, 0x03, 0x06, 0x10, 0x20, 0x21, 0x34, 0x35, 0x3f, 0x40, 0x7f, 0x80, 0xc0, 0xfe, 0xff];
const input = (seeds: Uint8Array[], maxLength = 700) => fuzzInput(seeds, maxLength, INTERESTING);

// ---------------------------------------------------------------------------

describe('wire fuzz', () => {
  it('ethernet: decode never throws; what decodes re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(input(FRAME_SEEDS), (b) => {
        const f = outcome(() => decodeEthernet(b));
        if (f) expect(encodeEthernet(f)).toEqual(b);
      }),
      params,
    );
  }, TIMEOUT);

  it('ipv4: decode never throws; decode → encode → decode is stable', () => {
    fc.assert(
      fc.property(input(FRAME_SEEDS.map((f) => f.subarray(14))), (b) => {
        const p = outcome(() => decodeIpv4(b));
        if (!p) return;
        const again = outcome(() => decodeIpv4(encodeIpv4(p, p.payload)));
        // The raw header may differ in the checksum field only: ones' complement has two
        // zeros, and a received 0xffff is as valid as the 0x0000 the encoder writes.
        const { header: h1, ...v1 } = p;
        const { header: h2, ...v2 } = again!;
        expect(v2).toEqual(v1);
        expect([...h2.subarray(0, 10), ...h2.subarray(12)]).toEqual([...h1.subarray(0, 10), ...h1.subarray(12)]);
      }),
      params,
    );
  }, TIMEOUT);

  it('udp: decode never throws (random IP header too); decode → encode → decode is stable', () => {
    const ipHeader = hex('45000000000000004011000000000000ffffffff');
    fc.assert(
      fc.property(input(FRAME_SEEDS.map((f) => f.subarray(34))), fc.oneof(fc.constant(ipHeader), fc.uint8Array({ maxLength: 48 })), fc.boolean(), (b, h, verify) => {
        const d = outcome(() => decodeUdp(b, { header: h }, { verifyChecksum: verify }));
        if (!d) return;
        const re = encodeUdp(d, { src: '0.0.0.0', dst: '255.255.255.255' });
        expect(outcome(() => decodeUdp(re, { header: ipHeader }))).toEqual(d);
      }),
      params,
    );
  }, TIMEOUT);

  it('udp frames: decode never throws; decode → build → decode is stable', () => {
    fc.assert(
      fc.property(input(FRAME_SEEDS, 400), fc.boolean(), (b, verify) => {
        const f = outcome(() => decodeUdpFrame(b, { verifyChecksum: verify }));
        if (f) expect(outcome(() => decodeUdpFrame(buildUdpFrame(f)))).toEqual(f);
      }),
      params,
    );
  }, TIMEOUT);

  it('dns names: decode never throws (at any offset); decode → encode → decode is stable', () => {
    fc.assert(
      fc.property(input([NAME_SEED, encodeDnsNames(['a.b', 'example.com', '.'])], 300), fc.nat(300), (b, off) => {
        outcome(() => decodeDnsName(b, off));
        const names = outcome(() => decodeDnsNames(b));
        if (names) expect(outcome(() => decodeDnsNames(encodeDnsNames(names)))).toEqual(names);
      }),
      params,
    );
  }, TIMEOUT);

  it('classless routes: decode never throws; what decodes re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(input([ROUTE_SEED], 100), (b) => {
        const routes = outcome(() => decodeClasslessRoutes(b));
        if (routes) expect(encodeClasslessRoutes(routes)).toEqual(b);
      }),
      params,
    );
  }, TIMEOUT);

  it('option areas and typed option values: never throw; what decodes re-encodes', () => {
    const areas = DHCP_SEEDS.map((m) => m.subarray(240));
    const codecs = [...DHCP4_OPTIONS.values()].map((i) => i.codec).concat([bytesOption]);
    fc.assert(
      fc.property(input(areas, 400), (b) => {
        const opts = outcome(() => decodeOptionArea(b));
        if (opts) expect(outcome(() => decodeOptionArea(encodeOptionArea(opts)))).toEqual(opts);
        for (const codec of codecs) {
          const v = outcome(() => codec.decode(b.subarray(0, 64)));
          if (v !== undefined) expect(outcome(() => codec.decode(codec.encode(v)))).toEqual(v);
        }
      }),
      params,
    );
  }, TIMEOUT);

  it('dhcp4: decode never throws, accessors never throw; decode → encode → decode is stable', () => {
    fc.assert(
      fc.property(input(DHCP_SEEDS, 700), (b) => {
        const m = outcome(() => decodeDhcp4(b));
        if (!m) return;
        for (const get of [messageType, requestedIp, serverId, parameterRequestList, maxMessageSize, clientId, vendorClass, hostname, leaseTime]) get(m);
        expect(typeof summarizeDhcp4(m)).toBe('string');
        const re = encodeDhcp4(m, { maxLength: 0xffff });
        expect(re.ok).toBe(true);
        if (re.ok) expect(outcome(() => decodeDhcp4(re.value))).toEqual(m);
        // At the default limit: the same message, or an explicit too-big.
        const small = encodeDhcp4(m);
        if (small.ok) {
          expect(small.value.length).toBeLessThanOrEqual(548);
          expect(outcome(() => decodeDhcp4(small.value))).toEqual(m);
        } else {
          expect(small.error.reason).toBe('too-big');
        }
      }),
      params,
    );
  }, TIMEOUT);
});
