/**
 * The uplink proxy's runtime on frames (src/runtime/uplink-proxy.ts), with
 * the fakes of uplink-proxy-rig.ts: what it answers is
 * protocols/uplink-proxy.ts's (its own test); here: answered through
 * sendBound and counted under the uplink's name (`proxy-arp`/`proxy-na`,
 * drops `uplink-<reason>`), VLAN-tagged frames ignored, no frame ever throws.
 */
import { describe, expect, it } from 'vitest';
import { buildArpFrame, decodeArpFrame } from '../../../src/wire/arp.js';
import { decodeNdpFrame } from '../../../src/wire/frame6.js';
import { fixtureFrame } from '../../helpers/pcap.js';
import { decodedAddresses, value } from '../wire/helpers.js';
import { ROUTER_MAC, UPLINK_MAC, VM4, VM6, rig, vm40 } from './uplink-proxy-rig.js';

describe('uplink proxy: frames', () => {
  const bound = () => {
    const r = rig();
    r.bind(vm40());
    r.flush();
    return { r, s: r.open() };
  };

  it('answers the kernel\'s ARP request through sendBound and counts proxy-arp under the uplink', () => {
    const { r, s } = bound();
    s.deliver(fixtureFrame('linux-router-arp-request'));
    expect(s.sent).toHaveLength(1);
    expect(value(decodeArpFrame(s.sent[0]!))).toEqual(decodedAddresses({
      op: 2, srcMac: UPLINK_MAC, dstMac: ROUTER_MAC, senderMac: UPLINK_MAC, senderIp: VM4, targetMac: ROUTER_MAC, targetIp: '203.0.113.1',
    }));
    expect(r.counters().replies).toEqual({ 'proxy-arp': 1 });
    expect(r.counters().drops).toEqual({});
  });

  it('answers the kernel\'s NS (group and unicast probe) with an NA and counts proxy-na', () => {
    const { r, s } = bound();
    s.deliver(fixtureFrame('linux-router-ns'));
    s.deliver(fixtureFrame('linux-router-ns-unicast'));
    expect(s.sent).toHaveLength(2);
    for (const f of s.sent) {
      const d = value(decodeNdpFrame(f));
      expect(d.frame).toMatchObject(decodedAddresses({ srcMac: UPLINK_MAC, dstMac: ROUTER_MAC, src: VM6, hopLimit: 255 }));
      expect(d.message).toMatchObject(decodedAddresses({ type: 136, router: false, solicited: true, override: false, target: VM6 }));
    }
    expect(r.counters().replies).toEqual({ 'proxy-na': 2 });
  });

  it('a VM unbound here is not answered from the next turn on (migration)', () => {
    const { r, s } = bound();
    r.bind(vm40({ tap: 'tap41', ip: '203.0.113.41', eui64: undefined })); // keeps the socket open
    r.unbind('tap40');
    s.deliver(fixtureFrame('linux-router-arp-request')); // still this turn: the index is the old one
    r.flush();
    s.deliver(fixtureFrame('linux-router-arp-request'));
    s.deliver(fixtureFrame('linux-router-ns'));
    expect(s.sent).toHaveLength(1);
    expect(r.counters().drops).toEqual({ 'uplink-not-bound': 2 });
  });

  it('an exception while answering is a counted drop, logged once a minute, never thrown into the receive loop', () => {
    const { r, s } = bound();
    s.sendBound = () => {
      throw new Error('boom');
    };
    for (let i = 0; i < 3; i++) expect(() => s.deliver(fixtureFrame('linux-router-arp-request'))).not.toThrow();
    expect(r.counters().drops).toEqual({ 'uplink-internal-error': 3 });
    expect(r.logs.filter((l) => l.level === 'error' && /internal error/.test(l.msg))).toHaveLength(1);
  });

  it('counts each drop under uplink-<reason>', () => {
    const { r, s } = bound();
    const arp = (over: Partial<Parameters<typeof buildArpFrame>[0]>) =>
      buildArpFrame({ srcMac: ROUTER_MAC, dstMac: 'ff:ff:ff:ff:ff:ff', op: 1, senderMac: ROUTER_MAC, senderIp: '203.0.113.1', targetMac: '00:00:00:00:00:00', targetIp: VM4, ...over });
    s.deliver(arp({ targetIp: '203.0.113.99' }));
    s.deliver(arp({ op: 2 }));
    s.deliver(arp({ senderIp: '0.0.0.0' }));
    s.deliver(fixtureFrame('linux-router-arp-request').subarray(0, 30)); // truncated ARP
    s.deliver(fixtureFrame('rdisc6-rs')); // ICMPv6, not an NS (the filter would have kept it out)
    s.deliver(fixtureFrame('dhclient-discover')); // IPv4
    const ns = fixtureFrame('linux-router-ns').slice();
    ns[14 + 7] = 64; // hop limit (not covered by the ICMPv6 checksum)
    s.deliver(ns);
    const corrupt = fixtureFrame('linux-router-ns').slice();
    corrupt[corrupt.length - 1]! ^= 1; // checksum no longer matches
    s.deliver(corrupt);
    expect(s.sent).toHaveLength(0);
    expect(r.counters().drops).toEqual({
      'uplink-not-bound': 1,
      'uplink-not-request': 1,
      'uplink-probe': 1,
      'uplink-malformed-arp': 1,
      'uplink-not-ns': 1,
      'uplink-other-ethertype': 1,
      'uplink-bad-hop-limit': 1,
      'uplink-malformed-ns': 1,
    });
    expect(r.counters().replies).toEqual({});
  });

  it('a send that fails is counted, not a reply', () => {
    const { r, s } = bound();
    s.sendResult = { ok: false, error: 'ENOBUFS' };
    s.deliver(fixtureFrame('linux-router-arp-request'));
    expect(r.counters()).toMatchObject({ replies: {}, drops: { 'uplink-send-failed': 1 } });
  });

  it('ignores VLAN-tagged frames (another VLAN\'s: the uplink is its untagged device)', () => {
    const { r, s } = bound();
    s.deliver(fixtureFrame('linux-router-arp-request'), 5);
    s.deliver(fixtureFrame('linux-router-ns'), 0x2005);
    expect(s.sent).toHaveLength(0);
    expect(r.counters().drops).toEqual({ 'uplink-vlan-tagged': 2 });
  });

  it('a frame from a socket closed since (read before its close) is ignored', () => {
    const { r, s } = bound();
    r.unbind('tap40');
    r.flush();
    expect(s.closed).toBe(true);
    s.deliver(fixtureFrame('linux-router-arp-request'));
    expect(s.sent).toHaveLength(0);
    expect(r.stats.tap('uplink0')).toBeUndefined();
  });

  it('never throws on garbage frames; each one is counted once', () => {
    const { r, s } = bound();
    const frames: Uint8Array[] = [new Uint8Array(0), new Uint8Array(1), new Uint8Array(13), new Uint8Array(14)];
    let seed = 1;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let n = 0; n < 500; n++) {
      const f = Uint8Array.from({ length: rnd() % 120 }, rnd);
      if (f.length >= 14 && n % 3 === 0) [f[12], f[13]] = [0x08, 0x06];
      if (f.length >= 14 && n % 3 === 1) [f[12], f[13]] = [0x86, 0xdd];
      frames.push(f);
    }
    for (const f of frames) expect(() => s.deliver(f)).not.toThrow();
    const c = r.counters();
    const counted = [...Object.values(c.drops), ...Object.values(c.replies)].reduce((a, b) => a + b, 0);
    expect(counted).toBe(frames.length);
  });
});
