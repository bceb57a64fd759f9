/**
 * Every configuration key, once: the file's section and key name, the
 * Settings field it sets, its parser, its default and one line of
 * documentation. Parsing (parse.ts), the defaults (defaults.ts),
 * `onlinkd --check` (cli/check-config.ts), the README's key table and the
 * test that config/onlinkd.conf shows every key with its default
 * (docs.ts) all read this table, so they cannot drift apart. The type
 * makes each Settings field have exactly one key, with a parser of its type.
 *
 * Adding a key: a field in settings.ts, an entry here, a line in
 * config/onlinkd.conf, `npm run docs:config` for the README.
 */
import type { SectionName, Settings } from './settings.js';
import type { OptionCatalog } from '../wire/option-catalog.js';
import { DHCP4_CATALOG } from '../wire/dhcp4-option-catalog.js';
import { DHCP6_CATALOG } from '../wire/dhcp6-option-catalog.js';
import { v6OnlyWait } from '../bindings/modern-values.js';
import { ndAddresses, optionalPref64 } from './nd-values.js';
import { metricsListen } from './metrics-values.js';
import { RULE_PRIORITY, routeTable } from './routing-values.js';
import {
  bool, domainList, int, ipv4List, ipv6List, ipv6Mode, linkLocalTargets, oneOf, optionalDomain, optionalInterface, optionalIpv4, optionalStr,
  routes, str, type ArpForm, type Parser,
} from './values.js';

/** What `onlinkd --check` verifies on this host that no parser can (cli/check-config.ts). */
export type HostCheck = 'group' | 'account' | 'interface';

export interface KeySpec<T> {
  /** The key as written in the file. */
  readonly key: string;
  readonly parse: Parser<T>;
  /** The default, as the file would write it ('' = unset), parsed by `parse`: a default is always a valid value. */
  readonly default: string;
  /** Set when a cross-key rule computes the default (cross-checks.ts): what the docs say it is. */
  readonly computed?: string;
  readonly host?: HostCheck;
  /** One line for the README's key table. */
  readonly doc: string;
}

/**
 * Sections of numbered keys, one entry each (`[dhcp4-options]`: `<code> =
 * value`): every key is an option code of `catalog`, its value parsed as a
 * binding's `OPTION_<n>` is (protocols/option-settings.ts), the lot stored
 * in one Settings field. The code range and value forms are the catalogue's.
 */
export interface SectionFamily {
  readonly section: string;
  readonly target: SectionName;
  readonly field: FamilyField;
  readonly catalog: OptionCatalog;
  /** One line for the README's key table. */
  readonly doc: string;
}

/** The Settings fields that key families fill (not single keys). */
export type FamilyField = 'options' | 'dhcp6Options';

export const KEY_FAMILIES: readonly SectionFamily[] = [
  {
    section: 'dhcp4-options', target: 'dhcp', field: 'options', catalog: DHCP4_CATALOG,
    doc: "`<code> = value`: DHCPv4 options for every binding (a binding's `OPTION_<n>` wins), same forms (`always:`, `hex:`, `text:`)",
  },
  {
    section: 'dhcp6-options', target: 'ipv6', field: 'dhcp6Options', catalog: DHCP6_CATALOG,
    doc: "`<code> = value`: DHCPv6 options for every binding (a binding's `OPTION6_<n>` wins)",
  },
];

export type KeyTable = { readonly [S in SectionName]: { readonly [F in Exclude<keyof Settings[S], FamilyField>]-?: KeySpec<Settings[S][F]> } };

const LEASE_MAX = 0xffffffff;

/** `[dhcp] ipv6_only_preferred`: empty is off, else V6ONLY_WAIT by the binding key's rule (bindings/modern-values.ts). */
const optionalV6OnlyWait: Parser<number | undefined> = (v) => {
  const s = v.trim();
  if (s === '') return undefined;
  const r = v6OnlyWait(s);
  if (typeof r === 'string') throw new Error(r);
  return r;
};

export const KEYS: KeyTable = {
  general: {
    datapath: { key: 'datapath', parse: str, default: '/var/lib/onlinkd', doc: 'state directory with one binding file per tap (an nfdhcpd host: `/var/lib/nfdhcpd`)' },
    controlSocket: { key: 'control_socket', parse: str, default: '/run/onlinkd/control.sock', doc: 'control socket for onlinkctl and hooks; a change needs a restart' },
    controlGroup: { key: 'control_group', parse: optionalStr, default: '', host: 'group', doc: 'group (name or gid) allowed to use the control socket; unset: root and the daemon user only' },
    logLevel: { key: 'log_level', parse: oneOf('trace', 'debug', 'info', 'warn', 'error', 'fatal'), default: 'info', doc: 'pino log level' },
    user: { key: 'user', parse: optionalStr, default: '', host: 'account', doc: 'started as root: the user to become, keeping CAP_NET_RAW only' },
    group: { key: 'group', parse: optionalStr, default: '', host: 'account', doc: "that user's group; unset: its primary group" },
  },
  dhcp: {
    enable: { key: 'enable_dhcp', parse: bool, default: 'yes', doc: 'answer DHCPv4' },
    leaseLifetime: { key: 'lease_lifetime', parse: int(60, LEASE_MAX), default: '604800', doc: 'lease time (option 51), seconds' },
    leaseRenewal: {
      key: 'lease_renewal', parse: int(30, LEASE_MAX), default: '3600', computed: '3600 when shorter than T2, else lease_lifetime / 2',
      doc: 'T1, renewal time (option 58), seconds',
    },
    leaseRebinding: {
      key: 'lease_rebinding', parse: int(30, LEASE_MAX), default: '529200', computed: '7/8 of lease_lifetime',
      doc: 'T2, rebinding time (option 59), seconds',
    },
    serverIp: { key: 'server_ip', parse: optionalIpv4, default: '', doc: "server identifier (option 54); unset: the binding's GATEWAY, else the subnet's first host" },
    serverOnLink: { key: 'server_on_link', parse: bool, default: 'no', doc: "always use the binding's GATEWAY as server identifier" },
    nameservers: { key: 'nameservers', parse: ipv4List, default: '', doc: "DNS servers (option 6); a binding's DNS= overrides" },
    domain: { key: 'domain', parse: optionalDomain, default: '', doc: "domain name (option 15); a binding's DOMAIN= overrides" },
    domainSearch: { key: 'domain_search', parse: domainList, default: '', doc: 'domain search list (option 119)' },
    windowsLinkLocalRoute: { key: 'windows_link_local_route', parse: bool, default: 'yes', doc: 'send 169.254.0.0/16 via the gateway to Windows clients' },
    routes: { key: 'routes', parse: routes, default: '', doc: 'extra classless static routes for every tap (options 121/249): `10.0.0.0/8 via 203.0.113.1, ...`' },
    ipv6OnlyPreferred: {
      key: 'ipv6_only_preferred', parse: optionalV6OnlyWait, default: '',
      doc: "IPv6-only preferred (option 108, RFC 8925): seconds (300..4294967295) for clients asking for it; a binding's IPV6_ONLY= overrides; unset: off",
    },
  },
  ipv6: {
    enable: { key: 'enable_ipv6', parse: bool, default: 'yes', doc: 'answer RS and NS, send RAs' },
    enableDhcpv6: { key: 'enable_dhcpv6', parse: bool, default: 'yes', doc: 'answer DHCPv6 (what a mode answers: `mode`)' },
    mode: { key: 'mode', parse: ipv6Mode, default: 'slaac+dhcpv6', doc: "`slaac+dhcpv6` (M=0 O=1: DHCPv6 answers Information-Request), `dhcpv6` (M=1 O=1: also stateful DHCPv6), `slaac` (M=0 O=0) or `none` (no DHCPv6); nfdhcpd's `auto` picks `slaac` when the file's `[ipv6]` has only `rs_queue`/`ns_queue`, else `slaac+dhcpv6`; a binding's MODE6= overrides" },
    // RFC 8319 raised MaxRtrAdvInterval's ceiling to 65535 s.
    raPeriod: { key: 'ra_period', parse: int(4, 65535), default: '300', doc: 'period of unsolicited RAs per tap, seconds' },
    nameservers: { key: 'nameservers', parse: ipv6List, default: '', doc: "IPv6 DNS servers (RDNSS, DHCPv6 option 23); a binding's DNS6= overrides" },
    domains: { key: 'domains', parse: domainList, default: '', doc: 'search domains (DNSSL, DHCPv6 option 24)' },
    proxySubnet: { key: 'proxy_subnet', parse: bool, default: 'yes', doc: 'answer NS for any address of SUBNET6 (nfdhcpd behaviour)' },
    validLifetime: { key: 'valid_lifetime', parse: int(1, LEASE_MAX), default: '86400', doc: 'prefix valid lifetime in RAs, seconds' },
    preferredLifetime: { key: 'preferred_lifetime', parse: int(0, LEASE_MAX), default: '14400', doc: 'prefix preferred lifetime in RAs, seconds (at most valid_lifetime)' },
    routerLifetime: { key: 'router_lifetime', parse: int(0, 65535), default: '0', doc: 'Router Lifetime in RAs, seconds; 0: 3 × ra_period (at most 9000)' },
    informationRefreshTime: { key: 'information_refresh_time', parse: int(600, LEASE_MAX), default: '86400', doc: 'DHCPv6 Information Refresh Time (option 32), seconds' },
    dhcpv6ValidLifetime: { key: 'dhcpv6_valid_lifetime', parse: int(1, LEASE_MAX), default: '86400', doc: 'stateful DHCPv6: valid lifetime of the IA_NA address and IA_PD prefix, seconds' },
    dhcpv6PreferredLifetime: {
      key: 'dhcpv6_preferred_lifetime', parse: int(0, LEASE_MAX), default: '14400', doc: 'stateful DHCPv6: their preferred lifetime, seconds (at most dhcpv6_valid_lifetime)',
    },
    dhcpv6Renewal: {
      key: 'dhcpv6_renewal', parse: int(0, LEASE_MAX), default: '7200', computed: 'half of dhcpv6_preferred_lifetime (RFC 8415 §21.4)',
      doc: 'stateful DHCPv6: T1 of IA_NA and IA_PD, seconds (0: the client decides)',
    },
    dhcpv6Rebinding: {
      key: 'dhcpv6_rebinding', parse: int(0, LEASE_MAX), default: '11520', computed: '0.8 of dhcpv6_preferred_lifetime, at least dhcpv6_renewal (RFC 8415 §21.4)',
      doc: 'stateful DHCPv6: T2, seconds (dhcpv6_renewal <= T2 <= dhcpv6_preferred_lifetime; 0: the client decides)',
    },
    rsBurst: { key: 'rs_burst', parse: int(1, 1_000_000), default: '3', doc: 'Router Solicitations answered at once per tap' },
    rsRate: { key: 'rs_rate', parse: int(1, 1_000_000), default: '1', doc: 'then Router Solicitations answered per second per tap' },
    pref64: {
      key: 'pref64', parse: optionalPref64, default: '',
      doc: "NAT64 prefix in every RA (RFC 8781 PREF64: /96, /64, /56, /48, /40 or /32, e.g. `64:ff9b::/96`); a binding's PREF64= overrides; unset: none",
    },
  },
  announce: {
    uplink: { key: 'uplink', parse: optionalInterface, default: '', host: 'interface', doc: "gratuitous ARP goes out here; a binding's UPLINK= overrides" },
    uplink6: { key: 'uplink6', parse: optionalInterface, default: '', host: 'interface', doc: "unsolicited NAs go out here; a binding's UPLINK6= overrides" },
    arpCount: { key: 'arp_count', parse: int(0, 100), default: '2', doc: 'gratuitous ARPs per announcement' },
    arpInterval: { key: 'arp_interval', parse: int(1, 3600), default: '2', doc: 'seconds between them' },
    naCount: { key: 'na_count', parse: int(0, 100), default: '3', doc: 'unsolicited NAs per announcement' },
    naInterval: { key: 'na_interval', parse: int(1, 3600), default: '1', doc: 'seconds between them' },
    arpForm: { key: 'arp_form', parse: oneOf<ArpForm>('request', 'reply'), default: 'request', doc: '`request` (RFC 5227 announcement) or `reply`' },
  },
  arp: {
    responder: { key: 'responder', parse: bool, default: 'no', doc: "answer the VM's ARP for its gateway and link-local services" },
    addresses: { key: 'addresses', parse: linkLocalTargets, default: '169.254.0.0/16', doc: 'which link-local addresses or prefixes (inside 169.254.0.0/16)' },
  },
  nd: {
    addresses: {
      key: 'addresses', parse: ndAddresses, default: '',
      doc: "link-local IPv6 service addresses (fe80::/10) answered in NS on every bound tap with the tap's (INDEV's) MAC, never for DAD; OpenStack's metadata: `fe80::a9fe:a9fe`",
    },
  },
  // A booting guest sends a few dozen frames; 50/s with a burst of 100 never
  // touches it, and caps what a flooding guest can make onlinkd do.
  guard: {
    rate: { key: 'rate', parse: int(1, 1_000_000), default: '50', doc: 'frames per second each tap may send (the rest are dropped before decoding)' },
    burst: { key: 'burst', parse: int(1, 1_000_000), default: '100', doc: 'burst of frames each tap may send' },
  },
  routing: {
    manage: {
      key: 'manage', parse: bool, default: 'no',
      doc: "`yes`: a host route per bound address (IP/32, IP6 and EUI64/128, PREFIX6 via IP6) to its tap, installed and removed over netlink (proto 183), and ARP/NS on the uplinks answered for those addresses (README \"Routed hypervisors\"); a binding's ROUTED= overrides; needs CAP_NET_ADMIN",
    },
    table: { key: 'table', parse: routeTable, default: 'main', doc: 'route table for those routes: `main` or a number (1..4294967295)' },
    rule: {
      key: 'rule', parse: bool, default: 'no',
      doc: `\`yes\`: also a policy rule \`iif TAP lookup TABLE\` (IPv4 and IPv6, priority ${RULE_PRIORITY}, proto 183) per tap with routes, so the VM's traffic is routed by that table first; removed with the binding`,
    },
  },
  metrics: {
    listen: {
      key: 'listen', parse: metricsListen, default: '',
      doc: '`HOST:PORT` (or `PORT`: 127.0.0.1) serving Prometheus `/metrics`; a non-loopback host only when written here; unset: off',
    },
  },
};

/**
 * nfdhcpd's keys that onlinkd accepts and reports as unused, so an nfdhcpd
 * host can point onlinkd at its existing file: the NFQUEUE numbers (onlinkd
 * reads taps directly), pidfile and logdir.
 */
export const NFDHCPD_UNUSED_KEYS: { readonly [S in SectionName]?: readonly string[] } = {
  general: ['pidfile', 'logdir'],
  dhcp: ['dhcp_queue'],
  ipv6: ['rs_queue', 'ns_queue', 'dhcp_queue', 'dhcpv6_queue'],
};

/** One key of the table with where it sits: the form the derived parts iterate over. */
export interface KeyEntry {
  readonly section: SectionName;
  readonly field: string;
  readonly spec: KeySpec<unknown>;
}

/** The table as a list, in the order of the file (and of the docs). */
export const KEY_ENTRIES: readonly KeyEntry[] = Object.entries(KEYS).flatMap(([section, fields]) =>
  Object.entries(fields as Record<string, KeySpec<unknown>>).map(([field, spec]) => ({ section: section as SectionName, field, spec })),
);

/** Every accepted `section.key`, unused ones included (key-family sections: KEY_FAMILIES). */
export const CONFIG_KEYS: readonly string[] = [
  ...KEY_ENTRIES.map((e) => `${e.section}.${e.spec.key}`),
  ...Object.entries(NFDHCPD_UNUSED_KEYS).flatMap(([section, keys]) => keys.map((k) => `${section}.${k}`)),
];
