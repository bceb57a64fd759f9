/**
 * Router Advertisements (RFC 4861 §4.2, §6.2; RFC 4191; RFC 8106): what
 * onlinkd tells a guest about its link, built from the tap's binding. Pure:
 * no socket, no clock. The daemon owns the timing rules — the random
 * 0..0.5 s delay before a solicited RA and the 3 s spacing of multicast RAs
 * (§6.2.6), the initial burst and the periodic schedule (§6.2.4).
 *
 * Every RA says:
 *  - source: the router link-local address, fe80:: + the EUI-64 of the
 *    INDEV MAC (`serverMac`); hop limit 255 (§6.1.2);
 *  - Cur Hop Limit 64, M=0, O=1 when stateless DHCPv6 is served
 *    ('slaac+dhcpv6' with DHCPv6 enabled) and O=0 otherwise, router
 *    preference medium (RFC 4191: scapy, and so nfdhcpd, says High by
 *    accident), Reachable Time and Retrans Timer 0 (unspecified);
 *  - Router Lifetime 3 × ra_period, capped at RFC 4861's 9000 s (§6.2.1)
 *    unless the period itself is longer (see defaultRouterLifetime);
 *  - options: source link-layer address (the INDEV MAC, so the guest
 *    needs no NS for its router), MTU when the binding sets one of at least
 *    1280 (RFC 8200 §5: smaller is not an IPv6 link MTU, hosts ignore it),
 *    the binding's SUBNET6 as a Prefix Information option with L=1 and A=1
 *    (A only for a /64, the one length SLAAC works with on Ethernet,
 *    RFC 4862 §5.5.3 / RFC 2464 §4) and finite lifetimes (radvd's
 *    86400/14400 s, not scapy's infinite ones), RDNSS (binding DNS6, else
 *    [ipv6] nameservers) and DNSSL ([ipv6] domains) with lifetime
 *    3 × ra_period (RFC 8106 §5.1: "SHOULD … at least 3 × MaxRtrAdvInterval").
 */
import type { Binding } from '../bindings/binding.js';
import type { Settings } from '../config/config.js';
import type { Ipv6FrameMeta } from '../wire/frame6.js';
import { Icmpv6Type } from '../wire/icmpv6.js';
import { ALL_NODES_MAC, IPV6_ALL_NODES, IPV6_ND_HOP_LIMIT } from '../wire/ipv6.js';
import { formatIpv6Address, isIpv6Multicast, isIpv6Unspecified, ipv6PrefixOf } from '../wire/ipv6-address.js';
import { linkLocalOctetsFromMac } from '../wire/ipv6-derive.js';
import { bindingAddresses } from './binding-addresses.js';
import { NdpOptionType, hasNdpOption, type NdpOption, type RouterAdvertisement, type RouterSolicitation } from '../wire/ndp.js';
import type { NdpDecision } from './ndp-frame.js';
import { drop, type Drop } from './drop.js';

export type Ipv6Settings = Settings['ipv6'];

/** radvd's AdvValidLifetime / AdvPreferredLifetime defaults. */
export const DEFAULT_VALID_LIFETIME = 86400;
export const DEFAULT_PREFERRED_LIFETIME = 14400;
export const DEFAULT_CUR_HOP_LIMIT = 64;
/** AdvDefaultLifetime ceiling of RFC 4861 §6.2.1 (RFC 8319 raised it to 65535; many hosts' peers still clamp). */
export const RFC4861_MAX_ROUTER_LIFETIME = 9000;
/** Smallest IPv6 link MTU (RFC 8200 §5). */
export const IPV6_MIN_MTU = 1280;

export interface RouterAdvertOptions {
  /** Router Lifetime in seconds, 0..65535 (default `defaultRouterLifetime(raPeriod)`). */
  routerLifetime?: number;
  /** Cur Hop Limit advertised (default 64; 0 = unspecified). */
  curHopLimit?: number;
  /** PIO valid lifetime in seconds (default 86400). */
  validLifetime?: number;
  /** PIO preferred lifetime in seconds (default 14400; never above the valid lifetime). */
  preferredLifetime?: number;
}

/**
 * 3 × ra_period (RFC 4861 §6.2.1's default AdvDefaultLifetime), at most
 * 9000 s — unless ra_period alone exceeds 9000 s (legal since RFC 8319),
 * where that cap would let the router expire between two RAs (the lifetime
 * must be ≥ the period); then 3 × ra_period up to RFC 8319's 65535.
 */
export function defaultRouterLifetime(raPeriod: number): number {
  const three = 3 * raPeriod;
  if (three <= RFC4861_MAX_ROUTER_LIFETIME) return three;
  return raPeriod <= RFC4861_MAX_ROUTER_LIFETIME ? RFC4861_MAX_ROUTER_LIFETIME : Math.min(three, 0xffff);
}

/** RDNSS/DNSSL lifetime: 3 × ra_period (RFC 8106 §5.1), short of infinity (0xffffffff). */
export function dnsOptionLifetime(raPeriod: number): number {
  return Math.min(3 * raPeriod, 0xfffffffe);
}

/** The search list for DNSSL and DHCPv6 option 24: the binding's DOMAIN first, then [ipv6] domains. */
export function searchDomains(binding: Binding, settings: Ipv6Settings): string[] {
  const list = binding.domain ? [binding.domain, ...settings.domains] : [...settings.domains];
  return [...new Set(list.map((d) => d.replace(/\.$/, '').toLowerCase()))];
}

/** The address onlinkd's RAs, NAs and DHCPv6 replies come from: fe80:: + EUI-64 of the INDEV MAC (text, for control answers). */
export function routerLinkLocal(serverMac: string): string {
  return routerLinkLocalEntry(serverMac).text;
}

/** routerLinkLocal as 16 octets: what the responders compare with and the frame builders write. Never to be modified. */
export function routerLinkLocalOctets(serverMac: string): Uint8Array {
  return routerLinkLocalEntry(serverMac).octets;
}

function routerLinkLocalEntry(serverMac: string): { octets: Uint8Array; text: string } {
  let ll = routerLinkLocals.get(serverMac);
  if (ll === undefined) {
    const octets = linkLocalOctetsFromMac(serverMac);
    ll = { octets, text: formatIpv6Address(octets) };
    // One entry per INDEV MAC, which the host, not a guest, chooses; the bound is for churn over months.
    if (routerLinkLocals.size >= 65_536) routerLinkLocals.clear();
    routerLinkLocals.set(serverMac, ll);
  }
  return ll;
}

/** INDEV MAC → its link-local: needed for every RA, NA and DHCPv6 reply, so derived once per MAC. */
const routerLinkLocals = new Map<string, { octets: Uint8Array; text: string }>();

/** Whether the RA's O flag is set: only when someone will answer the Information-Request. */
export function otherConfigFlag(settings: Ipv6Settings): boolean {
  return settings.enableDhcpv6 && settings.mode === 'slaac+dhcpv6';
}

export type RouterAdvertBuild =
  | { kind: 'ra'; message: RouterAdvertisement; srcIp: Uint8Array }
  | Drop;

/**
 * The RA for a binding (values only; see ndp-frame.ts for the bytes).
 * Drops: 'no-subnet6' (nothing to advertise: the guest would get a
 * default route to a router that does not know its address).
 * `settings.enable` is the caller's business here (see the respond* and
 * *RouterAdvertisement helpers below, which check it).
 */
export function buildRouterAdvertisement(
  binding: Binding,
  settings: Ipv6Settings,
  serverMac: string,
  options: RouterAdvertOptions = {},
): RouterAdvertBuild {
  const s6 = binding.subnet6;
  if (!s6) return drop('no-subnet6');
  const valid = options.validLifetime ?? settings.validLifetime ?? DEFAULT_VALID_LIFETIME;
  const preferred = Math.min(options.preferredLifetime ?? settings.preferredLifetime ?? DEFAULT_PREFERRED_LIFETIME, valid);
  const dnsLifetime = dnsOptionLifetime(settings.raPeriod);

  const opts: NdpOption[] = [{ kind: 'source-link-layer', mac: serverMac }];
  if (binding.mtu !== undefined && binding.mtu >= IPV6_MIN_MTU) opts.push({ kind: 'mtu', mtu: binding.mtu });
  opts.push({
    kind: 'prefix',
    prefixLength: s6.prefixLength,
    onLink: true,
    autonomous: s6.prefixLength === 64,
    routerAddress: false,
    validLifetime: valid,
    preferredLifetime: preferred,
    // Masked and formatted once per binding (binding-addresses.ts); a network that does not parse throws, as it always did.
    prefix: bindingAddresses(binding).subnet6?.prefix ?? ipv6PrefixOf(s6.network, s6.prefixLength),
  });
  const dns = binding.dns6 ?? settings.nameservers;
  if (dns.length > 0) opts.push({ kind: 'rdnss', lifetime: dnsLifetime, servers: [...dns] });
  const domains = searchDomains(binding, settings);
  if (domains.length > 0) opts.push({ kind: 'dnssl', lifetime: dnsLifetime, domains });

  return {
    kind: 'ra',
    srcIp: routerLinkLocalOctets(serverMac),
    message: {
      type: Icmpv6Type.RouterAdvertisement,
      code: 0,
      curHopLimit: options.curHopLimit ?? DEFAULT_CUR_HOP_LIMIT,
      managed: false,
      other: otherConfigFlag(settings),
      homeAgent: false,
      preference: 'medium',
      routerLifetime: options.routerLifetime ?? (settings.routerLifetime || defaultRouterLifetime(settings.raPeriod)),
      reachableTime: 0,
      retransTimer: 0,
      options: opts,
    },
  };
}

/** An RA to all nodes (ff02::1 at 33:33:00:00:00:01): the initial and periodic RAs (§6.2.4). */
export function unsolicitedRouterAdvertisement(
  binding: Binding,
  settings: Ipv6Settings,
  serverMac: string,
  options?: RouterAdvertOptions,
): NdpDecision {
  if (!settings.enable) return drop('ipv6-disabled');
  const ra = buildRouterAdvertisement(binding, settings, serverMac, options);
  if (ra.kind === 'drop') return ra;
  return { kind: 'reply', reply: { message: ra.message, srcIp: ra.srcIp, dstIp: IPV6_ALL_NODES, dstMac: ALL_NODES_MAC } };
}

/**
 * The last RA for a binding that goes away (§6.2.5): Router Lifetime 0,
 * so the guest drops its default route now rather than in up to 9000 s;
 * the prefix is deprecated (preferred and valid lifetime 0 — hosts keep
 * the address for up to two more hours, RFC 4862 §5.5.3 e) and the DNS
 * options are withdrawn (lifetime 0, RFC 8106 §5.1). Multicast to ff02::1.
 * Dropped when IPv6 is disabled, like the periodic RA: nothing was advertised.
 */
export function finalRouterAdvertisement(binding: Binding, settings: Ipv6Settings, serverMac: string): NdpDecision {
  if (!settings.enable) return drop('ipv6-disabled');
  const ra = buildRouterAdvertisement(binding, settings, serverMac, { routerLifetime: 0, validLifetime: 0, preferredLifetime: 0 });
  if (ra.kind === 'drop') return ra;
  const options = ra.message.options.map((o): NdpOption => (o.kind === 'rdnss' || o.kind === 'dnssl' ? { ...o, lifetime: 0 } : o));
  return {
    kind: 'reply',
    reply: { message: { ...ra.message, options }, srcIp: ra.srcIp, dstIp: IPV6_ALL_NODES, dstMac: ALL_NODES_MAC },
  };
}

/**
 * The RA a binding's guest gets when it solicits one, kept with the settings
 * and INDEV MAC it was built from (bindings and settings are replaced, never
 * changed: identity says unchanged): a guest's RSs get the same message, so
 * its options are built once, not per RS. Shared: never modified.
 */
const solicitedRas = new WeakMap<Binding, { settings: Ipv6Settings; serverMac: string; ra: RouterAdvertBuild }>();

function solicitedRouterAdvertisement(binding: Binding, settings: Ipv6Settings, serverMac: string): RouterAdvertBuild {
  const hit = solicitedRas.get(binding);
  if (hit && hit.settings === settings && hit.serverMac === serverMac) return hit.ra;
  const ra = buildRouterAdvertisement(binding, settings, serverMac);
  solicitedRas.set(binding, { settings, serverMac, ra });
  return ra;
}

/**
 * The answer to a Router Solicitation from the guest on a bound tap:
 * unicast to the RS source at the frame's source MAC (§6.2.6 allows it
 * when the source is not ::), or to ff02::1 at 33:33:00:00:00:01 when the
 * source is ::. The guest's MAC is the Ethernet source, never derived from
 * its IPv6 source: Windows and RFC 7217 guests do not use EUI-64 ids.
 *
 * Drops (reason = counter): 'ipv6-disabled'; 'bad-hop-limit' (≠ 255,
 * §6.1.1); 'bad-code' (≠ 0); 'bad-source' (multicast source);
 * 'unspecified-source-with-sllao' (§6.1.1: an RS from :: must not carry a
 * source link-layer address option); 'no-subnet6'.
 */
export function respondRouterSolicitation(
  rs: RouterSolicitation,
  meta: Ipv6FrameMeta,
  binding: Binding,
  settings: Ipv6Settings,
  serverMac: string,
  options?: RouterAdvertOptions,
): NdpDecision {
  if (!settings.enable) return drop('ipv6-disabled');
  if (meta.hopLimit !== IPV6_ND_HOP_LIMIT) return drop('bad-hop-limit');
  if (rs.code !== 0) return drop('bad-code');
  const src = meta.src;
  if (src.length !== 16 || isIpv6Multicast(src)) return drop('bad-source');
  const unspecified = isIpv6Unspecified(src);
  if (unspecified && hasNdpOption(rs, NdpOptionType.SourceLinkLayerAddress)) {
    return drop('unspecified-source-with-sllao');
  }
  const ra = options ? buildRouterAdvertisement(binding, settings, serverMac, options) : solicitedRouterAdvertisement(binding, settings, serverMac);
  if (ra.kind === 'drop') return ra;
  return {
    kind: 'reply',
    reply: unspecified
      ? { message: ra.message, srcIp: ra.srcIp, dstIp: IPV6_ALL_NODES, dstMac: ALL_NODES_MAC }
      : { message: ra.message, srcIp: ra.srcIp, dstIp: meta.src, dstMac: meta.srcMac },
  };
}
