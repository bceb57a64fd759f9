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
import { ipv6PrefixMatch, isIpv6Multicast, parseIpv6Into } from '../wire/ipv6-address.js';
import type { NeighborSolicitation } from '../wire/ndp.js';
import { bindingAddresses } from './binding-addresses.js';
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
  // The three addresses as octets, in a scratch buffer: no allocation per NS.
  if (!parseIpv6Into(ns.target, octets, TARGET)) return drop('bad-target');
  if (isIpv6Multicast(octets, TARGET)) return drop('multicast-target');
  if (meta.src === '::') return drop('duplicate-address-detection');
  if (!parseIpv6Into(meta.src, octets, SRC) || isIpv6Multicast(octets, SRC)) return drop('bad-source');
  if (!parseIpv6Into(meta.dst, octets, DST) || (isIpv6Multicast(octets, DST) && !isSolicitedNodeOfTarget())) {
    return drop('bad-destination');
  }
  if (meta.src === ns.target) return drop('self-solicitation');
  if (binding.eui64 !== undefined && ns.target === binding.eui64) return drop('vm-address');

  let kind: NeighborTarget;
  if (ns.target === routerLinkLocal(serverMac)) kind = 'router-link-local';
  else if (binding.gateway6 !== undefined && ns.target === binding.gateway6) kind = 'gateway';
  else if (settings.proxySubnet && inSubnet6(binding)) kind = 'proxied';
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

/** Target, source and destination of the NS being answered (one responder runs at a time). */
const octets = new Uint8Array(48);
const TARGET = 0;
const SRC = 16;
const DST = 32;

/** The destination is the target's solicited-node group, ff02::1:ffXX:XXXX (RFC 4291 §2.7.1). */
function isSolicitedNodeOfTarget(): boolean {
  for (let i = 0; i < 13; i++) if (octets[DST + i] !== SOLICITED_NODE_PREFIX[i]) return false;
  return octets[DST + 13] === octets[TARGET + 13] && octets[DST + 14] === octets[TARGET + 14] && octets[DST + 15] === octets[TARGET + 15];
}

/** ff02::1:ff00:0/104. */
const SOLICITED_NODE_PREFIX = Uint8Array.of(0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff);

/** The target is in the binding's SUBNET6 (its octets derived once per binding). */
function inSubnet6(binding: Binding): boolean {
  const s6 = bindingAddresses(binding).subnet6;
  return s6 !== undefined && ipv6PrefixMatch(octets, TARGET, s6.network, 0, s6.prefixLength);
}
