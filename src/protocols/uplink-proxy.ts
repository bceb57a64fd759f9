/**
 * The uplink proxy (pure): on a routed hypervisor (README "Routed
 * hypervisors", `[routing] manage`) the upstream router treats the VMs'
 * addresses as on-link on its side and resolves them with ARP and NS on
 * the segment the hypervisor's uplink is on. onlinkd answers those, with
 * the uplink's MAC, for exactly the addresses of VMs bound on this host
 * and routed to their taps (`ProxiedAddresses`, built by proxied-addresses.ts
 * from the bindings whose taps are present and up) — never for anything
 * else routable (kernel proxy_arp answers for every address the host has a
 * route to through another interface: the LVS lesson in shared/seeds, where
 * a router cached the wrong owner). A VM unbound here (migrated away) is
 * no longer in the index, so it is not answered from that moment.
 *
 * ARP (RFC 826): answered is a request, broadcast or to the uplink MAC,
 * from a real sender address, whose TPA is a proxied address. The reply is
 * unicast to the requester's SHA: op 2, SHA = uplink MAC, SPA = TPA.
 * Drops: 'not-request', 'bad-sender-mac' (group SHA), 'other-destination'
 * (unicast to another MAC: the socket sees those when the NIC is
 * promiscuous), 'probe' (SPA 0.0.0.0: RFC 5227 probes are answered by the
 * owner of a local address only, as Linux does), 'announcement' (SPA =
 * TPA), 'bad-sender-ip' (multicast or broadcast SPA), 'not-bound'.
 *
 * NS (RFC 4861 §7.1.1 validity, §7.2.3-4 answer, §7.2.8 proxy): hop limit
 * 255, code 0, unicast target, a unicast source (a DAD probe, source ::,
 * is not answered: the address is the VM's, defended by its announcement,
 * and an answer would only make an upstream host give an address up), to
 * the target's solicited-node group or to the target itself (a router's
 * unicast reachability probe). The NA: R=0 (the VM is a host as far as
 * this segment knows), S=1, O=0 (§7.2.8: a proxy never overrides; the
 * binding's announcement, an unsolicited NA with O=1, is what moves a
 * migrated VM's entry), target link-layer address = uplink MAC, from the
 * target address (neighbor.ts: ndisc6 ignores an NA for a global target
 * from a link-local source), unicast to the NS source at its Ethernet
 * source.
 */
import { BROADCAST_MAC48, isGroupMac48, type Mac48 } from '../wire/addr.js';
import { ArpOp, type ArpFrame } from '../wire/arp.js';
import type { Ipv6Frame } from '../wire/frame6.js';
import { Icmpv6Type } from '../wire/icmpv6.js';
import { IPV6_ADDRESS_LENGTH, isIpv6Multicast, sameIpv6 } from '../wire/ipv6-address.js';
import type { NeighborSolicitation } from '../wire/ndp.js';
import type { ArpReply } from './arp.js';
import { drop, type Drop } from './drop.js';
import { invalidSolicitation, isSolicitedNodeOf } from './neighbor.js';
import type { NdpReply } from './ndp-frame.js';

/** What one uplink answers for: each proxied address with the tap it is routed to. */
export interface ProxiedAddresses {
  /** IPv4 as uint32 → tap. */
  readonly v4: ReadonlyMap<number, string>;
  /** IPv6 as `ipv6Key` → tap. */
  readonly v6: ReadonlyMap<string, string>;
}

/** The uplink's MAC, as a number (compared with frames) and as text (the NA's option), made once per uplink. */
export interface UplinkMac {
  readonly value: Mac48;
  readonly text: string;
}

export type UplinkArpDecision = { kind: 'reply'; reply: ArpReply; tap: string } | Drop;
export type UplinkNsDecision = { kind: 'reply'; reply: NdpReply; tap: string } | Drop;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** 16 octets as 32 hex digits: the v6 index key (the text form would need formatting per NS). */
export function ipv6Key(a: Uint8Array, off = 0): string {
  let s = '';
  for (let i = 0; i < IPV6_ADDRESS_LENGTH; i++) s += HEX[a[off + i]!];
  return s;
}

const isMulticastOrBroadcastIpv4 = (a: number): boolean => a >>> 28 === 0xe || a === 0xffffffff;

export function respondUplinkArp(arp: ArpFrame, proxied: ProxiedAddresses, uplink: UplinkMac): UplinkArpDecision {
  if (arp.op !== ArpOp.Request) return drop('not-request');
  if (isGroupMac48(arp.senderMac)) return drop('bad-sender-mac');
  if (arp.dstMac !== BROADCAST_MAC48 && arp.dstMac !== uplink.value) return drop('other-destination');
  if (arp.senderIp === 0) return drop('probe');
  if (arp.senderIp === arp.targetIp) return drop('announcement');
  if (isMulticastOrBroadcastIpv4(arp.senderIp)) return drop('bad-sender-ip');
  const tap = proxied.v4.get(arp.targetIp);
  if (tap === undefined) return drop('not-bound');
  return {
    kind: 'reply',
    tap,
    reply: {
      dstMac: arp.senderMac,
      arp: { op: ArpOp.Reply, senderMac: uplink.value, senderIp: arp.targetIp, targetMac: arp.senderMac, targetIp: arp.senderIp },
    },
  };
}

/** `frame`: the NS's decoded frame (addresses are views into it: build the reply before the next frame). */
export function respondUplinkNs(ns: NeighborSolicitation, frame: Pick<Ipv6Frame, 'srcMac' | 'dstMac' | 'src' | 'dst' | 'hopLimit'>, proxied: ProxiedAddresses, uplink: UplinkMac): UplinkNsDecision {
  const invalid = invalidSolicitation(ns, frame);
  if (invalid) return invalid;
  const { target } = ns;
  const { src, dst } = frame;
  if (dst.length !== IPV6_ADDRESS_LENGTH || (isIpv6Multicast(dst) ? !isSolicitedNodeOf(dst, target) : !sameIpv6(dst, 0, target, 0))) {
    return drop('bad-destination');
  }
  if (!isGroupMac48(frame.dstMac) && frame.dstMac !== uplink.value) return drop('other-destination');
  if (sameIpv6(src, 0, target, 0)) return drop('self-solicitation');
  const tap = proxied.v6.get(ipv6Key(target));
  if (tap === undefined) return drop('not-bound');
  return {
    kind: 'reply',
    tap,
    reply: {
      srcIp: target,
      dstIp: src,
      dstMac: frame.srcMac,
      message: {
        type: Icmpv6Type.NeighborAdvertisement,
        code: 0,
        router: false,
        solicited: true,
        override: false,
        target,
        options: [{ kind: 'target-link-layer', mac: uplink.text }],
      },
    },
  };
}
