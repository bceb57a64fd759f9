/**
 * Fuzzing ARP (wire/arp.ts), the ARP responder (protocols/arp.ts) and the
 * announcement builders (protocols/announce.ts) with fast-check, in the
 * manner of wire.fuzz.test.ts: random bytes and mutations of valid frames
 * go into the decoders, which must return a value or a DecodeError, and a
 * value must re-encode to the same thing. Whatever decodes is handed to
 * the responder, whose answers must keep the rules whatever the input.
 *
 * Short by default; FUZZ_RUNS=200000 npx vitest run test/fuzz for a long
 * run, FUZZ_SEED=<n> to replay one.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RUNS, fuzzInput, fuzzParams, fuzzTimeout, outcome } from './harness.js';
import { garpFrame, unaFrame } from '../../src/protocols/announce.js';
import { arpReplyFrame, respondArp, type ArpSettings } from '../../src/protocols/arp.js';
import type { Binding } from '../../src/bindings/binding.js';
import { formatIpv4, formatMac, formatMac48, ipv4ToNumber, numberToIpv4, parseMac48 } from '../../src/wire/addr.js';
import { ARP_LENGTH, buildArpFrame, decodeArp, decodeArpFrame, encodeArp } from '../../src/wire/arp.js';
import { decodeNdpFrame } from '../../src/wire/frame6.js';
import { formatIpv6Address, parseIpv6Address } from '../../src/wire/ipv6-address.js';
import { testBinding } from '../helpers/binding.js';

const params = fuzzParams();
const TIMEOUT = fuzzTimeout(20);

const VM_MAC = 'aa:00:00:00:00:10';
const SERVER_MAC = 'fe:00:00:00:00:10';
/** The INDEV MAC as the packet path hands it to the responder. */
const SERVER_MAC48 = parseMac48(SERVER_MAC)!;

const BINDING: Binding = testBinding({ mac: VM_MAC, hostname: undefined });
const SETTINGS: ArpSettings = { responder: true, addresses: ['169.254.0.0/16'] };

// ---------------------------------------------------------------------------
// Seeds: a request for the gateway, one for metadata, a probe, a GARP, a reply, a tagged request.

const seedFrame = (over: Partial<Parameters<typeof buildArpFrame>[0]>) =>
  buildArpFrame({
    srcMac: VM_MAC,
    dstMac: 'ff:ff:ff:ff:ff:ff',
    op: 1,
    senderMac: VM_MAC,
    senderIp: '203.0.113.10',
    targetMac: '00:00:00:00:00:00',
    targetIp: '203.0.113.1',
    ...over,
  });

const FRAME_SEEDS = [
  seedFrame({}),
  seedFrame({ targetIp: '169.254.169.254' }),
  seedFrame({ senderIp: '0.0.0.0' }),
  seedFrame({ targetIp: '203.0.113.10' }),
  seedFrame({ op: 2, dstMac: SERVER_MAC, targetMac: SERVER_MAC }),
  seedFrame({ vlan: 5 }),
];

// ---------------------------------------------------------------------------
// Mutations (as in wire.fuzz.test.ts).

const INTERESTING = [0x00, 0x01, 0x02, 0x04, 0x06, 0x08, 0x7f, 0x80, 0xa9, 0xfe, 0xff];
const input = (seeds: Uint8Array[], maxLength = 100) => fuzzInput(seeds, maxLength, INTERESTING);

const macArb = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => formatMac(b));
const ipv4Arb = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => formatIpv4(b));
const ipv6Arb = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => formatIpv6Address(b));

// ---------------------------------------------------------------------------

describe('arp fuzz', () => {
  it('packets: decode never throws; what decodes re-encodes to its first 28 octets', () => {
    fc.assert(
      fc.property(input(FRAME_SEEDS.map((f) => f.subarray(14))), (b) => {
        const p = outcome(() => decodeArp(b));
        if (p) expect(encodeArp(p)).toEqual(b.subarray(0, ARP_LENGTH));
      }),
      params,
    );
  }, TIMEOUT);

  it('frames: decode never throws; decode → build → decode is stable', () => {
    fc.assert(
      fc.property(input(FRAME_SEEDS), (b) => {
        const f = outcome(() => decodeArpFrame(b));
        if (f) expect(outcome(() => decodeArpFrame(buildArpFrame(f)))).toEqual(f);
      }),
      params,
    );
  }, TIMEOUT);

  it('responder: never throws; a reply is a well-formed unicast answer for the gateway or a link-local address', () => {
    let replies = 0;
    fc.assert(
      fc.property(input(FRAME_SEEDS), fc.boolean(), (b, macspoof) => {
        const f = outcome(() => decodeArpFrame(b));
        if (!f) return;
        const binding = { ...BINDING, macspoof };
        const d = respondArp(f, f, binding, SETTINGS, SERVER_MAC48);
        if (d.kind === 'drop') {
          expect(d.reason.length).toBeGreaterThan(0);
          return;
        }
        expect(f.op).toBe(1);
        expect(numberToIpv4(f.senderIp)).not.toBe('0.0.0.0');
        expect(f.senderIp).not.toBe(f.targetIp);
        expect(numberToIpv4(f.targetIp)).not.toBe(binding.ip);
        expect(f.senderMac).toBe(f.srcMac);
        if (!macspoof) expect(formatMac48(f.srcMac)).toBe(VM_MAC);
        if (d.target === 'gateway') expect(numberToIpv4(f.targetIp)).toBe(binding.gateway);
        else expect(numberToIpv4(f.targetIp).startsWith('169.254.')).toBe(true);
        replies++;
        const built = arpReplyFrame(d.reply, SERVER_MAC);
        if (!built.ok) throw new Error(built.error);
        const r = outcome(() => decodeArpFrame(built.frame));
        expect(r).toEqual({ op: 2, srcMac: SERVER_MAC48, dstMac: f.srcMac, senderMac: SERVER_MAC48, senderIp: f.targetIp, targetMac: f.senderMac, targetIp: f.senderIp });
      }),
      params,
    );
    // The mutations must leave some requests answerable, or the property above proves nothing.
    if (RUNS >= 100) expect(replies).toBeGreaterThan(0);
  }, TIMEOUT);

  it('announcements: any address and MAC give a frame that decodes to what was asked', () => {
    fc.assert(
      fc.property(ipv4Arb, ipv6Arb, macArb, fc.constantFrom('request' as const, 'reply' as const), fc.constantFrom('link-local' as const, 'target' as const), (ip, ip6, mac, form, source) => {
        const g = garpFrame(ip, mac, form);
        if (!g.ok) throw new Error(g.error);
        expect(g.frame.length).toBe(60);
        const [ipValue, macValue] = [ipv4ToNumber(ip), parseMac48(mac)];
        expect(outcome(() => decodeArpFrame(g.frame))).toMatchObject({ op: form === 'reply' ? 2 : 1, senderIp: ipValue, targetIp: ipValue, senderMac: macValue, srcMac: macValue });
        const u = unaFrame(ip6, mac, { source });
        if (!u.ok) throw new Error(u.error);
        const n = outcome(() => decodeNdpFrame(u.frame));
        expect(n?.message).toMatchObject({ type: 136, router: false, solicited: false, override: true, target: parseIpv6Address(ip6) });
        expect(n?.frame.hopLimit).toBe(255);
      }),
      params,
    );
  }, TIMEOUT);
});
