/**
 * What the packet path tells the event stream and the metrics (issue 16):
 * a DHCPACK sent is one `lease-acked` (tap, MAC, address), nothing else is;
 * nothing is built when nobody subscribes; every reply sent, and only a
 * reply sent, is one latency observation.
 */
import { describe, expect, it } from 'vitest';
import { pathRig } from '../../helpers/path-rig.js';
import { EventBus } from '../../../src/runtime/events.js';
import { encodeDhcp4 } from '../../../src/wire/dhcp4.js';
import { buildUdpFrame } from '../../../src/wire/frame.js';

const VM_MAC = 'aa:00:00:00:00:10';

function dhcp(type: number, options: Array<[number, Uint8Array]> = []): Uint8Array {
  const msg = encodeDhcp4({
    op: 1, htype: 1, hlen: 6, hops: 0, xid: 7, secs: 0, flags: 0, ciaddr: '0.0.0.0', yiaddr: '0.0.0.0',
    siaddr: '0.0.0.0', giaddr: '0.0.0.0', chaddr: VM_MAC, sname: '', file: '', options: [[53, Uint8Array.of(type)], ...options],
  });
  if (!msg.ok) throw new Error('encode');
  return buildUdpFrame({ srcMac: VM_MAC, dstMac: 'ff:ff:ff:ff:ff:ff', srcIp: '0.0.0.0', dstIp: '255.255.255.255', srcPort: 68, dstPort: 67, payload: msg.value });
}
const REQUEST = () => dhcp(3, [[50, Uint8Array.of(203, 0, 113, 10)], [54, Uint8Array.of(203, 0, 113, 1)]]);

function rig() {
  const emitted: unknown[][] = [];
  const latencies: number[] = [];
  let active = true;
  const events = { get active() { return active; }, emit: (...a: unknown[]) => void emitted.push(a) } as unknown as EventBus;
  const r = pathRig({}, { events, observeReply: (s) => latencies.push(s) });
  r.addTap('tap10', 7, 'fe:00:00:00:00:10', `MAC=${VM_MAC}\nIP=203.0.113.10\nSUBNET=203.0.113.0/24\nGATEWAY=203.0.113.1\n`);
  return { ...r, emitted, latencies, setActive: (a: boolean) => void (active = a) };
}

describe('packet path → events and latency', () => {
  it('a DHCPACK is a lease-acked event; an OFFER is not', () => {
    const r = rig();
    r.path.handle({ ifindex: 7, data: dhcp(1), checksumNotReady: false });
    expect(r.sent).toHaveLength(1);
    expect(r.emitted).toEqual([]);
    r.path.handle({ ifindex: 7, data: REQUEST(), checksumNotReady: false });
    expect(r.sent).toHaveLength(2);
    expect(r.emitted).toEqual([['lease-acked', 'tap10', VM_MAC, '203.0.113.10']]);
  });

  it('nothing is emitted while nobody subscribes', () => {
    const r = rig();
    r.setActive(false);
    r.path.handle({ ifindex: 7, data: REQUEST(), checksumNotReady: false });
    expect(r.sent).toHaveLength(1);
    expect(r.emitted).toEqual([]);
  });

  it('each reply sent is one latency observation, in seconds; a drop is none', () => {
    const r = rig();
    r.path.handle({ ifindex: 7, data: dhcp(1), checksumNotReady: false });
    r.path.handle({ ifindex: 9, data: dhcp(1), checksumNotReady: false }); // unbound: dropped
    expect(r.latencies).toHaveLength(1);
    expect(r.latencies[0]).toBeGreaterThanOrEqual(0);
    expect(r.latencies[0]).toBeLessThan(1);
  });

});
