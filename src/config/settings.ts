/**
 * The validated configuration the daemon runs with. Settings are immutable:
 * readonly by type all the way down and frozen when built (parse.ts,
 * withOverrides), so a module may cache what it derives from a Settings
 * object by its identity (a reload brings a new object, never an edited
 * one). Which file key sets each field, its parser, default and doc line
 * are in keys.ts.
 */
import type { ClasslessRoute } from '../wire/dhcp4-types.js';
import { deepFreeze } from '../util/frozen.js';
import type { ArpForm, Ipv6Mode } from './values.js';
import type { OptionSettings } from '../protocols/option-settings.js';
import type { Ipv6Subnet } from '../bindings/binding-values.js';

export type { ArpForm, Ipv6Mode } from './values.js';

export interface Settings {
  readonly general: {
    readonly datapath: string;
    readonly controlSocket: string;
    readonly controlGroup: string | undefined;
    readonly logLevel: string;
    /** Started as root: the user (name or uid) to drop to, keeping CAP_NET_RAW only (src/runtime/privileges.ts). */
    readonly user: string | undefined;
    /** Its group (name or gid); default the user's primary group. */
    readonly group: string | undefined;
  };
  readonly dhcp: {
    readonly enable: boolean;
    readonly leaseLifetime: number;
    /** T1 (option 58); unset, nfdhcpd's hour when it fits the lease, else half of it (cross-checks.ts). */
    readonly leaseRenewal: number;
    /** T2 (option 59); unset, 7/8 of the lease (RFC 2131 §4.4.5). */
    readonly leaseRebinding: number;
    readonly serverIp: string | undefined;
    readonly serverOnLink: boolean;
    readonly nameservers: readonly string[];
    readonly domain: string | undefined;
    readonly domainSearch: readonly string[];
    readonly windowsLinkLocalRoute: boolean;
    readonly routes: ReadonlyArray<Readonly<ClasslessRoute>>;
    /** V6ONLY_WAIT for option 108 (RFC 8925) when a binding has no IPV6_ONLY; unset: off. */
    readonly ipv6OnlyPreferred: number | undefined;
    /** `[dhcp4-options]`: DHCPv4 options for every binding (a binding's OPTION_<n> wins per code). */
    readonly options: OptionSettings;
  };
  readonly ipv6: {
    readonly enable: boolean;
    readonly enableDhcpv6: boolean;
    readonly mode: Ipv6Mode;
    readonly raPeriod: number;
    readonly nameservers: readonly string[];
    readonly domains: readonly string[];
    readonly proxySubnet: boolean;
    /** Prefix valid / preferred lifetimes in RAs (radvd's 86400 / 14400). */
    readonly validLifetime: number;
    readonly preferredLifetime: number;
    /** Router Lifetime in RAs; 0 = 3 × ra_period (at most 9000, RFC 4861 §6.2.1). */
    readonly routerLifetime: number;
    /** DHCPv6 Information Refresh Time (option 32; RFC 8415 §21.23, at least 600). */
    readonly informationRefreshTime: number;
    /**
     * Stateful DHCPv6 (protocols/dhcp6-stateful.ts): the IA_NA/IA_PD T1 and T2
     * and the addresses' and prefixes' lifetimes (RFC 8415 §21.4, §21.6, §21.22);
     * T1 <= T2 <= preferred <= valid (cross-checks.ts).
     */
    readonly dhcpv6Renewal: number;
    readonly dhcpv6Rebinding: number;
    readonly dhcpv6PreferredLifetime: number;
    readonly dhcpv6ValidLifetime: number;
    /** Solicited RAs per tap: `rsBurst` at once, then `rsRate` per second. */
    readonly rsBurst: number;
    readonly rsRate: number;
    /** `[dhcp6-options]`: DHCPv6 options for every binding (a binding's OPTION6_<n> wins per code). */
    readonly dhcp6Options: OptionSettings;
    /** NAT64 prefix in every RA (RFC 8781 PREF64) when a binding has no PREF64; unset: none. */
    readonly pref64: Ipv6Subnet | undefined;
  };
  readonly announce: {
    readonly uplink: string | undefined;
    readonly uplink6: string | undefined;
    readonly arpCount: number;
    readonly arpInterval: number;
    readonly naCount: number;
    readonly naInterval: number;
    readonly arpForm: ArpForm;
  };
  readonly arp: {
    readonly responder: boolean;
    readonly addresses: readonly string[];
  };
  /** Neighbor Discovery: link-local service addresses answered in NS on every tap (protocols/neighbor.ts). */
  readonly nd: {
    readonly addresses: readonly string[];
  };
  /** Per-tap flood protection: frames a guest may send per second (token bucket). */
  readonly guard: {
    readonly rate: number;
    readonly burst: number;
  };
  /** Host routes to bound taps over netlink (runtime/route-manager.ts). */
  readonly routing: {
    readonly manage: boolean;
    readonly table: number;
    readonly rule: boolean;
  };
  /** Prometheus endpoint (metrics/server.ts): off when unset. */
  readonly metrics: {
    readonly listen: MetricsListen | undefined;
  };
  /** Keys that were read but have no effect (nfdhcpd's NFQUEUE settings, pidfile, logdir). */
  readonly unused: ReadonlyArray<UnusedKey>;
}

/** `[metrics] listen`: where /metrics is served. */
export interface MetricsListen {
  readonly host: string;
  readonly port: number;
}

export interface UnusedKey {
  readonly section: string;
  readonly key: string;
  readonly line: number;
}

/** The sections that hold keys: every part of Settings but `unused`. */
export type SectionName = Exclude<keyof Settings, 'unused'>;

/** Fields to replace, per section (a list is replaced whole). */
export type SettingsOverrides = { readonly [S in SectionName]?: Partial<Settings[S]> };

/**
 * A copy of `s` with `overrides` applied, frozen: how code that needs other
 * settings than the file's gets them (the daemon's `--datapath`, a reload
 * that keeps what needs a restart; tests). Values are taken as given: they
 * come from code, not from an operator's file.
 */
export function withOverrides(s: Settings, overrides: SettingsOverrides): Settings {
  const out: Record<string, unknown> = { ...s };
  for (const [section, fields] of Object.entries(overrides)) {
    if (fields !== undefined) out[section] = { ...s[section as SectionName], ...fields };
  }
  return deepFreeze(out as unknown as Settings) as Settings;
}
