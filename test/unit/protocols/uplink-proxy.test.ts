/**
 * The uplink proxy's responder (src/protocols/uplink-proxy.ts) on what a
 * real upstream router sends (test/fixtures/linux-router-*.pcap,
 * arping-request.pcap: the Linux kernel resolving a routed VM's address,
 * its unicast reachability probes, busybox arping) and on each rule of the
 * module comment: every drop is tested with a frame that would be answered
 * without that check (its target is in the index), so removing a check
 * fails its test.
 */
import { describe, expect, it } from 'vitest';
import { arpReplyFrame } from '../../../src/protocols/arp.js';
import { ndpReplyFrame } from '../../../src/protocols/ndp-frame.js';
import { ipv6Key, respondUplinkArp, respondUplinkNs, type ProxiedAddresses, type UplinkArpDecision, type UplinkNsDecision } from '../../../src/protocols/uplink-proxy.js';
import { decodeArpFrame, type ArpFrame } from '../../../src/wire/arp.js';
import { decodeNdpFrame, type Ipv6Frame } from '../../../src/wire/frame6.js';
import { solicitedNodeAddress } from '../../../src/wire/ipv6-derive.js';
import type { NeighborAdvertisement, NeighborSolicitation } from '../../../src/wire/ndp.js';
import { fixtureFrame } from '../../helpers/pcap.js';
import { decodedAddresses, hex, ip4, ip6, mac48, value } from '../wire/helpers.js';

/** The hypervisor uplink's MAC: the fixtures' unicast probes go to it (test/fixtures/README.md). */
const UPLINK_MAC = 'fe:00:00:00:00:40';
const UPLINK = { value: mac48(UPLINK_MAC), text: UPLINK_MAC };
/** The router (the fixtures' sender). */
const ROUTER_MAC = 'aa:00:00:00:00:10';
const ROUTER4 = '203.0.113.1';
const ROUTER6 = '2001:db8:40::1';
const ROUTER_LL = 'fe80::a800:ff:fe00:10';
/** The routed VM the fixtures ask for. */
const VM4 = '203.0.113.40';
const VM6 = '2001:db8:40:0:a800:ff:fe00:40';

const index = (v4: Record<string, string>, v6: Record<string, string>): ProxiedAddresses => ({
  v4: new Map(Object.entries(v4).map(([a, t]) => [ip4(a), t])),
  v6: new Map(Object.entries(v6).map(([a, t]) => [ipv6Key(ip6(a)), t])),
});
const PROXIED = index({ [VM4]: 'tap40', '203.0.113.41': 'tap41' }, { [VM6]: 'tap40' });

const arpFixture = (name: string): ArpFrame => value(decodeArpFrame(fixtureFrame(name)));
function nsFixture(name: string): { ns: NeighborSolicitation; frame: Ipv6Frame } {
  const d = value(decodeNdpFrame(fixtureFrame(name)));
  if (d.message.type !== 135) throw new Error(`${name}: not an NS`);
  return { ns: d.message, frame: d.frame };
}

const reason = (d: UplinkArpDecision | UplinkNsDecision): string => (d.kind === 'drop' ? d.reason : `reply:${d.tap}`);

/** The kernel's ARP reply to the router for VM4, as the uplink sends it (60 B: padded to the Ethernet minimum). */
const ARP_REPLY = hex`
  aa 00 00 00 00 10  fe 00 00 00 00 40  08 06   # to the requester, from the uplink; ARP
  00 01 08 00 06 04  00 02                      # Ethernet/IPv4, reply
  fe 00 00 00 00 40  cb 00 71 28                # SHA = uplink MAC, SPA = 203.0.113.40 (the asked address)
  aa 00 00 00 00 10  cb 00 71 01                # THA/TPA = the requester
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00`;

/**
 * The NA to the kernel's multicast NS (checksum 5e f5 checked independently:
 * tcpdump -vv reports "icmp6 sum ok" for this frame).
 */
const NA_REPLY = hex`
  aa 00 00 00 00 10  fe 00 00 00 00 40  86 dd   # to the NS's Ethernet source, from the uplink
  60 00 00 00 00 20 3a ff                        # payload 32, ICMPv6, hop limit 255
  20 01 0d b8 00 40 00 00 a8 00 00 ff fe 00 00 40   # src: the target itself
  20 01 0d b8 00 40 00 00 00 00 00 00 00 00 00 01   # dst: the NS's source
  88 00 5e f5  40 00 00 00                      # NA, checksum, R=0 S=1 O=0
  20 01 0d b8 00 40 00 00 a8 00 00 ff fe 00 00 40   # target
  02 01 fe 00 00 00 00 40                       # TLLAO = uplink MAC`;

describe('uplink proxy: ARP requests from real senders', () => {
  it.each(['linux-router-arp-request', 'linux-router-arp-probe', 'arping-request'])('%s: answered byte for byte for the routed VM', (name) => {
    const d = respondUplinkArp(arpFixture(name), PROXIED, UPLINK);
    if (d.kind !== 'reply') throw new Error(`expected a reply, got ${d.reason}`);
    expect(d.tap).toBe('tap40');
    const f = arpReplyFrame(d.reply, UPLINK.value);
    if (!f.ok) throw new Error(f.error);
    expect(f.frame).toEqual(ARP_REPLY);
    // And field by field, as the router reads it.
    expect(value(decodeArpFrame(f.frame))).toEqual(decodedAddresses({
      op: 2, srcMac: UPLINK_MAC, dstMac: ROUTER_MAC, senderMac: UPLINK_MAC, senderIp: VM4, targetMac: ROUTER_MAC, targetIp: ROUTER4,
    }));
  });

  it('the fixtures are what they claim: broadcast / unicast to the uplink, THA zero (kernel) or broadcast (arping)', () => {
    expect(arpFixture('linux-router-arp-request')).toMatchObject(decodedAddresses({ op: 1, dstMac: 'ff:ff:ff:ff:ff:ff', targetMac: '00:00:00:00:00:00', senderIp: ROUTER4, targetIp: VM4 }));
    expect(arpFixture('linux-router-arp-probe')).toMatchObject(decodedAddresses({ op: 1, dstMac: UPLINK_MAC, targetMac: '00:00:00:00:00:00', targetIp: VM4 }));
    expect(arpFixture('arping-request')).toMatchObject(decodedAddresses({ op: 1, dstMac: 'ff:ff:ff:ff:ff:ff', targetMac: 'ff:ff:ff:ff:ff:ff', targetIp: VM4 }));
  });

  it('another proxied address on the same uplink is answered for its own tap; one not in the index is not', () => {
    const req = arpFixture('linux-router-arp-request');
    expect(reason(respondUplinkArp({ ...req, targetIp: ip4('203.0.113.41') }, PROXIED, UPLINK))).toBe('reply:tap41');
    expect(reason(respondUplinkArp({ ...req, targetIp: ip4('203.0.113.42') }, PROXIED, UPLINK))).toBe('not-bound');
    expect(reason(respondUplinkArp(req, index({}, {}), UPLINK))).toBe('not-bound');
    // The VM's IPv6 address is in the index, but never answered over ARP (no cross-family leaks).
    expect(reason(respondUplinkArp(req, index({}, { [VM6]: 'tap40' }), UPLINK))).toBe('not-bound');
  });
});

describe('uplink proxy: ARP drops (each would be answered without its check)', () => {
  const req = arpFixture('linux-router-arp-request');
  it.each<[string, Partial<ArpFrame>, string]>([
    ['a reply (op 2)', { op: 2 }, 'not-request'],
    ['another operation (RARP request, op 3)', { op: 3 }, 'not-request'],
    ['a group sender MAC', { senderMac: mac48('01:00:5e:00:00:01') }, 'bad-sender-mac'],
    ['the broadcast sender MAC', { senderMac: mac48('ff:ff:ff:ff:ff:ff') }, 'bad-sender-mac'],
    ['unicast to another MAC (promiscuous NIC)', { dstMac: mac48('fe:00:00:00:00:41') }, 'other-destination'],
    ['unicast to a group MAC other than broadcast', { dstMac: mac48('01:00:5e:00:00:01') }, 'other-destination'],
    ['a probe (SPA 0.0.0.0, RFC 5227)', { senderIp: 0 }, 'probe'],
    ['an announcement (SPA = TPA)', { senderIp: ip4(VM4) }, 'announcement'],
    ['a multicast sender address', { senderIp: ip4('224.0.0.1') }, 'bad-sender-ip'],
    ['the top of the multicast range', { senderIp: ip4('239.255.255.255') }, 'bad-sender-ip'],
    ['the broadcast sender address', { senderIp: ip4('255.255.255.255') }, 'bad-sender-ip'],
    ['an address not bound here', { targetIp: ip4('203.0.113.42') }, 'not-bound'],
  ])('%s: %s', (_what, over, why) => {
    expect(reason(respondUplinkArp({ ...req, ...over }, PROXIED, UPLINK))).toBe(why);
  });

  it('the edges of the checks: a class E sender below broadcast and the unicast to the uplink itself are answered', () => {
    expect(reason(respondUplinkArp({ ...req, senderIp: ip4('240.0.0.1') }, PROXIED, UPLINK))).toBe('reply:tap40');
    expect(reason(respondUplinkArp({ ...req, senderIp: ip4('223.255.255.255') }, PROXIED, UPLINK))).toBe('reply:tap40');
    expect(reason(respondUplinkArp({ ...req, dstMac: UPLINK.value }, PROXIED, UPLINK))).toBe('reply:tap40');
  });
});

/** The NA of a reply decision, with its frame built and decoded again (the checksum is verified by the decoder). */
function advertised(d: UplinkNsDecision) {
  if (d.kind !== 'reply') throw new Error(`expected a reply, got ${d.reason}`);
  const f = ndpReplyFrame(d.reply, UPLINK.text);
  if (!f.ok) throw new Error(f.error);
  const back = value(decodeNdpFrame(f.frame));
  return { tap: d.tap, bytes: f.frame, frame: back.frame, na: back.message as NeighborAdvertisement };
}

describe('uplink proxy: NS from real senders', () => {
  it('the kernel NS to the solicited-node group: answered byte for byte', () => {
    const { ns, frame } = nsFixture('linux-router-ns');
    const r = advertised(respondUplinkNs(ns, frame, PROXIED, UPLINK));
    expect(r.tap).toBe('tap40');
    expect(r.bytes).toEqual(NA_REPLY);
  });

  it.each<[string, string]>([['linux-router-ns', ROUTER6], ['linux-router-ns-unicast', ROUTER_LL]])(
    '%s: NA R=0 S=1 O=0, TLLAO = uplink MAC, from the target to the NS source at its MAC, hop limit 255',
    (name, source) => {
      const { ns, frame } = nsFixture(name);
      const r = advertised(respondUplinkNs(ns, frame, PROXIED, UPLINK));
      expect(r.frame).toMatchObject(decodedAddresses({ srcMac: UPLINK_MAC, dstMac: ROUTER_MAC, src: VM6, dst: source, hopLimit: 255 }));
      expect(r.na).toEqual(decodedAddresses({
        type: 136, code: 0, router: false, solicited: true, override: false, target: VM6,
        options: [{ kind: 'target-link-layer', mac: UPLINK_MAC }],
      }));
    },
  );

  it('the fixtures are what they claim: to the solicited-node group from the global; unicast to the target at the uplink from the link-local', () => {
    expect(nsFixture('linux-router-ns').frame).toMatchObject(decodedAddresses({ dstMac: '33:33:ff:00:00:40', src: ROUTER6, dst: 'ff02::1:ff00:40', hopLimit: 255 }));
    expect(nsFixture('linux-router-ns-unicast').frame).toMatchObject(decodedAddresses({ dstMac: UPLINK_MAC, src: ROUTER_LL, dst: VM6, hopLimit: 255 }));
  });

  it('the VM\'s IPv4 address in the index does not answer an NS (no cross-family leaks)', () => {
    const { ns, frame } = nsFixture('linux-router-ns');
    expect(reason(respondUplinkNs(ns, frame, index({ [VM4]: 'tap40' }, {}), UPLINK))).toBe('not-bound');
  });
});

describe('uplink proxy: NS drops (each would be answered without its check)', () => {
  const base = nsFixture('linux-router-ns');
  type FrameOver = Partial<{ srcMac: string; dstMac: string; src: string; dst: string; hopLimit: number }>;
  /** The fixture NS with some fields replaced (addresses as text); a replaced `target` is put in the index too. */
  function decide(o: { ns?: Partial<NeighborSolicitation>; frame?: FrameOver; target?: string } = {}): string {
    const ns: NeighborSolicitation = { ...base.ns, ...o.ns, ...(o.target ? { target: ip6(o.target) } : {}) };
    const frame = { ...base.frame, ...decodedAddresses(o.frame ?? {}) } as Ipv6Frame;
    const proxied = o.target ? index({}, { [VM6]: 'tap40', [o.target]: 'tap99' }) : PROXIED;
    return reason(respondUplinkNs(ns, frame, proxied, UPLINK));
  }

  it('the unchanged fixture is answered (the control for every row below)', () => expect(decide()).toBe('reply:tap40'));

  it.each<[string, Parameters<typeof decide>[0], string]>([
    ['hop limit 254 (from beyond a router, RFC 4861 §7.1.1)', { frame: { hopLimit: 254 } }, 'bad-hop-limit'],
    ['hop limit 64', { frame: { hopLimit: 64 } }, 'bad-hop-limit'],
    ['code 1', { ns: { code: 1 } }, 'bad-code'],
    ['a multicast target (even one in the index)', { target: 'ff02::1:ff00:40', frame: { dst: solicitedNodeAddress('ff02::1:ff00:40') } }, 'multicast-target'],
    ['DAD (source ::, RFC 4862 §5.4.3)', { frame: { src: '::' } }, 'duplicate-address-detection'],
    ['a multicast source', { frame: { src: 'ff02::1' } }, 'bad-source'],
    ['to all-nodes instead of the target\'s group', { frame: { dst: 'ff02::1' } }, 'bad-destination'],
    ['to another address\'s solicited-node group', { frame: { dst: 'ff02::1:ff00:41' } }, 'bad-destination'],
    ['unicast to another address than the target', { frame: { dst: '2001:db8:40::41', dstMac: UPLINK_MAC } }, 'bad-destination'],
    ['unicast Ethernet to another MAC (promiscuous NIC)', { frame: { dstMac: 'fe:00:00:00:00:41' } }, 'other-destination'],
    ['a self-solicitation (source = target)', { frame: { src: VM6 } }, 'self-solicitation'],
  ])('%s: %s', (_what, o, why) => expect(decide(o)).toBe(why));

  it('not-bound: a target outside the index, also one bound on another uplink (not in this one\'s index)', () => {
    const ns = { ...base.ns, target: ip6('2001:db8:40::42') };
    const frame = { ...base.frame, dst: ip6('ff02::1:ff00:42') };
    expect(reason(respondUplinkNs(ns, frame, PROXIED, UPLINK))).toBe('not-bound');
    expect(reason(respondUplinkNs(base.ns, base.frame, index({}, {}), UPLINK))).toBe('not-bound');
  });

  it('a target of the wrong length is refused, not looked up', () => {
    expect(reason(respondUplinkNs({ ...base.ns, target: ip6(VM6).subarray(0, 15) }, base.frame, PROXIED, UPLINK))).toBe('bad-target');
  });

  it('unicast to the target itself at the uplink MAC is answered (the NUD probe), and the group MAC for the group', () => {
    expect(decide({ frame: { dst: VM6, dstMac: UPLINK_MAC } })).toBe('reply:tap40');
    expect(decide({ frame: { dstMac: '33:33:ff:00:00:40' } })).toBe('reply:tap40');
  });
});
