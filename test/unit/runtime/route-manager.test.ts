/**
 * The route manager (src/runtime/route-manager.ts) over a fake netlink
 * transport: which requests it sends for a binding meeting its tap, a
 * changed address, a removal, a tap going down and up, and a restart
 * (routes of its protocol already there are kept, stale ones removed,
 * other protocols' untouched). wanted-routes.ts decides what a binding needs.
 */
import { describe, expect, it } from 'vitest';
import { LITTLE_ENDIAN } from '../../../src/io/native.js';
import { AF_INET, AF_INET6, RTM_DELROUTE, RTM_NEWROUTE, RTPROT_ONLINKD, parseRouteMessages } from '../../../src/io/route-netlink.js';
import { RouteManager, hasEffectiveCapability } from '../../../src/runtime/route-manager.js';
import { wantedRoutes } from '../../../src/runtime/wanted-routes.js';
import type { Binding } from '../../../src/bindings/binding.js';
import { testBinding } from '../../helpers/binding.js';
import { attr, nlmsg, u32 } from '../io/nlmsg.js';

const ROUTING = { manage: true, table: 254, rule: false };
const silent = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };

/** A dump reply route of `protocol`. */
function dumped(seq: number, protocol: number, dst: number[], oif: number): Buffer {
  const body = Buffer.concat([Buffer.from([AF_INET, 32, 0, 0, 254, protocol, 253, 1, 0, 0, 0, 0]), attr(15, u32(254)), attr(1, Buffer.from(dst)), attr(4, u32(oif))]);
  return nlmsg(RTM_NEWROUTE, 2, seq, body);
}

function harness(existing: Array<{ protocol: number; dst: number[]; oif: number }> = [], routing = ROUTING) {
  const sent: Buffer[] = [];
  let deliver!: (err: number, data: Buffer | null) => void;
  const m = new RouteManager({
    transport: { send: (d) => (sent.push(Buffer.from(d)), d.length), start: (cb) => (deliver = cb), close: () => {} },
    routing: () => routing, log: silent,
  });
  const dumpSeq = new DataView(sent[0]!.buffer, sent[0]!.byteOffset).getUint32(8, true);
  deliver(0, Buffer.concat([...existing.map((r) => dumped(dumpSeq, r.protocol, r.dst, r.oif)), nlmsg(3, 2, dumpSeq, u32(0))]));
  sent.length = 0;
  /** The requests sent since the last call, as "add|delete dst/len". */
  const requests = (): string[] => sent.splice(0).map((b) => {
    const type = new DataView(b.buffer, b.byteOffset).getUint16(4, true);
    const r = parseRouteMessages(Buffer.concat([Buffer.from([b[0]!, b[1]!, b[2]!, b[3]!]), Buffer.from([24, 0]), b.subarray(6)]))[0]!;
    if (r.type !== 'route') throw new Error('not a route request');
    return `${type === RTM_NEWROUTE ? 'add' : type === RTM_DELROUTE ? 'delete' : type} ${r.route.dst}/${r.route.dstLen}${r.route.gateway ? ` via ${r.route.gateway}` : ''}`;
  });
  return { m, requests };
}

const tap = (b: Binding, up = true) => ({ binding: b, link: { ifindex: 7, name: b.tap, mac: 'fe:00:00:00:00:07', up, running: up, lowerUp: up, operstate: 'up' as const, mtu: 1500, kind: 'tun' } });

describe('wanted routes', () => {
  it('IP/32, IP6 and EUI64 /128 (canonical text, once when equal), PREFIX6 via IP6; nothing when the binding or [routing] says no', () => {
    const b = testBinding({ ip6: '2001:DB8::0010', eui64: '2001:db8::10', prefix6: { network: '2001:db8:100::', prefixLength: 56 } });
    expect(wantedRoutes(b, 7, ROUTING)).toEqual([
      { family: AF_INET, dst: '203.0.113.10', dstLen: 32, table: 254, oif: 7 },
      { family: AF_INET6, dst: '2001:db8::10', dstLen: 128, table: 254, oif: 7 },
      { family: AF_INET6, dst: '2001:db8:100::', dstLen: 56, table: 254, oif: 7, gateway: '2001:db8::10' },
    ]);
    expect(wantedRoutes(testBinding({ routed: false }), 7, ROUTING)).toEqual([]);
    expect(wantedRoutes(testBinding(), 7, { manage: false, table: 254 })).toEqual([]);
    expect(wantedRoutes(testBinding({ routed: true }), 7, { manage: false, table: 9 })).toEqual([{ family: AF_INET, dst: '203.0.113.10', dstLen: 32, table: 9, oif: 7 }]);
  });
});

describe.runIf(LITTLE_ENDIAN)('route manager', () => {
  it('installs on attach, moves on an address change, removes on detach', () => {
    const { m, requests } = harness();
    m.attach(tap(testBinding({ eui64: '2001:db8::10' })));
    expect(requests()).toEqual(['add 203.0.113.10/32', 'add 2001:db8::10/128']);
    m.attach(tap(testBinding({ ip: '203.0.113.11', eui64: '2001:db8::10' })));
    expect(requests()).toEqual(['delete 203.0.113.10/32', 'add 203.0.113.11/32']);
    expect(m.managed().map((x) => x.route.dst)).toEqual(['203.0.113.11', '2001:db8::10']);
    m.detach(testBinding({ ip: '203.0.113.11' }));
    expect(requests()).toEqual(['delete 203.0.113.11/32', 'delete 2001:db8::10/128']);
    expect(m.managed()).toEqual([]);
  });

  it('a down tap gets its routes when it comes up, and again after going down (the kernel flushed them)', () => {
    const { m, requests } = harness();
    m.attach(tap(testBinding(), false));
    expect(requests()).toEqual([]);
    m.linkChanged(tap(testBinding(), true));
    expect(requests()).toEqual(['add 203.0.113.10/32']);
    m.linkChanged(tap(testBinding(), false));
    m.linkChanged(tap(testBinding(), true));
    expect(requests()).toEqual(['add 203.0.113.10/32']);
  });

  it('restart: a wanted route of its protocol is not sent again, a stale one is removed, another protocol\'s is untouched', () => {
    const { m, requests } = harness([
      { protocol: RTPROT_ONLINKD, dst: [203, 0, 113, 10], oif: 7 }, // wanted
      { protocol: RTPROT_ONLINKD, dst: [203, 0, 113, 99], oif: 7 }, // stale: its VM was unbound while onlinkd was down
      { protocol: 4, dst: [203, 0, 113, 98], oif: 7 }, // static, the administrator's
    ]);
    m.attach(tap(testBinding()));
    expect(requests()).toEqual([]);
    m.sweep();
    expect(requests()).toEqual(['delete 203.0.113.99/32']);
  });
});

describe('capability check', () => {
  it('reads CapEff: CAP_NET_ADMIN (12) present or not; unreadable status is "not"', () => {
    expect(hasEffectiveCapability(12, () => 'Name:\tx\nCapEff:\t0000000000003000\n')).toBe(true);
    expect(hasEffectiveCapability(12, () => 'CapEff:\t0000000000002000\n')).toBe(false);
    expect(hasEffectiveCapability(12, () => { throw new Error('EACCES'); })).toBe(false);
  });
});
