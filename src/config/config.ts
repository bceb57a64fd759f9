/**
 * onlinkd configuration: nfdhcpd.conf-compatible INI → validated Settings.
 *
 * Every key is declared once in SCHEMA with its parser and default, so the
 * defaults, validation and "unknown key" errors cannot drift apart. nfdhcpd's
 * NFQUEUE keys are accepted and reported as unused (an nfdhcpd host can point
 * onlinkd at its existing file). Any other unknown key is a startup error
 * naming file, line and key.
 */
import { readLimitedSync } from '../util/read-limited.js';
import { IniSyntaxError, parseIni } from '../util/ini.js';
import { parseIpv4 } from '../wire/addr.js';
import type { ClasslessRoute } from '../wire/dhcp4-types.js';
import { parseRouteList } from '../bindings/routes.js';
import { isValidDomainName } from '../util/domain.js';
import { parseIpv6Unzoned } from '../util/ipv6.js';
import { isValidInterfaceName } from '../bindings/binding.js';
import { MAX_DNS4_SERVERS, MAX_DNS6_SERVERS, MAX_ROUTES, MAX_SEARCH_LIST_OCTETS, searchListOctets } from '../protocols/reply-limits.js';

export type Ipv6Mode = 'slaac' | 'slaac+dhcpv6';
export type ArpForm = 'request' | 'reply';

export interface Settings {
  general: {
    datapath: string;
    controlSocket: string;
    controlGroup: string | undefined;
    logLevel: string;
    /** Started as root: the user (name or uid) to drop to, keeping CAP_NET_RAW only (src/runtime/privileges.ts). */
    user: string | undefined;
    /** Its group (name or gid); default the user's primary group. */
    group: string | undefined;
  };
  dhcp: {
    enable: boolean;
    leaseLifetime: number;
    /** T1 (option 58); defaults to nfdhcpd's hour when it fits the lease, else half of it (see leaseTimers). */
    leaseRenewal: number;
    /** T2 (option 59); defaults to 7/8 of the lease (RFC 2131 §4.4.5). */
    leaseRebinding: number;
    serverIp: string | undefined;
    serverOnLink: boolean;
    nameservers: string[];
    domain: string | undefined;
    domainSearch: string[];
    windowsLinkLocalRoute: boolean;
    routes: ClasslessRoute[];
  };
  ipv6: {
    enable: boolean;
    enableDhcpv6: boolean;
    mode: Ipv6Mode;
    raPeriod: number;
    nameservers: string[];
    domains: string[];
    proxySubnet: boolean;
    /** Prefix valid / preferred lifetimes in RAs (radvd's 86400 / 14400). */
    validLifetime: number;
    preferredLifetime: number;
    /** Router Lifetime in RAs; 0 = 3 × ra_period (at most 9000, RFC 4861 §6.2.1). */
    routerLifetime: number;
    /** DHCPv6 Information Refresh Time (option 32; RFC 8415 §21.23, at least 600). */
    informationRefreshTime: number;
    /** Solicited RAs per tap: `rsBurst` at once, then `rsRate` per second. */
    rsBurst: number;
    rsRate: number;
  };
  announce: {
    uplink: string | undefined;
    uplink6: string | undefined;
    arpCount: number;
    arpInterval: number;
    naCount: number;
    naInterval: number;
    arpForm: ArpForm;
  };
  arp: {
    responder: boolean;
    addresses: string[];
  };
  /** Per-tap flood protection: frames a guest may send per second (token bucket). */
  guard: {
    rate: number;
    burst: number;
  };
  /** Keys that were read but have no effect (nfdhcpd's NFQUEUE settings, pidfile, logdir). */
  unused: Array<{ section: string; key: string; line: number }>;
}

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly key: string | undefined,
    detail: string,
  ) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${key ? `${key}: ` : ''}${detail}`);
  }
}

type Parser<T> = (value: string) => T;

function bool(v: string): boolean {
  const s = v.trim().toLowerCase();
  if (['yes', 'true', 'on', '1'].includes(s)) return true;
  if (['no', 'false', 'off', '0'].includes(s)) return false;
  throw new Error(`expected yes/no, got "${v}"`);
}

function int(min: number, max: number): Parser<number> {
  return (v) => {
    const s = v.trim();
    if (!/^\d+$/.test(s)) throw new Error(`expected an integer, got "${v}"`);
    const n = Number(s);
    if (n < min || n > max) throw new Error(`must be between ${min} and ${max}, got ${n}`);
    return n;
  };
}

function str(v: string): string {
  const s = v.trim();
  if (s === '') throw new Error('must not be empty');
  return s;
}

function optionalStr(v: string): string | undefined {
  const s = v.trim();
  return s === '' ? undefined : s;
}

function list(v: string): string[] {
  return v
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * A list that goes into replies may not outgrow them: the same limits as the
 * binding files' DNS, DNS6 and ROUTES (protocols/reply-limits.ts), since the
 * configuration feeds the same replies.
 */
function atMost<T>(items: T[], max: number, what: string): T[] {
  if (items.length > max) throw new Error(`more than ${max} ${what} (what a reply can carry; see protocols/reply-limits.ts)`);
  return items;
}

function ipv4List(v: string): string[] {
  const items = list(v);
  for (const a of items) if (!parseIpv4(a)) throw new Error(`"${a}" is not an IPv4 address`);
  return atMost(items, MAX_DNS4_SERVERS, 'servers');
}

function ipv6List(v: string): string[] {
  const items = list(v).map((a) => {
    const parsed = parseIpv6Unzoned(a);
    if (typeof parsed !== 'string') throw new Error(parsed.error);
    return parsed;
  });
  return atMost(items, MAX_DNS6_SERVERS, 'servers');
}

function optionalIpv4(v: string): string | undefined {
  const s = v.trim();
  if (s === '') return undefined;
  if (!parseIpv4(s)) throw new Error(`"${s}" is not an IPv4 address`);
  return s;
}

function domainList(v: string): string[] {
  const items = list(v);
  for (const d of items) if (!isValidDomainName(d)) throw new Error(`"${d}" is not a valid domain name`);
  const octets = searchListOctets(items);
  if (octets > MAX_SEARCH_LIST_OCTETS) {
    throw new Error(`search list of ${octets} octets encoded, more than ${MAX_SEARCH_LIST_OCTETS} (see protocols/reply-limits.ts)`);
  }
  return items;
}

function optionalInterface(v: string): string | undefined {
  const s = v.trim();
  if (s === '') return undefined;
  if (!isValidInterfaceName(s)) throw new Error(`"${s}" is not a valid interface name`);
  return s;
}

function optionalDomain(v: string): string | undefined {
  const s = v.trim();
  if (s === '') return undefined;
  if (!isValidDomainName(s)) throw new Error(`"${s}" is not a valid domain name`);
  return s;
}

function oneOf<T extends string>(...values: T[]): Parser<T> {
  return (v) => {
    const s = v.trim().toLowerCase() as T;
    if (!values.includes(s)) throw new Error(`expected one of ${values.join(', ')}, got "${v}"`);
    return s;
  };
}

function ipv6Mode(v: string): Ipv6Mode {
  const s = v.trim().toLowerCase();
  // nfdhcpd's 'auto' picked a mode from the configured queues; with no queues the
  // full mode is the one that works, and stateful 'dhcpv6' was never implemented there.
  if (s === 'auto' || s === 'slaac+dhcpv6') return 'slaac+dhcpv6';
  if (s === 'slaac') return 'slaac';
  throw new Error(`expected auto, slaac or slaac+dhcpv6, got "${v}" (stateful dhcpv6 is not supported)`);
}

function routes(v: string): ClasslessRoute[] {
  const r = parseRouteList(v);
  if (!r.ok) throw new Error(r.error);
  return atMost(r.routes, MAX_ROUTES, 'routes');
}

function linkLocalTargets(v: string): string[] {
  const items = list(v);
  for (const item of items) {
    const [addr, len] = item.split('/');
    const b = parseIpv4(addr ?? '');
    const plen = len === undefined ? 32 : Number(len);
    if (!b || !Number.isInteger(plen) || plen < 16 || plen > 32 || b[0] !== 169 || b[1] !== 254) {
      throw new Error(`"${item}" is not an address or prefix inside 169.254.0.0/16`);
    }
  }
  return items;
}

interface KeySpec {
  /** Path into Settings, e.g. ['dhcp', 'leaseLifetime'], or 'unused'. */
  target: [string, string] | 'unused';
  parse: Parser<unknown>;
}

const UNUSED: KeySpec = { target: 'unused', parse: (v) => v };

/** Every accepted key. Defaults live in defaultSettings(). */
const SCHEMA: Record<string, Record<string, KeySpec>> = {
  general: {
    datapath: { target: ['general', 'datapath'], parse: str },
    control_socket: { target: ['general', 'controlSocket'], parse: str },
    control_group: { target: ['general', 'controlGroup'], parse: optionalStr },
    log_level: { target: ['general', 'logLevel'], parse: oneOf('trace', 'debug', 'info', 'warn', 'error', 'fatal') },
    user: { target: ['general', 'user'], parse: optionalStr },
    group: { target: ['general', 'group'], parse: optionalStr },
    pidfile: UNUSED,
    logdir: UNUSED,
  },
  dhcp: {
    enable_dhcp: { target: ['dhcp', 'enable'], parse: bool },
    lease_lifetime: { target: ['dhcp', 'leaseLifetime'], parse: int(60, 0xffffffff) },
    lease_renewal: { target: ['dhcp', 'leaseRenewal'], parse: int(30, 0xffffffff) },
    lease_rebinding: { target: ['dhcp', 'leaseRebinding'], parse: int(30, 0xffffffff) },
    server_ip: { target: ['dhcp', 'serverIp'], parse: optionalIpv4 },
    server_on_link: { target: ['dhcp', 'serverOnLink'], parse: bool },
    nameservers: { target: ['dhcp', 'nameservers'], parse: ipv4List },
    domain: { target: ['dhcp', 'domain'], parse: optionalDomain },
    domain_search: { target: ['dhcp', 'domainSearch'], parse: domainList },
    windows_link_local_route: { target: ['dhcp', 'windowsLinkLocalRoute'], parse: bool },
    routes: { target: ['dhcp', 'routes'], parse: routes },
    dhcp_queue: UNUSED,
  },
  ipv6: {
    enable_ipv6: { target: ['ipv6', 'enable'], parse: bool },
    enable_dhcpv6: { target: ['ipv6', 'enableDhcpv6'], parse: bool },
    mode: { target: ['ipv6', 'mode'], parse: ipv6Mode },
    // RFC 8319 raised MaxRtrAdvInterval's ceiling to 65535 s.
    ra_period: { target: ['ipv6', 'raPeriod'], parse: int(4, 65535) },
    nameservers: { target: ['ipv6', 'nameservers'], parse: ipv6List },
    domains: { target: ['ipv6', 'domains'], parse: domainList },
    proxy_subnet: { target: ['ipv6', 'proxySubnet'], parse: bool },
    valid_lifetime: { target: ['ipv6', 'validLifetime'], parse: int(1, 0xffffffff) },
    preferred_lifetime: { target: ['ipv6', 'preferredLifetime'], parse: int(0, 0xffffffff) },
    router_lifetime: { target: ['ipv6', 'routerLifetime'], parse: int(0, 65535) },
    information_refresh_time: { target: ['ipv6', 'informationRefreshTime'], parse: int(600, 0xffffffff) },
    rs_burst: { target: ['ipv6', 'rsBurst'], parse: int(1, 1_000_000) },
    rs_rate: { target: ['ipv6', 'rsRate'], parse: int(1, 1_000_000) },
    rs_queue: UNUSED,
    ns_queue: UNUSED,
    dhcp_queue: UNUSED,
    dhcpv6_queue: UNUSED,
  },
  announce: {
    uplink: { target: ['announce', 'uplink'], parse: optionalInterface },
    uplink6: { target: ['announce', 'uplink6'], parse: optionalInterface },
    arp_count: { target: ['announce', 'arpCount'], parse: int(0, 100) },
    arp_interval: { target: ['announce', 'arpInterval'], parse: int(1, 3600) },
    na_count: { target: ['announce', 'naCount'], parse: int(0, 100) },
    na_interval: { target: ['announce', 'naInterval'], parse: int(1, 3600) },
    arp_form: { target: ['announce', 'arpForm'], parse: oneOf<ArpForm>('request', 'reply') },
  },
  arp: {
    responder: { target: ['arp', 'responder'], parse: bool },
    addresses: { target: ['arp', 'addresses'], parse: linkLocalTargets },
  },
  guard: {
    rate: { target: ['guard', 'rate'], parse: int(1, 1_000_000) },
    burst: { target: ['guard', 'burst'], parse: int(1, 1_000_000) },
  },
};

/** Every accepted `section.key`, for documentation checks. */
export const CONFIG_KEYS: string[] = Object.entries(SCHEMA).flatMap(([sec, keys]) => Object.keys(keys).map((k) => `${sec}.${k}`));

export const DEFAULT_CONFIG_PATH = '/etc/onlinkd/onlinkd.conf';

export function defaultSettings(): Settings {
  return {
    general: {
      datapath: '/var/lib/onlinkd',
      controlSocket: '/run/onlinkd/control.sock',
      controlGroup: undefined,
      logLevel: 'info',
      user: undefined,
      group: undefined,
    },
    dhcp: {
      enable: true,
      leaseLifetime: 604800,
      leaseRenewal: 3600,
      leaseRebinding: 0, // resolved in finish() (leaseTimers): 7/8 of the lease unless set
      serverIp: undefined,
      serverOnLink: false,
      nameservers: [],
      domain: undefined,
      domainSearch: [],
      windowsLinkLocalRoute: true,
      routes: [],
    },
    ipv6: {
      enable: true,
      enableDhcpv6: true,
      mode: 'slaac+dhcpv6',
      raPeriod: 300,
      nameservers: [],
      domains: [],
      proxySubnet: true,
      validLifetime: 86400,
      preferredLifetime: 14400,
      routerLifetime: 0,
      informationRefreshTime: 86400,
      rsBurst: 3,
      rsRate: 1,
    },
    announce: {
      uplink: undefined,
      uplink6: undefined,
      arpCount: 2,
      arpInterval: 2,
      naCount: 3,
      naInterval: 1,
      arpForm: 'request',
    },
    arp: { responder: false, addresses: ['169.254.0.0/16'] },
    // A booting guest sends a few dozen frames; 50/s with a burst of 100 never
    // touches it, and caps what a flooding guest can make onlinkd do.
    guard: { rate: 50, burst: 100 },
    unused: [],
  };
}

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
function leaseTimers(d: Settings['dhcp'], t1Set: boolean, t2Set: boolean): void {
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

/** Cross-key rules that no single key can check. */
function finish(s: Settings, file: string, lineOf: (section: string, key: string) => number | undefined): Settings {
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
  if (v6.preferredLifetime > v6.validLifetime) {
    throw new ConfigError(file, lineOf('ipv6', 'preferred_lifetime'), 'preferred_lifetime', 'must not exceed valid_lifetime (RFC 4861 §4.6.2)');
  }
  if (v6.routerLifetime !== 0 && v6.routerLifetime < v6.raPeriod) {
    throw new ConfigError(file, lineOf('ipv6', 'router_lifetime'), 'router_lifetime', `must be 0 or at least ra_period (${v6.raPeriod}), or the router expires between RAs`);
  }
  return s;
}

/** Parses configuration text. `file` is only used in error messages. */
export function parseConfig(text: string, file = '<config>'): Settings {
  let entries;
  try {
    entries = parseIni(text);
  } catch (e) {
    if (e instanceof IniSyntaxError) throw new ConfigError(file, e.line, undefined, e.message);
    throw e;
  }
  const s = defaultSettings();
  const seen = new Map<string, number>();
  for (const { section, key, value, line } of entries) {
    // Own properties only: "constructor" or "__proto__" is an unknown key, not Object.prototype's.
    const sec = Object.hasOwn(SCHEMA, section) ? SCHEMA[section] : undefined;
    if (!sec) throw new ConfigError(file, line, undefined, `unknown section [${section}]`);
    const spec = Object.hasOwn(sec, key) ? sec[key] : undefined;
    if (!spec) throw new ConfigError(file, line, key, `unknown key in [${section}]`);
    const id = `${section}.${key}`;
    if (seen.has(id)) throw new ConfigError(file, line, key, `duplicate key (first set on line ${seen.get(id)})`);
    seen.set(id, line);
    if (spec.target === 'unused') {
      s.unused.push({ section, key, line });
      continue;
    }
    let parsed: unknown;
    try {
      parsed = spec.parse(value);
    } catch (e) {
      throw new ConfigError(file, line, key, (e as Error).message);
    }
    const [group, field] = spec.target;
    (s as unknown as Record<string, Record<string, unknown>>)[group]![field] = parsed;
  }
  return finish(s, file, (section, key) => seen.get(`${section}.${key}`));
}

/** Far more than any real configuration (the documented example is a few KiB). */
export const MAX_CONFIG_FILE_SIZE = 1024 * 1024;

/**
 * Loads the config file; with no path and no default file present, embedded
 * defaults apply. The path is the operator's choice, so a symbolic link is
 * followed; but only a regular file of at most MAX_CONFIG_FILE_SIZE bytes is
 * read (util/read-limited.ts): a FIFO must not hang start-up or a SIGHUP
 * reload, nor /dev/zero eat memory.
 */
export function loadConfig(path: string | undefined): { settings: Settings; source: string } {
  const file = path ?? DEFAULT_CONFIG_PATH;
  let r;
  try {
    r = readLimitedSync(file, MAX_CONFIG_FILE_SIZE + 1, { followLinks: true });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (path === undefined && err.code === 'ENOENT') {
      return { settings: finish(defaultSettings(), '<defaults>', () => undefined), source: '<embedded defaults>' };
    }
    throw new ConfigError(file, undefined, undefined, `cannot read: ${err.message}`);
  }
  if (r === undefined) throw new ConfigError(file, undefined, undefined, 'cannot read: not a regular file (a FIFO, device, socket or directory)');
  if (r.size > MAX_CONFIG_FILE_SIZE) throw new ConfigError(file, undefined, undefined, `cannot read: larger than ${MAX_CONFIG_FILE_SIZE} bytes`);
  return { settings: parseConfig(r.text, file), source: file };
}
