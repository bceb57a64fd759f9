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
 *  - the link-local service addresses of [nd] addresses (OpenStack's
 *    metadata service, fe80::a9fe:a9fe), on every bound tap, as [arp]
 *    addresses does for IPv4: the hypervisor serves them behind the tap.
 *    R=0 in their NA (a service, not a router: the guest's router list is
 *    not touched).
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
import { IPV6_ADDRESS_LENGTH, ipv6PrefixMatch, isIpv6Multicast, isIpv6Unspecified, parseIpv6Address, sameIpv6 } from '../wire/ipv6-address.js';
import type { NeighborSolicitation } from '../wire/ndp.js';
import { bindingAddresses } from './binding-addresses.js';
import { drop, type Drop } from './drop.js';
import type { NdpReply } from './ndp-frame.js';
import { routerLinkLocalOctets, type Ipv6Settings } from './router-advert.js';

/** Which of onlinkd's addresses an NS was for. */
export type NeighborTarget = 'router-link-local' | 'gateway' | 'link-local-service' | 'proxied';

export type NeighborDecision =
  | { kind: 'reply'; reply: NdpReply; target: NeighborTarget }
  /** Nothing to send; `reason` names the drop counter. */
  | Drop;

/**
 * The addresses are octets (the frame's, views valid during the call; the
 * binding's and the router link-local's, derived once) compared in place:
 * no string and no allocation per NS but the reply.
 *
 * Drops (reason = counter): 'ipv6-disabled'; 'bad-hop-limit' (≠ 255,
 * §7.1.1); 'bad-code' (≠ 0); 'bad-target' (not 16 octets); 'multicast-target'
 * (§7.1.1); 'duplicate-address-detection' (source ::);
 * 'bad-source' (multicast or not 16 octets); 'bad-destination'
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
  ndAddresses: readonly string[] = NO_ADDRESSES,
): NeighborDecision {
  if (!settings.enable) return drop('ipv6-disabled');
  const invalid = invalidSolicitation(ns, meta);
  if (invalid) return invalid;
  const { target } = ns;
  const { src, dst } = meta;
  if (dst.length !== IPV6_ADDRESS_LENGTH || (isIpv6Multicast(dst) && !isSolicitedNodeOf(dst, target))) {
    return drop('bad-destination');
  }
  if (sameIpv6(src, 0, target, 0)) return drop('self-solicitation');
  const own = bindingAddresses(binding);
  if (own.eui64 !== undefined && sameIpv6(target, 0, own.eui64, 0)) return drop('vm-address');

  let kind: NeighborTarget;
  if (sameIpv6(target, 0, routerLinkLocalOctets(serverMac), 0)) kind = 'router-link-local';
  else if (own.gateway6 !== undefined && sameIpv6(target, 0, own.gateway6, 0)) kind = 'gateway';
  else if (ndAddresses.length > 0 && isServiceAddress(target, ndAddresses)) kind = 'link-local-service';
  else if (settings.proxySubnet && own.subnet6 !== undefined && ipv6PrefixMatch(target, 0, own.subnet6.network, 0, own.subnet6.prefixLength)) {
    kind = 'proxied';
  } else return drop('not-ours');

  return {
    kind: 'reply',
    target: kind,
    reply: {
      // Views into the NS: the frame is built before the next one is read.
      srcIp: target,
      dstIp: src,
      dstMac: meta.srcMac,
      message: {
        type: Icmpv6Type.NeighborAdvertisement,
        code: 0,
        router: kind !== 'link-local-service',
        solicited: true,
        override: kind !== 'proxied',
        target,
        options: [{ kind: 'target-link-layer', mac: serverMac }],
      },
    },
  };
}

/**
 * The checks every NS must pass whoever answers it (here for the taps,
 * uplink-proxy.ts for the uplinks), in this order: hop limit 255 and code 0
 * (RFC 4861 §7.1.1), a 16-octet unicast target, a source that is neither
 * :: (DAD, never answered) nor multicast. The destination is the caller's:
 * what may be addressed differs (a tap: any unicast; an uplink: the target).
 */
export function invalidSolicitation(ns: NeighborSolicitation, meta: Pick<Ipv6FrameMeta, 'src' | 'hopLimit'>): Drop | undefined {
  if (meta.hopLimit !== IPV6_ND_HOP_LIMIT) return drop('bad-hop-limit');
  if (ns.code !== 0) return drop('bad-code');
  const { target } = ns;
  const { src } = meta;
  if (target.length !== IPV6_ADDRESS_LENGTH) return drop('bad-target');
  if (isIpv6Multicast(target)) return drop('multicast-target');
  if (src.length === IPV6_ADDRESS_LENGTH && isIpv6Unspecified(src)) return drop('duplicate-address-detection');
  if (src.length !== IPV6_ADDRESS_LENGTH || isIpv6Multicast(src)) return drop('bad-source');
  return undefined;
}

const NO_ADDRESSES: readonly string[] = [];

/** [nd] addresses as octets, kept per (immutable, replaced on reload) settings array: parsed once, not per NS. */
const serviceOctets = new WeakMap<readonly string[], Uint8Array[]>();

function isServiceAddress(target: Uint8Array, addresses: readonly string[]): boolean {
  let list = serviceOctets.get(addresses);
  if (!list) serviceOctets.set(addresses, (list = addresses.map(parseIpv6Address).filter((b): b is Uint8Array => b !== undefined)));
  for (const a of list) if (sameIpv6(target, 0, a, 0)) return true;
  return false;
}

/** `dst` is `target`'s solicited-node group, ff02::1:ffXX:XXXX (RFC 4291 §2.7.1). */
export function isSolicitedNodeOf(dst: Uint8Array, target: Uint8Array): boolean {
  for (let i = 0; i < 13; i++) if (dst[i] !== SOLICITED_NODE_PREFIX[i]) return false;
  return dst[13] === target[13] && dst[14] === target[14] && dst[15] === target[15];
}

/** ff02::1:ff00:0/104. */
const SOLICITED_NODE_PREFIX = Uint8Array.of(0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff);
