/**
 * Rules no single key can check (keys.ts parses each key alone): the DHCP
 * lease timers' defaults and order, the RA lifetimes against each other and
 * against ra_period. They run on the draft before it is frozen (parse.ts).
 */
import { ConfigError } from './config-error.js';
import type { SectionName, Settings } from './settings.js';

/** Settings while being built: each section's fields still writable. */
export type Draft = { -readonly [S in SectionName]: { -readonly [F in keyof Settings[S]]: Settings[S][F] } };

/** Where a key was set in the file (undefined: not set). */
export type LineOf = (section: SectionName, key: string) => number | undefined;

/** nfdhcpd's T1 (lease_renewal default): one hour. */
const NFDHCPD_RENEWAL = 3600;

/**
 * T1 and T2 that the file does not set. A default never turns a valid
 * setting into an error: nfdhcpd's T1 of one hour (and T2 at 7/8 of the
 * lease) is kept when it fits the lease; when it does not (a lease of an hour
 * or less), T1 and T2 follow RFC 2131 §4.4.5 — 0.5 and 0.875 of the lease —
 * or, next to a T1 or T2 the file does set, the point halfway to its
 * neighbour. Only values the file sets can then be in conflict.
 */
function leaseTimers(d: Draft['dhcp'], t1Set: boolean, t2Set: boolean): void {
  const lease = d.leaseLifetime;
  const rfcT1 = Math.floor(lease * 0.5);
  const rfcT2 = Math.floor(lease * 0.875);
  if (!t1Set && !t2Set) {
    d.leaseRenewal = NFDHCPD_RENEWAL < rfcT2 ? NFDHCPD_RENEWAL : rfcT1;
    d.leaseRebinding = rfcT2;
  } else if (!t2Set) {
    d.leaseRebinding = rfcT2 > d.leaseRenewal ? rfcT2 : d.leaseRenewal + Math.floor((lease - d.leaseRenewal) / 2);
  } else if (!t1Set) {
    d.leaseRenewal = [NFDHCPD_RENEWAL, rfcT1].find((t) => t < d.leaseRebinding) ?? Math.floor(d.leaseRebinding / 2);
  }
}

/**
 * Stateful DHCPv6's T1/T2 (RFC 8415 §21.4): unset, 0.5 and 0.8 of the
 * preferred lifetime (the RFC's recommendation), T2 never below a T1 the
 * file sets; then T1 <= T2 <= preferred <= valid (§21.4: T1 > T2 is
 * discarded by the client; a T2 past the preferred lifetime renews a
 * deprecated address; §21.6: preferred > valid is discarded). A 0 T1 or T2
 * leaves the choice to the client and is not compared.
 */
function dhcpv6Timers(v6: Draft['ipv6'], file: string, lineOf: LineOf): void {
  const t1Set = lineOf('ipv6', 'dhcpv6_renewal') !== undefined;
  const t2Set = lineOf('ipv6', 'dhcpv6_rebinding') !== undefined;
  const pref = v6.dhcpv6PreferredLifetime;
  if (!t1Set) v6.dhcpv6Renewal = Math.floor(pref * 0.5);
  if (!t2Set) v6.dhcpv6Rebinding = Math.max(Math.floor(pref * 0.8), v6.dhcpv6Renewal);
  const at = (key: string): number | undefined => lineOf('ipv6', key);
  if (pref > v6.dhcpv6ValidLifetime) {
    throw new ConfigError(file, at('dhcpv6_preferred_lifetime'), 'dhcpv6_preferred_lifetime', 'must not exceed dhcpv6_valid_lifetime (RFC 8415 §21.6)');
  }
  const t1 = v6.dhcpv6Renewal;
  const t2 = v6.dhcpv6Rebinding;
  if (t1 !== 0 && t2 !== 0 && t1 > t2) {
    throw new ConfigError(file, at('dhcpv6_rebinding') ?? at('dhcpv6_renewal'), t2Set ? 'dhcpv6_rebinding' : 'dhcpv6_renewal', `T1 (${t1}) must not exceed T2 (${t2}) (RFC 8415 §21.4)`);
  }
  for (const [key, t] of [['dhcpv6_renewal', t1], ['dhcpv6_rebinding', t2]] as const) {
    if (t > pref) throw new ConfigError(file, at(key) ?? at('dhcpv6_preferred_lifetime'), key, `(${t}) must not exceed dhcpv6_preferred_lifetime (${pref}) (RFC 8415 §21.4)`);
  }
}

/** Fills the computed defaults (keys.ts `computed`) and checks the cross-key rules; throws ConfigError naming the key at fault. */
export function crossCheck(s: Draft, file: string, lineOf: LineOf): void {
  const d = s.dhcp;
  leaseTimers(d, lineOf('dhcp', 'lease_renewal') !== undefined, lineOf('dhcp', 'lease_rebinding') !== undefined);
  if (d.leaseRenewal >= d.leaseLifetime) {
    throw new ConfigError(file, lineOf('dhcp', 'lease_renewal'), 'lease_renewal', 'must be shorter than lease_lifetime');
  }
  if (d.leaseRebinding <= d.leaseRenewal || d.leaseRebinding >= d.leaseLifetime) {
    const t2Set = lineOf('dhcp', 'lease_rebinding') !== undefined;
    throw new ConfigError(
      file,
      lineOf('dhcp', 'lease_rebinding') ?? lineOf('dhcp', 'lease_renewal'),
      t2Set ? 'lease_rebinding' : 'lease_renewal',
      t2Set
        ? `T2 (${d.leaseRebinding}) must lie between lease_renewal (${d.leaseRenewal}) and lease_lifetime (${d.leaseLifetime})`
        : `leaves no room for T2 (lease_rebinding) between it and lease_lifetime (${d.leaseLifetime}); RFC 2131 §4.4.5 wants T1 < T2 < lease`,
    );
  }
  const v6 = s.ipv6;
  dhcpv6Timers(v6, file, lineOf);
  if (v6.preferredLifetime > v6.validLifetime) {
    throw new ConfigError(file, lineOf('ipv6', 'preferred_lifetime'), 'preferred_lifetime', 'must not exceed valid_lifetime (RFC 4861 §4.6.2)');
  }
  if (v6.routerLifetime !== 0 && v6.routerLifetime < v6.raPeriod) {
    throw new ConfigError(file, lineOf('ipv6', 'router_lifetime'), 'router_lifetime', `must be 0 or at least ra_period (${v6.raPeriod}), or the router expires between RAs`);
  }
}
