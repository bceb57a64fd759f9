import { describe, expect, it } from 'vitest';
import { pathRig } from '../../helpers/path-rig.js';
import { REPLY_LOG_INTERVAL_MS } from '../../../src/packet/context.js';
import { parseBindingFile } from '../../../src/bindings/binding-file.js';
import { decodeDhcp4, encodeDhcp4, messageType } from '../../../src/wire/dhcp4.js';
import { buildUdpFrame, decodeUdpFrame } from '../../../src/wire/frame.js';
import { numberToIpv4, parseMac48 } from '../../../src/wire/addr.js';

const VM_MAC = 'aa:00:00:00:00:10';
const TAP_MAC = 'fe:00:00:00:00:10';

function setup(guard = { rate: 1_000_000, burst: 1_000_000 }, logLevel: 'silent' | 'info' | 'debug' = 'silent') {
  const rig = pathRig({ guard }, {}, logLevel);
  rig.addTap('tap10', 7, TAP_MAC, `MAC=${VM_MAC}\nIP=203.0.113.10\nSUBNET=203.0.113.0/24\nGATEWAY=203.0.113.1\n`);
  rig.addTap('tap11', 8, 'fe:00:00:00:00:11', `MAC=aa:00:00:00:00:11\nIP=203.0.113.11\nSUBNET=203.0.113.0/24\nGATEWAY=203.0.113.1\n`);
  return rig;
}

function discover(srcMac = VM_MAC, chaddr = VM_MAC): Uint8Array {
  const msg = encodeDhcp4({
    op: 1, htype: 1, hlen: 6, hops: 0, xid: 99, secs: 0, flags: 0, ciaddr: '0.0.0.0', yiaddr: '0.0.0.0',
    siaddr: '0.0.0.0', giaddr: '0.0.0.0', chaddr, sname: '', file: '', options: [[53, Uint8Array.of(1)]],
  });
  if (!msg.ok) throw new Error('encode');
  return buildUdpFrame({ srcMac, dstMac: 'ff:ff:ff:ff:ff:ff', srcIp: '0.0.0.0', dstIp: '255.255.255.255', srcPort: 68, dstPort: 67, payload: msg.value });
}

describe('packet path', () => {
  it('answers a DISCOVER on a bound tap with an OFFER sent on the same ifindex from the tap MAC', () => {
    const { path, sent, stats } = setup();
    path.handle({ ifindex: 7, data: discover(), checksumNotReady: false });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.ifindex).toBe(7);
    const f = decodeUdpFrame(sent[0]!.frame, { verifyChecksum: true });
    if (!f.ok) throw new Error(f.error.toString());
    expect(f.value).toMatchObject({ srcMac: parseMac48(TAP_MAC), dstMac: parseMac48(VM_MAC), srcPort: 67, dstPort: 68 });
    const m = decodeDhcp4(f.value.payload);
    expect(m.ok && messageType(m.value)).toBe(2);
    expect(stats.tap('tap10')).toMatchObject({ requests: { 'dhcp-discover': 1 }, replies: { 'dhcp-offer': 1 } });
  });

  it('drops and counts: unbound interface, foreign MAC, VLAN tag, garbage; never throws', () => {
    const { path, sent, stats } = setup();
    path.handle({ ifindex: 9, data: discover(), checksumNotReady: false });
    path.handle({ ifindex: 7, data: discover('aa:00:00:00:00:99'), checksumNotReady: false });
    path.handle({ ifindex: 7, data: discover(VM_MAC, 'aa:00:00:00:00:98'), checksumNotReady: false });
    path.handle({ ifindex: 7, data: discover(), checksumNotReady: false, vlanTci: 100 });
    path.handle({ ifindex: 7, data: Uint8Array.of(1, 2, 3), checksumNotReady: false });
    const arp = new Uint8Array(42);
    arp.set([0x08, 0x06], 12);
    path.handle({ ifindex: 7, data: arp, checksumNotReady: false });
    expect(sent).toHaveLength(0);
    expect(stats.global.drops).toMatchObject({ 'unbound-interface': 1 });
    expect(stats.tap('tap10')!.drops).toMatchObject({
      'foreign-source-mac': 1,
      'foreign-chaddr': 1,
      'vlan-tagged': 1,
      'unhandled-ethertype': 1,
      'decode-arp-bad-htype': 1, // the all-zero ARP frame reaches the ARP handler
    });
  });

  it('verifies UDP checksums unless the kernel says they are not filled in yet', () => {
    const { path, sent, stats } = setup();
    const f = discover();
    f[14 + 20 + 6]! ^= 0xff; // corrupt the UDP checksum
    path.handle({ ifindex: 7, data: f, checksumNotReady: false });
    expect(sent).toHaveLength(0);
    expect(Object.keys(stats.tap('tap10')!.drops).some((k) => k.includes('checksum'))).toBe(true);
    path.handle({ ifindex: 7, data: f, checksumNotReady: true });
    expect(sent).toHaveLength(1);
  });

  it('stops answering when the tap goes away, and an index reused by another interface reaches no binding', () => {
    const { path, sent, links, stats } = setup();
    links.del(7);
    links.add({ ifindex: 7, name: 'veth-other', mac: 'fe:00:00:00:00:77', up: true, running: true });
    path.handle({ ifindex: 7, data: discover(), checksumNotReady: false });
    expect(sent).toHaveLength(0);
    expect(stats.global.drops['unbound-interface']).toBe(1);
    // The tap comes back under a new index: served again.
    links.add({ ifindex: 12, name: 'tap10', mac: TAP_MAC, up: true, running: true });
    path.handle({ ifindex: 12, data: discover(), checksumNotReady: false });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.ifindex).toBe(12);
  });

  it('turns random bytes on a bound tap into counted drops, never an internal error', () => {
    const { path, stats } = setup();
    for (let i = 0; i < 2000; i++) {
      const n = Math.floor(Math.random() * 600);
      const b = new Uint8Array(n);
      for (let j = 0; j < n; j++) b[j] = Math.floor(Math.random() * 256);
      if (n > 14 && i % 2) b.set([0x08, 0x00], 12);
      path.handle({ ifindex: 7, data: b, checksumNotReady: i % 3 === 0 });
    }
    // handle() catches everything; an exception would show up as this counter.
    expect(stats.global.drops['internal-error']).toBeUndefined();
    const drops = Object.values(stats.tap('tap10')!.drops).reduce((a, b) => a + b, 0);
    expect(drops).toBe(2000);
  });

  it('limits a flooding tap to its token bucket without touching the other taps', () => {
    const { path, sent, stats, tick } = setup({ rate: 10, burst: 20 });
    for (let i = 0; i < 1000; i++) path.handle({ ifindex: 7, data: discover(), checksumNotReady: false });
    expect(sent.filter((s) => s.ifindex === 7)).toHaveLength(20); // the burst
    expect(stats.tap('tap10')!.drops['rate-limited']).toBe(980);
    path.handle({ ifindex: 8, data: discover('aa:00:00:00:00:11', 'aa:00:00:00:00:11'), checksumNotReady: false });
    expect(sent.filter((s) => s.ifindex === 8)).toHaveLength(1); // tap11 unaffected
    tick(1000); // one second refills `rate` tokens
    for (let i = 0; i < 100; i++) path.handle({ ifindex: 7, data: discover(), checksumNotReady: false });
    expect(sent.filter((s) => s.ifindex === 7)).toHaveLength(30);
  });

  it('logs a lease decision at info once, then repeats once a minute with their count (every one at debug)', () => {
    const { path, logs, tick } = setup(undefined, 'info');
    const offers = () => logs.filter((l) => l.msg === 'dhcp-offer sent');
    for (let i = 0; i < 50; i++) path.handle({ ifindex: 7, data: discover(), checksumNotReady: false });
    expect(offers()).toHaveLength(1);
    expect(offers()[0]).toMatchObject({ level: 30, tap: 'tap10', mac: VM_MAC, ip: '203.0.113.10', reply: 'dhcp-offer' });
    expect(offers()[0]!.repeated).toBeUndefined();
    // tap11's first offer is its own decision: logged at once.
    path.handle({ ifindex: 8, data: discover('aa:00:00:00:00:11', 'aa:00:00:00:00:11'), checksumNotReady: false });
    expect(offers().map((l) => l.tap)).toEqual(['tap10', 'tap11']);
    tick(REPLY_LOG_INTERVAL_MS);
    path.handle({ ifindex: 7, data: discover(), checksumNotReady: false });
    expect(offers()).toHaveLength(3);
    expect(offers()[2]).toMatchObject({ tap: 'tap10', repeated: 49 });

    const dbg = setup(undefined, 'debug');
    for (let i = 0; i < 5; i++) dbg.path.handle({ ifindex: 7, data: discover(), checksumNotReady: false });
    const lines = dbg.logs.filter((l) => l.msg === 'dhcp-offer sent');
    expect(lines.map((l) => l.level)).toEqual([30, 20, 20, 20, 20]);
  });

  it('logs at info again when the address offered changes (binding replaced)', () => {
    const { path, logs, store } = setup(undefined, 'info');
    path.handle({ ifindex: 7, data: discover(), checksumNotReady: false });
    const r = parseBindingFile('tap10', `MAC=${VM_MAC}\nIP=203.0.113.20\nSUBNET=203.0.113.0/24\nGATEWAY=203.0.113.1\n`);
    if (!r.ok) throw new Error(r.error.message);
    store.set(r.binding);
    path.handle({ ifindex: 7, data: discover(), checksumNotReady: false });
    expect(logs.filter((l) => l.msg === 'dhcp-offer sent').map((l) => l.ip)).toEqual(['203.0.113.10', '203.0.113.20']);
  });

  it('builds every reply afresh in its reused buffer: back-to-back replies to two taps are each whole', () => {
    const { path, sent } = setup();
    path.handle({ ifindex: 7, data: discover(), checksumNotReady: false });
    path.handle({ ifindex: 8, data: discover('aa:00:00:00:00:11', 'aa:00:00:00:00:11'), checksumNotReady: false });
    path.handle({ ifindex: 7, data: discover(), checksumNotReady: false });
    const yiaddr = sent.map((s) => {
      const f = decodeUdpFrame(s.frame, { verifyChecksum: true });
      if (!f.ok) throw new Error(f.error.toString());
      const m = decodeDhcp4(f.value.payload);
      if (!m.ok) throw new Error(m.error.toString());
      return numberToIpv4(m.value.yiaddr);
    });
    expect(yiaddr).toEqual(['203.0.113.10', '203.0.113.11', '203.0.113.10']);
    expect(sent[0]!.frame).toEqual(sent[2]!.frame);
  });

  // Issue 11, defect 6: a binding that cannot be encoded (IP='203.0.113.11 ' before the parser refused it)
  // failed every reply and logged an error line for each, with no rate limit.
  it('counts every reply that cannot be encoded and logs it at most once per interval per tap', () => {
    const { path, sent, stats, logs, store, tick } = setup(undefined, 'info');
    for (const tap of ['tap10', 'tap11']) store.set({ ...store.get(tap)!, ip: '203.0.113.1x' });
    const failures = () => logs.filter((l) => l.msg === 'reply could not be encoded');
    for (let i = 0; i < 500; i++) path.handle({ ifindex: 7, data: discover(), checksumNotReady: false });
    path.handle({ ifindex: 8, data: discover('aa:00:00:00:00:11', 'aa:00:00:00:00:11'), checksumNotReady: false });
    expect(sent).toHaveLength(0);
    expect(stats.tap('tap10')!.drops['reply-encode-failed']).toBe(500);
    expect(failures().map((l) => l.tap)).toEqual(['tap10', 'tap11']); // one line per tap, not 501
    tick(10_000);
    path.handle({ ifindex: 7, data: discover(), checksumNotReady: false });
    expect(failures()).toHaveLength(3);
  });
});
