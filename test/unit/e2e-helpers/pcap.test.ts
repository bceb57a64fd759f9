/**
 * test/helpers/pcap.ts and test/helpers/frame-peek.ts, checked against the
 * captured fixtures (test/fixtures/README.md says what each one holds).
 */

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { PcapError, fixture, fixtureFrame, fixturePath, readPcap, writePcap } from '../../helpers/pcap.js';
import { peekDhcp4, peekDhcp6Type, peekEthernet, peekIcmpv6, peekUdp } from '../../helpers/frame-peek.js';

const MAC = 'aa:00:00:00:00:10';

describe('pcap reader/writer', () => {
  it('round-trips frames', () => {
    const frames = [
      { tsSec: 1, tsUsec: 2, origLen: 3, data: new Uint8Array([1, 2, 3]) },
      { tsSec: 4, tsUsec: 5, origLen: 100, data: new Uint8Array([9]) },
    ];
    const back = readPcap(writePcap(frames));
    expect(back.linktype).toBe(1);
    expect(back.frames).toEqual(frames);
  });

  it('reads big-endian and nanosecond files', () => {
    const be = new Uint8Array(24 + 16 + 2);
    const v = new DataView(be.buffer);
    v.setUint32(0, 0xa1b23c4d, false);
    v.setUint16(4, 2, false);
    v.setUint16(6, 4, false);
    v.setUint32(16, 65535, false);
    v.setUint32(20, 1, false);
    v.setUint32(24, 10, false);
    v.setUint32(28, 123_456_789, false);
    v.setUint32(32, 2, false);
    v.setUint32(36, 2, false);
    be.set([0xab, 0xcd], 40);
    const p = readPcap(be);
    expect(p.snaplen).toBe(65535);
    expect(p.frames).toEqual([{ tsSec: 10, tsUsec: 123_456, origLen: 2, data: new Uint8Array([0xab, 0xcd]) }]);
  });

  it('rejects bad magic, short files and truncated records', () => {
    expect(() => readPcap(new Uint8Array(10))).toThrow(PcapError);
    expect(() => readPcap(new Uint8Array(24))).toThrow(/bad magic/);
    const good = writePcap([{ tsSec: 0, tsUsec: 0, origLen: 4, data: new Uint8Array(4) }]);
    expect(() => readPcap(good.subarray(0, good.length - 1))).toThrow(/overruns/);
    expect(() => readPcap(good.subarray(0, 24 + 10))).toThrow(/truncated record header/);
  });

  it('fixture() accepts names with or without .pcap; fixtureFrame() checks the index', () => {
    expect(fixture('rdisc6-rs')).toEqual(fixture('rdisc6-rs.pcap'));
    expect(fixtureFrame('rdisc6-rs')).toEqual(fixture('rdisc6-rs')[0]);
    expect(() => fixtureFrame('rdisc6-rs', 5)).toThrow(/no frame 5/);
    expect(readPcap(new Uint8Array(readFileSync(fixturePath('rdisc6-rs.pcap')))).linktype).toBe(1);
  });
});

describe('captured fixtures hold what README.md says', () => {
  const dhcp = (name: string) => {
    const frames = fixture(name);
    expect(frames).toHaveLength(1);
    expect(peekEthernet(frames[0]!)!.src).toBe(MAC);
    const udp = peekUdp(frames[0]!)!;
    expect([udp.src, udp.dst, udp.srcPort, udp.dstPort]).toEqual(['0.0.0.0', '255.255.255.255', 68, 67]);
    const d = peekDhcp4(frames[0]!)!;
    expect(d.chaddr).toBe(MAC);
    return d;
  };
  const prl = (d: ReturnType<typeof peekDhcp4>) => [...(d!.options.get(55) ?? [])];
  const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

  it('dhclient DISCOVER asks for 121 and sends the VM hostname', () => {
    const d = dhcp('dhclient-discover');
    expect(d.messageType).toBe(1);
    expect(prl(d)).toContain(121);
    expect(text(d.options.get(12))).toBe('vm10');
    expect(d.options.has(61)).toBe(false);
  });

  it('dhclient INIT-REBOOT REQUEST: option 50, no server identifier', () => {
    const d = dhcp('dhclient-init-reboot-request');
    expect(d.messageType).toBe(3);
    expect([...d.options.get(50)!]).toEqual([203, 0, 113, 17]);
    expect(d.options.has(54)).toBe(false);
    expect(d.ciaddr).toBe('0.0.0.0');
  });

  it('udhcpc DISCOVER: 121 requested, client id 01+MAC, vendor class', () => {
    const d = dhcp('udhcpc-discover');
    expect(d.messageType).toBe(1);
    expect(prl(d)).toContain(121);
    expect([...d.options.get(61)!]).toEqual([1, 0xaa, 0, 0, 0, 0, 0x10]);
    expect(text(d.options.get(60))).toBe('udhcp 1.35.0');
  });

  it('dhcpcd DISCOVER: 121 first in the PRL, DUID client id (type 255)', () => {
    const d = dhcp('dhcpcd-discover');
    expect(d.messageType).toBe(1);
    expect(prl(d)[0]).toBe(1);
    expect(prl(d)).toContain(121);
    expect(d.options.get(61)![0]).toBe(255);
  });

  it('Windows 10 DISCOVER: MSFT 5.0, the Windows PRL, 01+MAC, hostname', () => {
    const d = dhcp('windows10-discover');
    expect(d.messageType).toBe(1);
    expect(text(d.options.get(60))).toBe('MSFT 5.0');
    expect(prl(d)).toEqual([1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252]);
    expect([...d.options.get(61)!]).toEqual([1, 0xaa, 0, 0, 0, 0, 0x10]);
    expect(text(d.options.get(12))).toBe('DESKTOP-OLK10');
    expect([...d.options.keys()]).toEqual([53, 61, 12, 60, 55]);
  });

  it('rdisc6 RS and ndisc6 NS', () => {
    const rs = peekIcmpv6(fixtureFrame('rdisc6-rs'))!;
    expect([rs.type, rs.src, rs.dst, rs.hopLimit]).toEqual([133, 'fe80::a800:ff:fe00:10', 'ff02::2', 255]);
    const ll = peekIcmpv6(fixtureFrame('ndisc6-ns-router-ll'))!;
    expect([ll.type, ll.target, ll.dst]).toEqual([135, 'fe80::1', 'ff02::1:ff00:1']);
    const g = peekIcmpv6(fixtureFrame('ndisc6-ns-global'))!;
    expect([g.type, g.target, g.dst, g.src]).toEqual([135, '2001:db8:10::1', 'ff02::1:ff00:1', 'fe80::a800:ff:fe00:10']);
  });

  it('dhclient -6 -S Information-Request, with completed and with as-captured UDP checksum', () => {
    const done = fixtureFrame('dhclient6-information-request');
    const partial = fixtureFrame('dhclient6-information-request-csum-partial');
    expect(peekDhcp6Type(done)).toBe(11);
    const u = peekUdp(done)!;
    expect([u.src, u.dst, u.srcPort, u.dstPort]).toEqual(['fe80::a800:ff:fe00:10', 'ff02::1:2', 546, 547]);
    // Same frame but for the UDP checksum (bytes 60-61).
    expect(done.length).toBe(partial.length);
    const diff = [...done].map((b, i) => (b !== partial[i] ? i : -1)).filter((i) => i >= 0);
    expect(diff.every((i) => i === 60 || i === 61)).toBe(true);
    expect(diff.length).toBeGreaterThan(0);
  });
});
