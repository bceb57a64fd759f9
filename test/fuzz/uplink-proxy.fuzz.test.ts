/**
 * Fuzzing the uplink proxy (protocols/uplink-proxy.ts and its runtime,
 * runtime/uplink-proxy.ts) with fast-check: random bytes and mutations of
 * what real routers send (test/fixtures/linux-router-*.pcap,
 * arping-request.pcap) go through the decoders and the responders, which
 * must never throw, and must answer only for an address in the index, for
 * the tap the index names, with the uplink's MAC, to the requester. Then
 * the same frames through the runtime with a fake socket: no throw, each
 * frame counted once, every frame sent is such an answer.
 *
 * Short by default; FUZZ_RUNS=200000 npx vitest run test/fuzz/uplink-proxy.fuzz.test.ts
 * for a long run, FUZZ_SEED=<n> to replay one.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RUNS, fuzzInput, fuzzParams, fuzzTimeout, outcome } from './harness.js';
import { arpReplyFrame } from '../../src/protocols/arp.js';
import { ndpReplyFrame } from '../../src/protocols/ndp-frame.js';
import { ipv6Key, respondUplinkArp, respondUplinkNs, type ProxiedAddresses } from '../../src/protocols/uplink-proxy.js';
import { defaultSettings } from '../../src/config/config.js';
import { UplinkProxy, type UplinkSocket } from '../../src/runtime/uplink-proxy.js';
import { Stats } from '../../src/runtime/stats.js';
import { ipv4ToNumber, parseMac48 } from '../../src/wire/addr.js';
import { decodeArpFrame } from '../../src/wire/arp.js';
import { decodeNdpFrame } from '../../src/wire/frame6.js';
import { isIpv6Multicast, parseIpv6Address } from '../../src/wire/ipv6-address.js';
import type { NeighborAdvertisement } from '../../src/wire/ndp.js';
import { testBinding } from '../helpers/binding.js';
import { FakeLinks } from '../helpers/path-rig.js';
import { fixtureFrame } from '../helpers/pcap.js';

const params = fuzzParams();
const TIMEOUT = fuzzTimeout(20);

const UPLINK_MAC = 'fe:00:00:00:00:40';
const UPLINK = { value: parseMac48(UPLINK_MAC)!, text: UPLINK_MAC };
const VM4 = '203.0.113.40';
const VM6 = '2001:db8:40:0:a800:ff:fe00:40';
const VM6_OTHER = '2001:db8:40::41';

const PROXIED: ProxiedAddresses = {
  v4: new Map([[ipv4ToNumber(VM4)!, 'tap40'], [ipv4ToNumber('203.0.113.41')!, 'tap41']]),
  v6: new Map([[ipv6Key(parseIpv6Address(VM6)!), 'tap40'], [ipv6Key(parseIpv6Address(VM6_OTHER)!), 'tap41']]),
};

const SEEDS = ['linux-router-arp-request', 'linux-router-arp-probe', 'arping-request', 'linux-router-ns', 'linux-router-ns-unicast'].map((n) => fixtureFrame(n));
const INTERESTING = [0x00, 0x01, 0x02, 0x06, 0x08, 0x28, 0x3a, 0x40, 0x41, 0x86, 0x87, 0x88, 0xdd, 0xe0, 0xfe, 0xff];
const input = fuzzInput(SEEDS, 120, INTERESTING);

/** What a reply must be, whatever the request: for an indexed address, its tap, from the uplink, to the requester. */
function checkArp(b: Uint8Array): 'reply' | 'drop' | 'undecoded' {
  const f = outcome(() => decodeArpFrame(b));
  if (!f) return 'undecoded';
  const d = respondUplinkArp(f, PROXIED, UPLINK);
  if (d.kind === 'drop') {
    expect(d.reason.length).toBeGreaterThan(0);
    return 'drop';
  }
  expect(d.tap).toBe(PROXIED.v4.get(f.targetIp));
  expect(f.op).toBe(1);
  expect(f.senderIp).not.toBe(0);
  expect(f.senderIp).not.toBe(f.targetIp);
  const built = arpReplyFrame(d.reply, UPLINK.value);
  if (!built.ok) throw new Error(built.error);
  expect(outcome(() => decodeArpFrame(built.frame))).toEqual({
    op: 2, srcMac: UPLINK.value, dstMac: f.senderMac, senderMac: UPLINK.value, senderIp: f.targetIp, targetMac: f.senderMac, targetIp: f.senderIp,
  });
  return 'reply';
}

function checkNs(b: Uint8Array, verifyChecksum: boolean): 'reply' | 'drop' | 'undecoded' {
  const n = outcome(() => decodeNdpFrame(b, { verifyChecksum }));
  if (!n || n.message.type !== 135) return 'undecoded';
  const { frame, message: ns } = n;
  const d = respondUplinkNs(ns, frame, PROXIED, UPLINK);
  if (d.kind === 'drop') {
    expect(d.reason.length).toBeGreaterThan(0);
    return 'drop';
  }
  expect(d.tap).toBe(PROXIED.v6.get(ipv6Key(ns.target)));
  expect(frame.hopLimit).toBe(255);
  expect(isIpv6Multicast(frame.src)).toBe(false);
  // Copies: the reply's addresses are views into the request.
  const [target, src, srcMac] = [ns.target.slice(), frame.src.slice(), frame.srcMac];
  const built = ndpReplyFrame(d.reply, UPLINK.text);
  if (!built.ok) throw new Error(built.error);
  const back = outcome(() => decodeNdpFrame(built.frame));
  expect(back?.frame).toMatchObject({ srcMac: UPLINK.value, dstMac: srcMac, src: target, dst: src, hopLimit: 255 });
  expect(back?.message).toEqual({ type: 136, code: 0, router: false, solicited: true, override: false, target, options: [{ kind: 'target-link-layer', mac: UPLINK_MAC }] } satisfies NeighborAdvertisement);
  return 'reply';
}

describe('uplink proxy fuzz', () => {
  it('responders: never throw; a reply is only for an indexed address, for its tap, to the requester', () => {
    const seen = { reply: 0, drop: 0, undecoded: 0 };
    fc.assert(
      fc.property(input, fc.boolean(), (b, verify) => {
        seen[checkArp(b)]++;
        seen[checkNs(b, verify)]++;
      }),
      params,
    );
    // The mutations must leave some frames answerable and some refused, or the property above proves nothing.
    if (RUNS >= 100) {
      expect(seen.reply).toBeGreaterThan(0);
      expect(seen.drop).toBeGreaterThan(0);
    }
  }, TIMEOUT);

  it('runtime: a frame never throws, is counted once, and whatever is sent answers an indexed address', () => {
    const links = new FakeLinks();
    links.add({ ifindex: 2, name: 'uplink0', mac: UPLINK_MAC, up: true, running: true });
    const bindings = [
      testBinding({ tap: 'tap40', indev: 'tap40', ip: VM4, eui64: VM6 }),
      testBinding({ tap: 'tap41', indev: 'tap41', ip: '203.0.113.41', eui64: VM6_OTHER }),
    ];
    const sent: Uint8Array[] = [];
    let deliver!: (f: { data: Uint8Array; vlanTci?: number }) => void;
    const socket: UplinkSocket = {
      onFrame: (cb) => void (deliver = cb),
      sendBound: (f) => (sent.push(f.slice()), { ok: true, bytes: f.length }),
      close: () => {},
    };
    const stats = new Stats();
    const queue: Array<() => void> = [];
    const quiet = () => {};
    const proxy = new UplinkProxy({
      bindings: () => bindings,
      tap: (name) => {
        const binding = bindings.find((b) => b.tap === name);
        return binding && { binding, link: { ifindex: 40, name, mac: 'fe:00:00:00:00:99', up: true, running: true } };
      },
      links,
      settings: () => ({ routing: { ...defaultSettings().routing, manage: true }, announce: { ...defaultSettings().announce, uplink: 'uplink0', uplink6: 'uplink0' } }),
      open: () => socket,
      stats,
      log: { info: quiet, warn: quiet, error: quiet, debug: quiet } as never,
      defer: (fn) => void queue.push(fn),
    });
    proxy.changed();
    queue.shift()!();
    expect(proxy.answering()).toEqual({ uplink0: { v4: 2, v6: 2, listening: true } });
    let frames = 0;
    let answered = 0;
    fc.assert(
      fc.property(input, fc.option(fc.nat(0xffff), { freq: 8 }), (b, vlanTci) => {
        sent.length = 0;
        deliver(vlanTci === null ? { data: b } : { data: b, vlanTci });
        frames++;
        const c = stats.tap('uplink0')!;
        const counted = [...Object.values(c.drops), ...Object.values(c.replies)].reduce((x, y) => x + y, 0);
        expect(counted).toBe(frames);
        expect(sent.length).toBeLessThanOrEqual(1);
        if (sent.length === 0) return;
        expect(vlanTci).toBe(null);
        answered++;
        const arp = decodeArpFrame(sent[0]!);
        if (arp.ok) {
          expect(PROXIED.v4.has(arp.value.senderIp)).toBe(true);
          expect(arp.value).toMatchObject({ op: 2, srcMac: UPLINK.value, senderMac: UPLINK.value });
        } else {
          const na = outcome(() => decodeNdpFrame(sent[0]!))!.message as NeighborAdvertisement;
          expect(PROXIED.v6.has(ipv6Key(na.target))).toBe(true);
          expect(na).toMatchObject({ type: 136, solicited: true, override: false, router: false });
        }
      }),
      params,
    );
    proxy.close();
    if (RUNS >= 100) expect(answered).toBeGreaterThan(0);
  }, TIMEOUT);
});
