/**
 * The uplink proxy's runtime (src/runtime/uplink-proxy.ts) with fakes: the
 * links (FakeLinks), the taps (a map of bound taps), the sockets (open()
 * records them; a test delivers frames and reads what was sent) and the
 * deferral (a queue the test flushes, standing for setImmediate). What it
 * answers is protocols/uplink-proxy.ts's (its own test); here: when a
 * socket is opened and closed, one rebuild per turn, frames answered and
 * counted under the uplink's name, and no frame ever throws.
 */
import { describe, expect, it } from 'vitest';
import type { Binding } from '../../../src/bindings/binding.js';
import { defaultSettings } from '../../../src/config/config.js';
import type { Settings } from '../../../src/config/settings.js';
import type { SendResult } from '../../../src/io/packet-socket.js';
import { UplinkProxy, type UplinkSocket } from '../../../src/runtime/uplink-proxy.js';
import { Stats } from '../../../src/runtime/stats.js';
import type { LinkInfo, Tap } from '../../../src/runtime/tap-table.js';
import { buildArpFrame, decodeArpFrame } from '../../../src/wire/arp.js';
import { decodeNdpFrame } from '../../../src/wire/frame6.js';
import { testBinding } from '../../helpers/binding.js';
import { FakeLinks } from '../../helpers/path-rig.js';
import { fixtureFrame } from '../../helpers/pcap.js';
import { decodedAddresses, value } from '../wire/helpers.js';

const UPLINK_MAC = 'fe:00:00:00:00:40';
const ROUTER_MAC = 'aa:00:00:00:00:10';
const VM4 = '203.0.113.40';
const VM6 = '2001:db8:40:0:a800:ff:fe00:40';

const uplinkLink = (ifindex = 2, name = 'uplink0', mac = UPLINK_MAC): LinkInfo => ({ ifindex, name, mac, up: true, running: true });

class FakeSocket implements UplinkSocket {
  readonly sent: Uint8Array[] = [];
  closed = false;
  sendResult: SendResult = { ok: true, bytes: 60 };
  #handler: ((f: { data: Uint8Array; vlanTci?: number }) => void) | undefined;
  constructor(readonly ifindex: number) {}
  onFrame(cb: (f: { data: Uint8Array; vlanTci?: number }) => void): void {
    this.#handler = cb;
  }
  sendBound(frame: Uint8Array): SendResult {
    this.sent.push(frame.slice());
    return this.sendResult;
  }
  close(): void {
    this.closed = true;
  }
  /** A frame read from the uplink. */
  deliver(data: Uint8Array, vlanTci?: number): void {
    this.#handler!(vlanTci === undefined ? { data } : { data, vlanTci });
  }
}

function rig(o: { uplink?: string; uplink6?: string; manage?: boolean } = {}) {
  const links = new FakeLinks();
  links.add(uplinkLink());
  const bindings = new Map<string, Binding>();
  const tapUp = new Map<string, boolean>();
  const stats = new Stats();
  const logs: Array<{ level: string; msg: string; obj: Record<string, unknown> }> = [];
  const logAt = (level: string) => (obj: Record<string, unknown>, msg: string) => void logs.push({ level, obj, msg });
  const sockets: FakeSocket[] = [];
  let openError: Error | undefined;
  let opens = 0;
  const queue: Array<() => void> = [];
  let bindingReads = 0;
  let settings: Pick<Settings, 'routing' | 'announce'> = {
    routing: { ...defaultSettings().routing, manage: o.manage ?? true },
    announce: { ...defaultSettings().announce, uplink: o.uplink ?? 'uplink0', uplink6: o.uplink6 ?? 'uplink0' },
  };
  const proxy = new UplinkProxy({
    bindings: () => (bindingReads++, bindings.values()),
    tap: (name): Tap | undefined => {
      const b = bindings.get(name);
      const up = tapUp.get(name);
      return b && up !== undefined ? { binding: b, link: { ifindex: 100 + Number(name.slice(3)), name, mac: 'fe:00:00:00:00:99', up, running: up } } : undefined;
    },
    links,
    settings: () => settings,
    open: (ifindex) => {
      opens++;
      if (openError) throw openError;
      const s = new FakeSocket(ifindex);
      sockets.push(s);
      return s;
    },
    stats,
    log: { info: logAt('info'), warn: logAt('warn'), error: logAt('error'), debug: logAt('debug') } as never,
    defer: (fn) => void queue.push(fn),
  });
  return {
    proxy, links, stats, logs, sockets, queue,
    get opens() { return opens; },
    get bindingReads() { return bindingReads; },
    failOpen: (e: Error | undefined) => void (openError = e),
    setSettings: (s: typeof settings) => void (settings = s),
    /** Bind a VM on its tap (present and up unless said) and tell the proxy, as the tap lifecycle does. */
    bind(b: Binding, up = true) {
      bindings.set(b.tap, b);
      tapUp.set(b.tap, up);
      proxy.changed();
    },
    unbind(tap: string) {
      bindings.delete(tap);
      proxy.changed();
    },
    setUp(tap: string, up: boolean) {
      tapUp.set(tap, up);
      proxy.changed();
    },
    /** The end of the event-loop turn: run what was deferred. */
    flush() {
      for (let fn = queue.shift(); fn; fn = queue.shift()) fn();
    },
    /** The socket open now for `ifindex`. */
    open(ifindex = 2): FakeSocket {
      const s = sockets.filter((x) => x.ifindex === ifindex && !x.closed);
      if (s.length !== 1) throw new Error(`${s.length} open sockets on ${ifindex}`);
      return s[0]!;
    },
    counters: () => stats.tap('uplink0') ?? { replies: {}, drops: {} },
  };
}

const vm40 = (over: Partial<Binding> = {}): Binding => testBinding({ tap: 'tap40', indev: 'tap40', mac: 'aa:00:00:00:00:40', ip: VM4, eui64: VM6, ...over });

describe('uplink proxy: sockets follow what there is to answer for', () => {
  it('opens a socket only for an uplink with something to answer, after the turn', () => {
    const r = rig({ uplink: 'uplink0', uplink6: 'uplink1' });
    r.links.add(uplinkLink(3, 'uplink1', 'fe:00:00:00:00:41'));
    r.bind(vm40({ eui64: undefined })); // IPv4 only: nothing for uplink1
    expect(r.opens).toBe(0); // not before the turn ends
    r.flush();
    expect(r.sockets.map((s) => s.ifindex)).toEqual([2]);
    expect(r.proxy.answering()).toEqual({ uplink0: { v4: 1, v6: 0, listening: true } });
  });

  it('opens nothing for bindings that are not routed, or whose tap is down or absent', () => {
    const r = rig({ manage: false });
    r.bind(vm40());
    r.bind(vm40({ tap: 'tap41', routed: true }), false);
    r.flush();
    expect(r.opens).toBe(0);
    expect(r.proxy.answering()).toEqual({});
  });

  it('closes the socket when the last routed binding goes, or its tap goes down; opens again when one comes back', () => {
    const r = rig();
    r.bind(vm40());
    r.bind(vm40({ tap: 'tap41', ip: '203.0.113.41', eui64: undefined }));
    r.flush();
    const first = r.open();
    r.unbind('tap40');
    r.flush();
    expect(first.closed).toBe(false); // tap41 is still answered for
    expect(r.proxy.answering()).toEqual({ uplink0: { v4: 1, v6: 0, listening: true } });
    r.setUp('tap41', false);
    r.flush();
    expect(first.closed).toBe(true);
    expect(r.proxy.answering()).toEqual({});
    r.setUp('tap41', true);
    r.flush();
    expect(r.sockets).toHaveLength(2);
    expect(r.open().closed).toBe(false);
  });

  it('a re-created uplink (new ifindex) gets a new socket at its link event; an unrelated link event does nothing', () => {
    const r = rig();
    r.bind(vm40());
    r.flush();
    const old = r.open(2);
    r.links.add(uplinkLink(9, 'eth9', 'fe:00:00:00:00:09'));
    expect(r.queue).toHaveLength(0); // not an uplink: no rebuild
    r.links.del(2);
    r.links.add(uplinkLink(12));
    r.flush();
    expect(old.closed).toBe(true);
    expect(r.open(12).closed).toBe(false);
    expect(r.opens).toBe(2);
  });

  it('an uplink that disappears closes its socket and is warned about once; its return opens a socket', () => {
    const r = rig();
    r.bind(vm40());
    r.flush();
    r.links.del(2);
    r.flush();
    expect(r.sockets[0]!.closed).toBe(true);
    r.proxy.changed();
    r.flush();
    expect(r.logs.filter((l) => l.level === 'warn' && /not present/.test(l.msg))).toHaveLength(1);
    expect(r.proxy.answering()).toEqual({ uplink0: { v4: 1, v6: 1, listening: false } });
    r.links.add(uplinkLink(13));
    r.flush();
    expect(r.open(13).closed).toBe(false);
  });

  it('survives open() throwing: logged once, not retried on every change, retried at the uplink\'s next link event', () => {
    const r = rig();
    r.failOpen(Object.assign(new Error('socket: Operation not permitted'), { code: 'EPERM' }));
    r.bind(vm40());
    r.flush();
    expect(r.opens).toBe(1);
    r.bind(vm40({ tap: 'tap41', ip: '203.0.113.41' }));
    r.flush();
    expect(r.opens).toBe(1);
    const errors = r.logs.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.obj).toMatchObject({ uplink: 'uplink0', ifindex: 2, err: 'EPERM' });
    expect(r.proxy.answering().uplink0?.listening).toBe(false);
    // The operator fixes it; the uplink's next link event (same interface: flags, carrier) retries.
    r.failOpen(undefined);
    r.links.add(uplinkLink(2));
    r.flush();
    expect(r.opens).toBe(2);
    expect(r.open(2).closed).toBe(false);
    expect(r.proxy.answering().uplink0?.listening).toBe(true);
  });

  it('a failed uplink that is no longer wanted is tried again (and logged again) when it is wanted again', () => {
    const r = rig();
    r.failOpen(Object.assign(new Error('socket: Cannot allocate memory'), { code: 'ENOMEM' }));
    r.bind(vm40());
    r.flush();
    r.unbind('tap40');
    r.flush();
    r.bind(vm40());
    r.flush();
    expect(r.opens).toBe(2);
    expect(r.logs.filter((l) => l.level === 'error')).toHaveLength(2);
    r.failOpen(undefined);
    r.unbind('tap40');
    r.flush();
    r.bind(vm40());
    r.flush();
    expect(r.open(2).closed).toBe(false);
  });

  it('coalesces: a thousand changes in one turn are one rebuild', () => {
    const r = rig();
    for (let i = 0; i < 1000; i++) r.bind(vm40({ tap: `tap${1000 + i}`, ip: `203.0.${113 + (i >> 8)}.${i & 0xff}`, eui64: undefined }));
    expect(r.queue).toHaveLength(1);
    r.flush();
    expect(r.bindingReads).toBe(1);
    expect(r.opens).toBe(1);
    expect(r.proxy.answering()).toEqual({ uplink0: { v4: 1000, v6: 0, listening: true } });
    r.proxy.changed(); // the next turn schedules again
    expect(r.queue).toHaveLength(1);
  });

  it('two taps claiming one address: warned once, not at every rebuild', () => {
    const r = rig();
    r.bind(vm40());
    r.bind(vm40({ tap: 'tap41', eui64: undefined }));
    r.flush();
    r.proxy.changed();
    r.flush();
    const warns = r.logs.filter((l) => l.level === 'warn' && /two routed taps/.test(l.msg));
    expect(warns.map((w) => w.obj)).toEqual([{ address: VM4, tap: 'tap40', other: 'tap41' }]);
  });

  it('close() closes every socket, and later changes or link events open nothing', () => {
    const r = rig();
    r.bind(vm40());
    r.flush();
    r.proxy.close();
    expect(r.sockets[0]!.closed).toBe(true);
    r.proxy.changed();
    r.links.add(uplinkLink(2));
    r.flush();
    expect(r.opens).toBe(1);
  });
});

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
