import { describe, expect, it } from 'vitest';
import { defaultSettings } from '../../../src/config/config.js';
import {
  announcementFrame,
  announcementPlan,
  garpFrame,
  unaFrame,
  unaSourceAddress,
  type AnnounceSettings,
  type FrameResult,
} from '../../../src/protocols/announce.js';
import { decodeArpFrame } from '../../../src/wire/arp.js';
import { icmpv6Checksum } from '../../../src/wire/icmpv6.js';
import { decodeNdpFrame } from '../../../src/wire/frame6.js';
import { binding6 } from './ipv6-helpers.js';
import { decodedAddresses, hex, toHex, value } from '../wire/helpers.js';
import { formatIpv6Address } from '../../../src/wire/ipv6-address.js';

const UPLINK_MAC = '52:54:00:12:34:56';
const UPLINK_LL = 'fe80::5054:ff:fe12:3456';
const VM_IP = '203.0.113.10';
const VM_EUI64 = '2001:db8:10:0:a800:ff:fe00:10';

function frame(r: FrameResult): Uint8Array {
  if (!r.ok) throw new Error(r.error);
  return r.frame;
}

// scapy: Ether(dst='ff:ff:ff:ff:ff:ff', src=U) / ARP(op=1, hwsrc=U, psrc=VM_IP, hwdst='00:00:00:00:00:00', pdst=VM_IP), padded to 60.
const GARP_REQUEST = hex`
  ff ff ff ff ff ff          # Ethernet dst: broadcast
  52 54 00 12 34 56          # Ethernet src: the uplink
  08 06                      # EtherType: ARP
  00 01 08 00 06 04          # Ethernet / IPv4 / hlen 6 / plen 4
  00 01                      # op: request (RFC 5227 §3)
  52 54 00 12 34 56          # SHA: the uplink MAC
  cb 00 71 0a                # SPA: the VM's address
  00 00 00 00 00 00          # THA: zeros
  cb 00 71 0a                # TPA = SPA
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00   # padding to 60`;

// scapy: ... ARP(op=2, hwsrc=U, psrc=VM_IP, hwdst=U, pdst=VM_IP), broadcast.
const GARP_REPLY = hex`
  ff ff ff ff ff ff          # Ethernet dst: broadcast
  52 54 00 12 34 56          # Ethernet src: the uplink
  08 06                      # EtherType: ARP
  00 01 08 00 06 04          # Ethernet / IPv4 / 6 / 4
  00 02                      # op: reply (RFC 5944 §4.6)
  52 54 00 12 34 56          # SHA: the uplink MAC
  cb 00 71 0a                # SPA: the VM's address
  52 54 00 12 34 56          # THA = SHA
  cb 00 71 0a                # TPA = SPA
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00   # padding`;

// scapy: Ether(dst='33:33:00:00:00:01', src=U) / IPv6(src=UPLINK_LL, dst='ff02::1', hlim=255) /
//        ICMPv6ND_NA(R=0, S=0, O=1, tgt=VM_EUI64) / ICMPv6NDOptDstLLAddr(lladdr=U)
const UNA = hex`
  33 33 00 00 00 01          # Ethernet dst: ff02::1
  52 54 00 12 34 56          # Ethernet src: the uplink
  86 dd                      # EtherType: IPv6
  60 00 00 00                # version 6, traffic class 0, flow label 0
  00 20                      # payload length 32
  3a                         # next header: ICMPv6
  ff                         # hop limit 255
  fe 80 00 00 00 00 00 00 50 54 00 ff fe 12 34 56   # src: uplink link-local (EUI-64)
  ff 02 00 00 00 00 00 00 00 00 00 00 00 00 00 01   # dst: all nodes
  88                         # type 136: Neighbor Advertisement
  00                         # code 0
  78 cc                      # checksum
  20 00 00 00                # R=0 S=0 O=1, reserved
  20 01 0d b8 00 10 00 00 a8 00 00 ff fe 00 00 10   # target: the VM's address
  02 01 52 54 00 12 34 56    # option 2 (target link-layer address), length 1: the uplink MAC`;

// The same with the target as IPv6 source (scapy IPv6(src=VM_EUI64, ...)): only source and checksum differ.
const UNA_FROM_TARGET = hex`
  33 33 00 00 00 01 52 54 00 12 34 56 86 dd
  60 00 00 00 00 20 3a ff
  20 01 0d b8 00 10 00 00 a8 00 00 ff fe 00 00 10   # src: the target itself
  ff 02 00 00 00 00 00 00 00 00 00 00 00 00 00 01
  88 00 26 30                # type 136, code 0, checksum
  20 00 00 00
  20 01 0d b8 00 10 00 00 a8 00 00 ff fe 00 00 10
  02 01 52 54 00 12 34 56`;

function announce(over: Partial<AnnounceSettings> = {}): AnnounceSettings {
  return { ...defaultSettings().announce, ...over };
}

describe('gratuitous ARP', () => {
  it('request form (default), byte for byte', () => {
    expect(toHex(frame(garpFrame(VM_IP, UPLINK_MAC)))).toBe(toHex(GARP_REQUEST));
    expect(toHex(frame(garpFrame(VM_IP, UPLINK_MAC, 'request')))).toBe(toHex(GARP_REQUEST));
  });

  it('reply form, byte for byte', () => {
    expect(toHex(frame(garpFrame(VM_IP, UPLINK_MAC, 'reply')))).toBe(toHex(GARP_REPLY));
  });

  it('decodes as an announcement: SPA = TPA, broadcast', () => {
    const f = value(decodeArpFrame(frame(garpFrame(VM_IP, UPLINK_MAC))));
    expect(f).toMatchObject(decodedAddresses({ op: 1, senderIp: VM_IP, targetIp: VM_IP, senderMac: UPLINK_MAC, dstMac: 'ff:ff:ff:ff:ff:ff' }));
  });

  it('reports a bad address or MAC instead of throwing', () => {
    expect(garpFrame('2001:db8::1', UPLINK_MAC).ok).toBe(false);
    expect(garpFrame(VM_IP, 'not-a-mac').ok).toBe(false);
  });
});

describe('unsolicited neighbor advertisement', () => {
  it('from the uplink link-local (default), byte for byte', () => {
    expect(toHex(frame(unaFrame(VM_EUI64, UPLINK_MAC)))).toBe(toHex(UNA));
    expect(unaSourceAddress(VM_EUI64, UPLINK_MAC)).toBe(UPLINK_LL);
  });

  it('from the target address when asked, byte for byte', () => {
    expect(toHex(frame(unaFrame(VM_EUI64, UPLINK_MAC, { source: 'target' })))).toBe(toHex(UNA_FROM_TARGET));
  });

  it('from a given link-local (an uplink with stable-privacy addresses)', () => {
    const f = value(decodeNdpFrame(frame(unaFrame(VM_EUI64, UPLINK_MAC, { linkLocal: 'fe80::1234' }))));
    expect(formatIpv6Address(f.frame.src)).toBe('fe80::1234');
    // linkLocal only matters for the link-local source.
    expect(unaSourceAddress(VM_EUI64, UPLINK_MAC, { source: 'target', linkLocal: 'fe80::1234' })).toBe(VM_EUI64);
  });

  it('fields: type 136, flags 0x20 only, hop limit 255, valid checksum, TLLAO = uplink MAC, to ff02::1', () => {
    for (const source of ['link-local', 'target'] as const) {
      const bytes = frame(unaFrame(VM_EUI64, UPLINK_MAC, { source }));
      expect(bytes.length).toBe(86);
      const icmp = bytes.subarray(54);
      expect(icmp[0]).toBe(136);
      expect(icmp[1]).toBe(0);
      expect(icmp[4]).toBe(0x20);
      expect(Array.from(icmp.subarray(5, 8))).toEqual([0, 0, 0]);
      expect(bytes[21]).toBe(255); // hop limit
      const d = value(decodeNdpFrame(bytes)); // verifies the checksum
      expect(d.frame).toMatchObject(decodedAddresses({ dst: 'ff02::1', dstMac: '33:33:00:00:00:01', srcMac: UPLINK_MAC, hopLimit: 255 }));
      expect(d.message).toEqual(decodedAddresses({
        type: 136,
        code: 0,
        router: false,
        solicited: false,
        override: true,
        target: VM_EUI64,
        options: [{ kind: 'target-link-layer', mac: UPLINK_MAC }],
      }));
      // Independent of the frame builder's checksum path:
      expect(icmpv6Checksum(icmp, d.frame.src, 'ff02::1')).toBe((icmp[2]! << 8) | icmp[3]!);
    }
  });

  it('reports a bad target instead of throwing', () => {
    expect(unaFrame('203.0.113.10', UPLINK_MAC).ok).toBe(false);
  });
});

describe('announcement plan', () => {
  const b = (over = {}) => binding6({ uplink: undefined, uplink6: undefined, ...over });

  it('defaults: 2 GARPs 2 s apart, 3 NAs 1 s apart, ordered by time, GARP first at 0', () => {
    const plan = announcementPlan(b(), announce({ uplink: 'eth0', uplink6: 'eth1' }));
    expect(plan).toEqual([
      { at: 0, kind: 'garp', interface: 'eth0', address: VM_IP },
      { at: 0, kind: 'una', interface: 'eth1', address: VM_EUI64 },
      { at: 1000, kind: 'una', interface: 'eth1', address: VM_EUI64 },
      { at: 2000, kind: 'garp', interface: 'eth0', address: VM_IP },
      { at: 2000, kind: 'una', interface: 'eth1', address: VM_EUI64 },
    ]);
  });

  it('follows arp_count × arp_interval and na_count × na_interval', () => {
    const plan = announcementPlan(b(), announce({ uplink: 'eth0', uplink6: 'eth0', arpCount: 3, arpInterval: 5, naCount: 1, naInterval: 7 }));
    expect(plan.map((a) => [a.at, a.kind])).toEqual([
      [0, 'garp'],
      [0, 'una'],
      [5000, 'garp'],
      [10000, 'garp'],
    ]);
    expect(announcementPlan(b(), announce({ uplink: 'eth0', uplink6: 'eth0', arpCount: 0, naCount: 0 }))).toEqual([]);
  });

  it("the binding's UPLINK / UPLINK6 override [announce]", () => {
    const plan = announcementPlan(b({ uplink: 'vlan222', uplink6: 'vlan666' }), announce({ uplink: 'eth0', uplink6: 'eth1' }));
    expect(new Set(plan.filter((a) => a.kind === 'garp').map((a) => a.interface))).toEqual(new Set(['vlan222']));
    expect(new Set(plan.filter((a) => a.kind === 'una').map((a) => a.interface))).toEqual(new Set(['vlan666']));
    // Per-binding uplinks alone are enough.
    expect(announcementPlan(b({ uplink: 'vlan222' }), announce()).map((a) => a.kind)).toEqual(['garp', 'garp']);
  });

  it('nothing for a family without an uplink or without an address', () => {
    expect(announcementPlan(b(), announce())).toEqual([]);
    expect(announcementPlan(b(), announce({ uplink: 'eth0' })).every((a) => a.kind === 'garp')).toBe(true);
    expect(announcementPlan(b(), announce({ uplink6: 'eth1' })).every((a) => a.kind === 'una')).toBe(true);
    expect(announcementPlan(b({ ip: undefined }), announce({ uplink: 'eth0', uplink6: 'eth1' })).map((a) => a.kind)).toEqual(['una', 'una', 'una']);
    expect(announcementPlan(b({ eui64: undefined }), announce({ uplink: 'eth0', uplink6: 'eth1' })).map((a) => a.kind)).toEqual(['garp', 'garp']);
    // An empty per-binding value is unset, not "no uplink".
    expect(announcementPlan(b({ uplink: '' }), announce({ uplink: 'eth0' }))[0]!.interface).toBe('eth0');
  });

  it('each planned item builds its frame, with arp_form from the settings', () => {
    const s = announce({ uplink: 'eth0', uplink6: 'eth1', arpForm: 'reply' });
    const plan = announcementPlan(b(), s);
    const garp = frame(announcementFrame(plan.find((a) => a.kind === 'garp')!, UPLINK_MAC, s));
    expect(toHex(garp)).toBe(toHex(GARP_REPLY));
    const una = frame(announcementFrame(plan.find((a) => a.kind === 'una')!, UPLINK_MAC, s));
    expect(toHex(una)).toBe(toHex(UNA));
    const una2 = frame(announcementFrame(plan.find((a) => a.kind === 'una')!, UPLINK_MAC, s, { source: 'target' }));
    expect(toHex(una2)).toBe(toHex(UNA_FROM_TARGET));
  });
});
