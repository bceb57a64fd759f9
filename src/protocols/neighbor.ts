/**
 * Neighbor Solicitation → Neighbor Advertisement (RFC 4861 §7.2.3,
 * §7.2.4, §7.2.8). Pure: a decision from the decoded NS, the frame it came
 * in, the tap's binding and the settings.
 *
 * onlinkd answers for the addresses the guest needs to reach through the
 * hypervisor, with the INDEV MAC:
 *  - the router link-local (fe80:: + EUI-64 of the INDEV MAC), the source
 *    of its RAs and so the guest's default router;
 *  - GATEWAY6;
 *  - with [ipv6] proxy_subnet (nfdhcpd's behaviour), any other address of
 *    SUBNET6: the RA says the /64 is on-link, so the guest resolves its
 *    neighbours directly, and the hypervisor routes for them (proxy ND).
 * and never for the guest's own addresses: not EUI64, not the target of an
 * NS whose source is the target itself (the guest probing or defending an
 * address it holds, e.g. a random-IID one onlinkd cannot know), and never a
 * DAD probe (source ::) — answering one would make the guest drop an
 * address as duplicate.
 *
 * The NA: R=1 (onlinkd is the router), S=1, O=1 for the router and
 * gateway addresses and O=0 for proxied ones (§7.2.8: a proxy must not
 * override the owner's own answer), target link-layer address = INDEV MAC,
 * unicast to the NS source at the frame's source MAC, and sent *from the
 * target address itself* (client-quirks.md: ndisc6 ignores an NA for a
 * global target that comes from a link-local source; the kernel accepts
 * both).
 */
import type { Binding } from '../bindings/binding.js';
import type { Ipv6FrameMeta } from '../wire/frame6.js';
import { Icmpv6Type } from '../wire/icmpv6.js';
import { IPV6_ND_HOP_LIMIT } from '../wire/ipv6.js';
import { ipv6PrefixMatch, isIpv6Multicast, parseIpv6Address } from '../wire/ipv6-address.js';
import { solicitedNodeAddress } from '../wire/ipv6-derive.js';
import type { NeighborSolicitation } from '../wire/ndp.js';
import { drop, type Drop } from './drop.js';
import type { NdpReply } from './ndp-frame.js';
import { routerLinkLocal, type Ipv6Settings } from './router-advert.js';

/** Which of onlinkd's addresses an NS was for. */
export type NeighborTarget = 'router-link-local' | 'gateway' | 'proxied';

export type NeighborDecision =
  | { kind: 'reply'; reply: NdpReply; target: NeighborTarget }
  /** Nothing to send; `reason` names the drop counter. */
  | Drop;

/**
 * Drops (reason = counter): 'ipv6-disabled'; 'bad-hop-limit' (≠ 255,
 * §7.1.1); 'bad-code' (≠ 0); 'multicast-target' (§7.1.1); 'bad-target'
 * (not an address); 'duplicate-address-detection' (source ::);
 * 'bad-source' (multicast or unparsable source); 'bad-destination'
 * (multicast destination other than the target's solicited-node group,
 * §7.1.1); 'self-solicitation' (source = target); 'vm-address' (target =
 * the binding's EUI64); 'not-ours' (any other target).
 */
export function respondNeighborSolicitation(
  ns: NeighborSolicitation,
  meta: Ipv6FrameMeta,
  binding: Binding,
  settings: Ipv6Settings,
  serverMac: string,
): NeighborDecision {
  if (!settings.enable) return drop('ipv6-disabled');
  if (meta.hopLimit !== IPV6_ND_HOP_LIMIT) return drop('bad-hop-limit');
  if (ns.code !== 0) return drop('bad-code');
  const target = parseIpv6Address(ns.target);
  if (!target) return drop('bad-target');
  if (isIpv6Multicast(target)) return drop('multicast-target');
  if (meta.src === '::') return drop('duplicate-address-detection');
  const src = parseIpv6Address(meta.src);
  if (!src || isIpv6Multicast(src)) return drop('bad-source');
  const dst = parseIpv6Address(meta.dst);
  if (!dst || (isIpv6Multicast(dst) && meta.dst !== solicitedNodeAddress(ns.target))) {
    return drop('bad-destination');
  }
  if (meta.src === ns.target) return drop('self-solicitation');
  if (binding.eui64 !== undefined && ns.target === binding.eui64) return drop('vm-address');

  let kind: NeighborTarget;
  if (ns.target === routerLinkLocal(serverMac)) kind = 'router-link-local';
  else if (binding.gateway6 !== undefined && ns.target === binding.gateway6) kind = 'gateway';
  else if (settings.proxySubnet && binding.subnet6 && inSubnet(target, binding.subnet6)) kind = 'proxied';
  else return drop('not-ours');

  return {
    kind: 'reply',
    target: kind,
    reply: {
      srcIp: ns.target,
      dstIp: meta.src,
      dstMac: meta.srcMac,
      message: {
        type: Icmpv6Type.NeighborAdvertisement,
        code: 0,
        router: true,
        solicited: true,
        override: kind !== 'proxied',
        target: ns.target,
        options: [{ kind: 'target-link-layer', mac: serverMac }],
      },
    },
  };
}

function inSubnet(address: Uint8Array, subnet: NonNullable<Binding['subnet6']>): boolean {
  const net = parseIpv6Address(subnet.network);
  return net !== undefined && ipv6PrefixMatch(address, 0, net, 0, subnet.prefixLength);
}
