/**
 * What an RA carries beyond its prefix and DNS options (issue 14), as ND
 * option values: the binding's routes (ROUTES6, RFC 4191 §2.3), the NAT64
 * prefix (PREF64 / `[ipv6] pref64`, RFC 8781 §4), the captive portal URI
 * (CAPTIVE_PORTAL, RFC 8910 §2.3) and a prefix being withdrawn (RFC 9096
 * §3.3). Pure; router-advert.ts puts them in the RA, in that order after
 * the prefix. The room they take is reserved in reply-limits.ts, so an RA
 * that carries all of them still fits 1280 octets.
 */
import type { Binding } from '../bindings/binding.js';
import type { Settings } from '../config/config.js';
import { PREF64_MAX_SCALED_LIFETIME, type NdpOption, type Pref64Length } from '../wire/ndp.js';

type Ipv6Settings = Settings['ipv6'];

/**
 * The two hours of RFC 4862 §5.5.3 e): a withdrawn prefix is advertised
 * with preferred lifetime 0 (the guest stops choosing its addresses for new
 * connections at once) and a valid lifetime of at most this, counted down
 * (RFC 9096 §3.3: "the lower of the current Valid Lifetime and two hours
 * (which must be decremented in real time)"): a host keeps the address for
 * what is left of it, never longer, and running connections are not cut.
 */
export const WITHDRAWN_VALID_LIFETIME_CAP = 7200;

/** A prefix a binding advertised and no longer does: sent with preferred lifetime 0 and this valid lifetime (seconds). */
export interface DeprecatedPrefix {
  readonly prefix: string;
  readonly prefixLength: number;
  readonly validLifetime: number;
}

/** The valid lifetime a withdrawn prefix starts from: `[ipv6] valid_lifetime`, at most two hours. */
export function withdrawnValidLifetime(settings: Pick<Ipv6Settings, 'validLifetime'>): number {
  return Math.min(settings.validLifetime, WITHDRAWN_VALID_LIFETIME_CAP);
}

/**
 * The PIO that deprecates `d`: L=1 while it is valid, and A=1 for a /64
 * whatever the tap's mode — a host applies a PIO's lifetimes to its SLAAC
 * addresses only when A is set (RFC 4862 §5.5.3 a), and the address to
 * deprecate may come from an earlier mode.
 */
export function deprecatedPrefixOption(d: DeprecatedPrefix): NdpOption {
  return {
    kind: 'prefix',
    prefixLength: d.prefixLength,
    onLink: true,
    autonomous: d.prefixLength === 64,
    routerAddress: false,
    validLifetime: d.validLifetime,
    preferredLifetime: 0,
    prefix: d.prefix,
  };
}

/**
 * PREF64's lifetime in seconds (RFC 8781 §4): by default 3 × MaxRtrAdvInterval
 * (ra_period), and never shorter than the Router Lifetime, so a guest never
 * holds a default router whose NAT64 prefix expired; rounded up to the 8 s
 * unit, at most 8191 units (65528 s), at least one unit when nonzero (§4).
 */
export function pref64Lifetime(routerLifetime: number, raPeriod: number): number {
  const seconds = Math.max(routerLifetime, 3 * raPeriod);
  return Math.min(Math.max(Math.ceil(seconds / 8), seconds > 0 ? 1 : 0), PREF64_MAX_SCALED_LIFETIME) * 8;
}

/**
 * ROUTES6, PREF64 (binding, else `[ipv6] pref64`) and CAPTIVE_PORTAL as ND
 * options. Route lifetime = the RA's Router Lifetime (RFC 4191 §2.3 leaves it
 * to the router; tied, a route through onlinkd lives as long as onlinkd is
 * the guest's router, and a final RA's 0 withdraws both at once).
 */
export function raExtraOptions(binding: Binding, settings: Ipv6Settings, routerLifetime: number): NdpOption[] {
  const out: NdpOption[] = [];
  for (const r of binding.routes6) {
    out.push({ kind: 'route', prefixLength: r.prefixLength, preference: r.preference, lifetime: routerLifetime, prefix: r.network });
  }
  const nat64 = binding.pref64 ?? settings.pref64;
  if (nat64) {
    out.push({
      kind: 'pref64',
      scaledLifetime: pref64Lifetime(routerLifetime, settings.raPeriod) / 8,
      prefixLength: nat64.prefixLength as Pref64Length,
      prefix: nat64.network,
    });
  }
  if (binding.captivePortal !== undefined) out.push({ kind: 'captive-portal', uri: binding.captivePortal });
  return out;
}

/** The options of a final RA (§6.2.5): every lifetime the guest holds from us set to 0 (RDNSS/DNSSL: RFC 8106 §5.1; routes: RFC 4191 §2.3; PREF64: RFC 8781 §4). */
export function withdrawnOption(o: NdpOption): NdpOption {
  switch (o.kind) {
    case 'rdnss':
    case 'dnssl':
    case 'route':
      return { ...o, lifetime: 0 };
    case 'pref64':
      return { ...o, scaledLifetime: 0 };
    default:
      return o;
  }
}
