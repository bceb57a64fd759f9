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
 *  - Cur Hop Limit 64, M and O by the tap's mode (MODE6, else [ipv6]
 *    mode; raFlags below): M=0 O=1 when stateless DHCPv6 is served
 *    ('slaac+dhcpv6' with DHCPv6 enabled, as always), M=1 O=1 in 'dhcpv6',
 *    O=0 otherwise; no RA at all in 'none' (drop 'mode-none'), router
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
 *    3 × ra_period (RFC 8106 §5.1: "SHOULD … at least 3 × MaxRtrAdvInterval");
 *    the PIO's A flag is off in 'dhcpv6' mode (RFC 4862 §5.5.3 a: no SLAAC
 *    address beside the DHCPv6 one);
 *  - when set (ra-extras.ts): a prefix being withdrawn (preferred lifetime
 *    0), ROUTES6 as Route Information, PREF64, the captive portal URI.
 *    A binding without them gets the RA it always got, octet for octet.
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
import { effectiveMode6 } from './ipv6-mode.js';
import { deprecatedPrefixOption, raExtraOptions, withdrawnOption, withdrawnValidLifetime, type DeprecatedPrefix } from './ra-extras.js';
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
  /** Prefixes the binding left, deprecated after its own (ra-extras.ts; runtime/prefix-withdrawals.ts keeps them). */
  deprecated?: readonly DeprecatedPrefix[];
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

/**
 * The RA's flags in a tap's mode (protocols/ipv6-mode.ts; RFC 4861 §4.2,
 * §4.6.2): `slaac+dhcpv6` M=0 O=1 A=1 (what onlinkd always said),
 * `dhcpv6` M=1 O=1 A=0 (the address comes from DHCPv6: with A off the guest
 * forms no SLAAC address beside it), `slaac` M=0 O=0 A=1. M and O are only
 * set when someone will answer the DHCPv6 they ask for (`enable_dhcpv6`).
 * `none` sends no RA (undefined).
 */
export function raFlags(binding: Pick<Binding, 'mode6'>, settings: Ipv6Settings): { managed: boolean; other: boolean; autonomous: boolean } | undefined {
  const mode = effectiveMode6(binding, settings);
  if (mode === 'none') return undefined;
  const dhcp = settings.enableDhcpv6;
  if (mode === 'dhcpv6') return { managed: dhcp, other: dhcp, autonomous: false };
  return { managed: false, other: dhcp && mode === 'slaac+dhcpv6', autonomous: true };
}

/** Whether a binding's tap gets RAs at all: IPv6 on, a SUBNET6 to advertise, a mode other than `none` (the RA scheduler and the tap lifecycle ask). */
export function advertises(binding: Pick<Binding, 'subnet6' | 'mode6'>, settings: Ipv6Settings): boolean {
  return settings.enable && binding.subnet6 !== undefined && effectiveMode6(binding, settings) !== 'none';
}

/** Whether the RA's O flag is set: only when someone will answer the Information-Request (the binding's mode, else [ipv6] mode). */
export function otherConfigFlag(settings: Ipv6Settings, binding: Pick<Binding, 'mode6'> = { mode6: undefined }): boolean {
  return raFlags(binding, settings)?.other ?? false;
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
  const flags = raFlags(binding, settings);
  if (!flags) return drop('mode-none');
  const valid = options.validLifetime ?? settings.validLifetime ?? DEFAULT_VALID_LIFETIME;
  const preferred = Math.min(options.preferredLifetime ?? settings.preferredLifetime ?? DEFAULT_PREFERRED_LIFETIME, valid);
  const dnsLifetime = dnsOptionLifetime(settings.raPeriod);
  const routerLifetime = options.routerLifetime ?? (settings.routerLifetime || defaultRouterLifetime(settings.raPeriod));

  const opts: NdpOption[] = [{ kind: 'source-link-layer', mac: serverMac }];
  if (binding.mtu !== undefined && binding.mtu >= IPV6_MIN_MTU) opts.push({ kind: 'mtu', mtu: binding.mtu });
  opts.push({
    kind: 'prefix',
    prefixLength: s6.prefixLength,
    onLink: true,
    autonomous: flags.autonomous && s6.prefixLength === 64,
    routerAddress: false,
    validLifetime: valid,
    preferredLifetime: preferred,
    // Masked and formatted once per binding (binding-addresses.ts); a network that does not parse throws, as it always did.
    prefix: bindingAddresses(binding).subnet6?.prefix ?? ipv6PrefixOf(s6.network, s6.prefixLength),
  });
  for (const d of options.deprecated ?? []) opts.push(deprecatedPrefixOption(d));
  const dns = binding.dns6 ?? settings.nameservers;
  if (dns.length > 0) opts.push({ kind: 'rdnss', lifetime: dnsLifetime, servers: [...dns] });
  const domains = searchDomains(binding, settings);
  if (domains.length > 0) opts.push({ kind: 'dnssl', lifetime: dnsLifetime, domains });
  // Only what is set: a binding without the issue-14 keys gets the RA it always got, octet for octet.
  if (binding.routes6.length > 0 || binding.pref64 || settings.pref64 || binding.captivePortal !== undefined) {
    opts.push(...raExtraOptions(binding, settings, routerLifetime));
  }

  return {
    kind: 'ra',
    srcIp: routerLinkLocalOctets(serverMac),
    message: {
      type: Icmpv6Type.RouterAdvertisement,
      code: 0,
      curHopLimit: options.curHopLimit ?? DEFAULT_CUR_HOP_LIMIT,
      managed: flags.managed,
      other: flags.other,
      homeAgent: false,
      preference: 'medium',
      routerLifetime,
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
 * the prefix is deprecated as RFC 9096 §3.3 says (preferred lifetime 0, so
 * the guest stops using its address for new connections at once; valid
 * lifetime `withdrawnValidLifetime`, at most two hours, what a host keeps
 * anyway, RFC 4862 §5.5.3 e), with A=1 whatever the mode (the address to
 * deprecate may be a SLAAC one); routes, PREF64 and the DNS options are
 * withdrawn (lifetime 0: ra-extras.ts withdrawnOption). Multicast to
 * ff02::1. Dropped when IPv6 is disabled or the mode is `none`, like the
 * periodic RA: nothing was advertised.
 */
export function finalRouterAdvertisement(binding: Binding, settings: Ipv6Settings, serverMac: string, deprecated?: readonly DeprecatedPrefix[]): NdpDecision {
  if (!settings.enable) return drop('ipv6-disabled');
  const ra = buildRouterAdvertisement(binding, settings, serverMac, { routerLifetime: 0, validLifetime: 0, preferredLifetime: 0, deprecated });
  if (ra.kind === 'drop') return ra;
  const s6 = ra.message.options.find((o) => o.kind === 'prefix');
  const own: DeprecatedPrefix | undefined = s6?.kind === 'prefix' ? { prefix: s6.prefix, prefixLength: s6.prefixLength, validLifetime: withdrawnValidLifetime(settings) } : undefined;
  const options = ra.message.options.map((o): NdpOption => (o === s6 && own ? deprecatedPrefixOption(own) : withdrawnOption(o)));
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
