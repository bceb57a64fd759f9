/**
 * Issue 11, defect 9: a guest must not choose counter keys. Every value a
 * frame can carry where a counter name is derived (ARP operation, DHCPv4
 * message type, DHCPv6 message type, ICMPv6 type, EtherType) is sent once,
 * and the tap's counters must stay a small, fixed set. Before the fix the
 * ARP operations alone made 65,534 keys ('arp-op-N').
 */
import { describe, expect, it } from 'vitest';
import { pathRig } from '../../helpers/path-rig.js';
import { MAX_COUNTER_KEYS, OVERFLOW_KEY, Stats } from '../../../src/runtime/stats.js';
import { buildArpFrame } from '../../../src/wire/arp.js';
import { encodeDhcp4 } from '../../../src/wire/dhcp4.js';
import { buildUdpFrame } from '../../../src/wire/frame.js';
import { buildDhcp6Frame } from '../../../src/wire/frame6.js';
import { encodeIcmpv6 } from '../../../src/wire/icmpv6.js';
import { encodeEthernetHeader } from '../../../src/wire/ethernet.js';

const VM_MAC = 'aa:00:00:00:00:10';
const TAP_MAC = 'fe:00:00:00:00:10';
const VM_LL = 'fe80::a800:ff:fe00:10';

function setup() {
  const rig = pathRig({ guard: { rate: 1e9, burst: 1e9 }, arp: { responder: true } });
  rig.addTap(
    'tap10',
    7,
    TAP_MAC,
    `MAC=${VM_MAC}\nIP=203.0.113.10\nSUBNET=203.0.113.0/24\nGATEWAY=203.0.113.1\nSUBNET6=2001:db8:10::/64\nGATEWAY6=2001:db8:10::1\n`,
  );
  const send = (data: Uint8Array) => rig.path.handle({ ifindex: 7, data, checksumNotReady: false });
  /** Every key of every record of the tap. */
  const keys = () => {
    const c = rig.stats.tap('tap10')!;
    return { requests: Object.keys(c.requests), replies: Object.keys(c.replies), drops: Object.keys(c.drops) };
  };
  return { ...rig, send, keys };
}

function dhcp4(type: number | undefined): Uint8Array {
  const msg = encodeDhcp4({
    op: 1, htype: 1, hlen: 6, hops: 0, xid: 7, secs: 0, flags: 0, ciaddr: '0.0.0.0', yiaddr: '0.0.0.0',
    siaddr: '0.0.0.0', giaddr: '0.0.0.0', chaddr: VM_MAC, sname: '', file: '',
    options: type === undefined ? [] : [[53, Uint8Array.of(type)]],
  });
  if (!msg.ok) throw new Error(msg.error.toString());
  return buildUdpFrame({ srcMac: VM_MAC, dstMac: 'ff:ff:ff:ff:ff:ff', srcIp: '0.0.0.0', dstIp: '255.255.255.255', srcPort: 68, dstPort: 67, payload: msg.value });
}

/** A DHCPv6 message of any type (the encoder refuses relay types: the octet is set after), checksum left stale. */
function dhcp6(msgType: number): Uint8Array {
  const f = buildDhcp6Frame(
    { srcMac: VM_MAC, dstMac: '33:33:00:01:00:02', src: VM_LL, dst: 'ff02::1:2', srcPort: 546, dstPort: 547 },
    { msgType: 1, transactionId: 1, options: [] },
  );
  f[14 + 40 + 8] = msgType;
  return f;
}

function icmpv6(type: number): Uint8Array {
  const body = encodeIcmpv6({ type, code: 0, body: new Uint8Array(20) }, VM_LL, 'ff02::2');
  const ip = new Uint8Array(40 + body.length);
  ip[0] = 0x60;
  new DataView(ip.buffer).setUint16(4, body.length);
  ip[6] = 58;
  ip[7] = 255;
  ip.set([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0xa8, 0, 0, 0xff, 0xfe, 0, 0, 0x10], 8);
  ip.set([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2], 24);
  ip.set(body, 40);
  const f = new Uint8Array(14 + ip.length);
  encodeEthernetHeader({ dst: '33:33:00:00:00:02', src: VM_MAC, ethertype: 0x86dd }, f, 0);
  f.set(ip, 14);
  return f;
}

describe('counter keys are a fixed set whatever the guest sends (issue 11, defect 9)', () => {
  it('all 65,536 ARP operations make three request keys', () => {
    const { send, keys, stats } = setup();
    for (let op = 0; op <= 0xffff; op++) {
      send(buildArpFrame({ srcMac: VM_MAC, dstMac: 'ff:ff:ff:ff:ff:ff', op, senderMac: VM_MAC, senderIp: '203.0.113.10', targetMac: '00:00:00:00:00:00', targetIp: '203.0.113.1' }));
    }
    expect(keys().requests.sort()).toEqual(['arp-op-other', 'arp-reply', 'arp-request']);
    expect(stats.tap('tap10')!.requests['arp-op-other']).toBe(65_534);
    expect(keys().drops.length).toBeLessThan(8);
  });

  it('all 256 DHCPv4 message types (and none) make at most ten request keys', () => {
    const { send, keys, stats } = setup();
    send(dhcp4(undefined));
    for (let t = 0; t <= 255; t++) send(dhcp4(t));
    const k = keys();
    expect(k.requests.length).toBeLessThanOrEqual(10);
    expect(k.requests).toContain('dhcp-discover');
    // Every message was counted, under one of those few keys (option 53 values outside 1..8 read as none: 'bootp').
    expect(Object.values(stats.tap('tap10')!.requests).reduce((a, b) => a + b, 0)).toBeGreaterThan(250);
    expect(k.replies.length + k.drops.length).toBeLessThan(16);
  });

  it('all 256 DHCPv6 message types make at most fourteen request keys', () => {
    const { path, keys, stats } = setup();
    for (let t = 0; t <= 255; t++) path.handle({ ifindex: 7, data: dhcp6(t), checksumNotReady: true });
    const k = keys();
    expect(k.requests.length).toBeLessThanOrEqual(14);
    expect(k.requests).toContain('dhcp6-information-request');
    expect(k.requests).toContain('dhcp6-solicit');
    expect(stats.tap('tap10')!.requests['dhcp6-other']).toBeGreaterThan(200);
    expect(k.replies.length + k.drops.length).toBeLessThan(12);
  });

  it('all 256 ICMPv6 types and all 65,536 EtherTypes make a handful of drop keys', () => {
    const { send, keys } = setup();
    for (let t = 0; t <= 255; t++) send(icmpv6(t));
    for (let e = 0; e <= 0xffff; e++) {
      const f = new Uint8Array(60);
      encodeEthernetHeader({ dst: 'ff:ff:ff:ff:ff:ff', src: VM_MAC, ethertype: e }, f, 0);
      send(f);
    }
    const k = keys();
    expect(k.requests.length + k.replies.length + k.drops.length).toBeLessThan(24);
  });
});

describe('Stats: a record never grows past MAX_COUNTER_KEYS', () => {
  it('counts new keys past the bound under one overflow key, and known keys as before', () => {
    const s = new Stats();
    for (let i = 0; i < 10_000; i++) s.drop('tap10', `reason-${i}`);
    s.drop('tap10', 'reason-0', 5);
    const drops = s.tap('tap10')!.drops;
    expect(Object.keys(drops)).toHaveLength(MAX_COUNTER_KEYS + 1);
    expect(drops['reason-0']).toBe(6);
    expect(drops[OVERFLOW_KEY]).toBe(10_000 - MAX_COUNTER_KEYS);
    for (let i = 0; i < 1000; i++) s.drop(undefined, `g-${i}`);
    expect(Object.keys(s.global.drops).length).toBeLessThanOrEqual(MAX_COUNTER_KEYS + 1);
  });
});
