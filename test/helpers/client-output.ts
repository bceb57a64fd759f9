/**
 * Parsers for what the real clients driven by test/e2e/clients.ts report:
 * the environment their hook scripts receive (dhclient, udhcpc, dhcpcd,
 * `dhclient -6 -S`) and the text rdisc6/ndisc6 print. Pure functions, no
 * I/O, unit-tested against recorded outputs in test/unit/e2e-helpers/.
 *
 * The hook scripts written by clients.ts dump each event as NUL-separated
 * `KEY=VALUE` entries (`env -0`), preceded by a `__olk_event=<reason>` entry,
 * so values with newlines or `=` survive intact.
 */

/** Marker entry that starts each event in an environment dump. */
export const EVENT_MARKER = '__olk_event';

export interface ClientEvent {
  /** The event name as the script received it (dhclient `$reason`, udhcpc `$1`, dhcpcd `$reason`). */
  reason: string;
  env: Record<string, string>;
}

/**
 * Split an environment dump into events. Entries before the first marker
 * are ignored; a trailing partial entry (a script still writing) is dropped
 * only when it lacks its terminating NUL and has no `=`.
 */
export function parseEnvDump(dump: string | Uint8Array): ClientEvent[] {
  const text = typeof dump === 'string' ? dump : new TextDecoder().decode(dump);
  const events: ClientEvent[] = [];
  let current: ClientEvent | undefined;
  for (const entry of text.split('\0')) {
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    if (eq <= 0) continue;
    const key = entry.slice(0, eq);
    const value = entry.slice(eq + 1);
    if (key === EVENT_MARKER) {
      current = { reason: value, env: {} };
      events.push(current);
    } else if (current) {
      current.env[key] = value;
    }
  }
  return events;
}

export interface ClasslessRoute {
  /** Destination in CIDR form, e.g. `198.51.100.0/24` or `0.0.0.0/0`. */
  destination: string;
  gateway: string;
}

/**
 * Decode RFC 3442 option 121 bytes (descriptor width, significant octets,
 * router). Returns undefined when the bytes are not a whole, valid list.
 */
export function decodeRfc3442(bytes: readonly number[]): ClasslessRoute[] | undefined {
  const routes: ClasslessRoute[] = [];
  let i = 0;
  while (i < bytes.length) {
    const width = bytes[i]!;
    if (!Number.isInteger(width) || width < 0 || width > 32) return undefined;
    const significant = Math.ceil(width / 8);
    if (i + 1 + significant + 4 > bytes.length) return undefined;
    const dest = [0, 0, 0, 0];
    for (let k = 0; k < significant; k++) dest[k] = bytes[i + 1 + k]!;
    const gw = bytes.slice(i + 1 + significant, i + 1 + significant + 4);
    if ([...dest, ...gw].some((b) => !Number.isInteger(b) || b < 0 || b > 255)) return undefined;
    routes.push({ destination: `${dest.join('.')}/${width}`, gateway: gw.join('.') });
    i += 1 + significant + 4;
  }
  return routes;
}

/**
 * dhclient's `new_rfc3442_classless_static_routes`: the option bytes in
 * decimal, space-separated (commas accepted too, as in its lease file).
 */
export function parseDhclientClasslessRoutes(text: string | undefined): ClasslessRoute[] | undefined {
  if (text === undefined) return undefined;
  const parts = text.split(/[\s,]+/).filter((p) => p !== '');
  if (parts.length === 0) return [];
  if (!parts.every((p) => /^\d{1,3}$/.test(p))) return undefined;
  return decodeRfc3442(parts.map(Number));
}

/**
 * udhcpc `staticroutes` and dhcpcd `new_classless_static_routes`: pairs of
 * `dest/len gateway`, space-separated.
 */
export function parseRoutePairs(text: string | undefined): ClasslessRoute[] | undefined {
  if (text === undefined) return undefined;
  const parts = text.split(/\s+/).filter((p) => p !== '');
  if (parts.length % 2 !== 0) return undefined;
  const routes: ClasslessRoute[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    const destination = parts[i]!;
    const gateway = parts[i + 1]!;
    if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(destination) || !isIpv4(gateway)) return undefined;
    routes.push({ destination, gateway });
  }
  return routes;
}

function isIpv4(s: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  return !!m && m.slice(1).every((o) => Number(o) <= 255);
}

/** Prefix length of a dotted netmask, or undefined when not contiguous. */
export function maskToPrefixLength(mask: string | undefined): number | undefined {
  if (mask === undefined || !isIpv4(mask)) return undefined;
  const n = mask.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  let len = 0;
  while (len < 32 && n & (2 ** (31 - len))) len++;
  const rebuilt = len === 0 ? 0 : (2 ** 32 - 2 ** (32 - len));
  return rebuilt === n ? len : undefined;
}

function words(text: string | undefined): string[] {
  return text === undefined ? [] : text.split(/\s+/).filter((w) => w !== '');
}

function int(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text.trim())) return undefined;
  return Number(text.trim());
}

export type Dhcp4ClientName = 'dhclient' | 'udhcpc' | 'dhcpcd';

/** What a DHCPv4 client accepted, normalized across the three clients. */
export interface Dhcp4Lease {
  client: Dhcp4ClientName;
  /** dhclient: BOUND/REBOOT/RENEW/REBIND; udhcpc: bound/renew; dhcpcd -T: TEST. */
  reason: string;
  ip: string | undefined;
  subnetMask: string | undefined;
  prefixLength: number | undefined;
  routers: string[];
  dns: string[];
  domainName: string | undefined;
  /** Option 119 as the client reports it (space-separated names), when it asked for it. */
  domainSearch: string[];
  hostName: string | undefined;
  serverId: string | undefined;
  leaseTime: number | undefined;
  mtu: number | undefined;
  broadcast: string | undefined;
  /** Option 121 decoded; undefined when the client did not report it (or it was malformed). */
  classlessRoutes: ClasslessRoute[] | undefined;
  /** The raw text of option 121 as the client reported it, for malformed cases. */
  classlessRoutesRaw: string | undefined;
  /** Everything the script received. */
  env: Record<string, string>;
}

/** dhclient (isc-dhcp-client) `new_*` variables. */
export function leaseFromDhclient(ev: ClientEvent): Dhcp4Lease {
  const e = ev.env;
  const mask = e.new_subnet_mask;
  return {
    client: 'dhclient',
    reason: ev.reason,
    ip: e.new_ip_address,
    subnetMask: mask,
    prefixLength: maskToPrefixLength(mask),
    routers: words(e.new_routers),
    dns: words(e.new_domain_name_servers),
    domainName: e.new_domain_name,
    domainSearch: words(e.new_domain_search),
    hostName: e.new_host_name,
    serverId: e.new_dhcp_server_identifier,
    leaseTime: int(e.new_dhcp_lease_time),
    mtu: int(e.new_interface_mtu),
    broadcast: e.new_broadcast_address,
    classlessRoutes: parseDhclientClasslessRoutes(e.new_rfc3442_classless_static_routes),
    classlessRoutesRaw: e.new_rfc3442_classless_static_routes,
    env: e,
  };
}

/** busybox udhcpc variables (`ip`, `subnet`, `mask`, `router`, `dns`, `staticroutes`, ...). */
export function leaseFromUdhcpc(ev: ClientEvent): Dhcp4Lease {
  const e = ev.env;
  const prefix = int(e.mask);
  return {
    client: 'udhcpc',
    reason: ev.reason,
    ip: e.ip,
    subnetMask: e.subnet,
    prefixLength: prefix ?? maskToPrefixLength(e.subnet),
    routers: words(e.router),
    dns: words(e.dns),
    domainName: e.domain,
    domainSearch: words(e.search),
    hostName: e.hostname,
    serverId: e.serverid,
    leaseTime: int(e.lease),
    mtu: int(e.mtu),
    broadcast: e.broadcast,
    classlessRoutes: parseRoutePairs(e.staticroutes),
    classlessRoutesRaw: e.staticroutes,
    env: e,
  };
}

/** dhcpcd `new_*` variables (its names differ from dhclient's for option 121 and the prefix). */
export function leaseFromDhcpcd(ev: ClientEvent): Dhcp4Lease {
  const e = ev.env;
  const cidr = int(e.new_subnet_cidr);
  return {
    client: 'dhcpcd',
    reason: ev.reason,
    ip: e.new_ip_address,
    subnetMask: e.new_subnet_mask,
    prefixLength: cidr ?? maskToPrefixLength(e.new_subnet_mask),
    routers: words(e.new_routers),
    dns: words(e.new_domain_name_servers),
    domainName: e.new_domain_name,
    domainSearch: words(e.new_domain_search),
    hostName: e.new_host_name,
    serverId: e.new_dhcp_server_identifier,
    leaseTime: int(e.new_dhcp_lease_time),
    mtu: int(e.new_interface_mtu),
    broadcast: e.new_broadcast_address,
    classlessRoutes: parseRoutePairs(e.new_classless_static_routes),
    classlessRoutesRaw: e.new_classless_static_routes,
    env: e,
  };
}

/** What `dhclient -6 -S` (stateless Information-Request) accepted. */
export interface Dhcp6Info {
  /** RENEW6 for a stateless exchange on isc-dhcp-client 4.4. */
  reason: string;
  dns: string[];
  /** Names as dhclient reports them (it keeps the trailing dot: `example.test.`). */
  domainSearch: string[];
  serverId: string | undefined;
  clientId: string | undefined;
  env: Record<string, string>;
}

export function infoFromDhclient6(ev: ClientEvent): Dhcp6Info {
  const e = ev.env;
  return {
    reason: ev.reason,
    dns: words(e.new_dhcp6_name_servers),
    domainSearch: words(e.new_dhcp6_domain_search),
    serverId: e.new_dhcp6_server_id,
    clientId: e.new_dhcp6_client_id,
    env: e,
  };
}

// ---------------------------------------------------------------------------
// rdisc6 / ndisc6 (ndisc6 package 1.0.x) text output

export interface Rdisc6Prefix {
  prefix: string;
  length: number;
  onLink: boolean | undefined;
  autonomous: boolean | undefined;
  validLifetime: number | undefined;
  preferredLifetime: number | undefined;
}

export interface Rdisc6Route {
  prefix: string;
  length: number;
  preference: string | undefined;
  lifetime: number | undefined;
}

export interface Rdisc6Advert {
  hopLimit: number | undefined;
  managed: boolean | undefined;
  other: boolean | undefined;
  homeAgent: boolean | undefined;
  /** `low`, `medium`, `high` or `reserved`. */
  preference: string | undefined;
  proxy: boolean | undefined;
  routerLifetime: number | undefined;
  reachableTime: number | undefined;
  retransmitTime: number | undefined;
  /** Lower-case colon form. */
  sourceLinkLayer: string | undefined;
  mtu: number | undefined;
  prefixes: Rdisc6Prefix[];
  routes: Rdisc6Route[];
  rdnss: { server: string; lifetime: number | undefined }[];
  dnssl: { domains: string[]; lifetime: number | undefined }[];
  /** The advertisement's source address (the ` from ...` line). */
  from: string | undefined;
  /** Lines the parser did not recognize, kept for diagnosis. */
  unknown: string[];
}

/**
 * rdisc6 prints numbers as `1800 (0x00000708) seconds`, `infinite
 * (0xffffffff)`, `unspecified (0x00000000)` or `64 (      0x40)`: prefer the
 * hex in parentheses, else a leading decimal.
 */
export function parseRdisc6Number(value: string): number | undefined {
  const hex = /\(\s*0x([0-9a-f]+)\s*\)/i.exec(value);
  if (hex) return parseInt(hex[1]!, 16);
  const dec = /^\s*(\d+)/.exec(value);
  return dec ? Number(dec[1]) : undefined;
}

function yesNo(v: string): boolean | undefined {
  const t = v.trim().toLowerCase();
  if (t === 'yes') return true;
  if (t === 'no') return false;
  return undefined;
}

function newAdvert(): Rdisc6Advert {
  return {
    hopLimit: undefined, managed: undefined, other: undefined, homeAgent: undefined,
    preference: undefined, proxy: undefined, routerLifetime: undefined,
    reachableTime: undefined, retransmitTime: undefined, sourceLinkLayer: undefined,
    mtu: undefined, prefixes: [], routes: [], rdnss: [], dnssl: [], from: undefined, unknown: [],
  };
}

/** Every advertisement in rdisc6 output (one per ` from ...` line). */
export function parseRdisc6(stdout: string): Rdisc6Advert[] {
  const adverts: Rdisc6Advert[] = [];
  let ra: Rdisc6Advert | undefined;
  const cur = (): Rdisc6Advert => (ra ??= newAdvert());
  for (const rawLine of stdout.split('\n')) {
    const line = rawLine.replace(/\r$/, '');
    if (line.trim() === '' || /^Soliciting /.test(line)) continue;
    const from = /^\s*from\s+(\S+)\s*$/.exec(line);
    if (from) {
      cur().from = from[1];
      adverts.push(cur());
      ra = undefined;
      continue;
    }
    const kv = /^\s*([A-Za-z][A-Za-z .\-]*?)\s*:\s*(.*)$/.exec(line);
    if (!kv) {
      if (ra) ra.unknown.push(line);
      continue;
    }
    const key = kv[1]!.toLowerCase();
    const value = kv[2]!;
    const a = cur();
    const lastPrefix = a.prefixes[a.prefixes.length - 1];
    const lastRoute = a.routes[a.routes.length - 1];
    const lastDnssl = a.dnssl[a.dnssl.length - 1];
    switch (key) {
      case 'hop limit': a.hopLimit = parseRdisc6Number(value); break;
      case 'stateful address conf.': a.managed = yesNo(value); break;
      case 'stateful other conf.': a.other = yesNo(value); break;
      case 'mobile home agent': a.homeAgent = yesNo(value); break;
      case 'router preference': a.preference = value.trim(); break;
      case 'neighbor discovery proxy': a.proxy = yesNo(value); break;
      case 'router lifetime': a.routerLifetime = parseRdisc6Number(value); break;
      case 'reachable time': a.reachableTime = parseRdisc6Number(value); break;
      case 'retransmit time': a.retransmitTime = parseRdisc6Number(value); break;
      case 'source link-layer address': a.sourceLinkLayer = value.trim().toLowerCase(); break;
      case 'mtu': a.mtu = parseRdisc6Number(value); break;
      case 'prefix': {
        const m = /^\s*([0-9a-f:.]+)\/(\d+)/i.exec(value);
        if (m) {
          a.prefixes.push({ prefix: m[1]!.toLowerCase(), length: Number(m[2]), onLink: undefined,
            autonomous: undefined, validLifetime: undefined, preferredLifetime: undefined });
        } else a.unknown.push(line);
        break;
      }
      case 'on-link': if (lastPrefix) lastPrefix.onLink = yesNo(value); break;
      case 'autonomous address conf.': if (lastPrefix) lastPrefix.autonomous = yesNo(value); break;
      case 'valid time': if (lastPrefix) lastPrefix.validLifetime = parseRdisc6Number(value); break;
      case 'pref. time': if (lastPrefix) lastPrefix.preferredLifetime = parseRdisc6Number(value); break;
      case 'route': {
        const m = /^\s*([0-9a-f:.]+)\/(\d+)/i.exec(value);
        if (m) a.routes.push({ prefix: m[1]!.toLowerCase(), length: Number(m[2]), preference: undefined, lifetime: undefined });
        else a.unknown.push(line);
        break;
      }
      case 'route preference': if (lastRoute) lastRoute.preference = value.trim(); break;
      case 'route lifetime': if (lastRoute) lastRoute.lifetime = parseRdisc6Number(value); break;
      case 'recursive dns server': a.rdnss.push({ server: value.trim().toLowerCase(), lifetime: undefined }); break;
      case 'dns server lifetime':
      case 'dns servers lifetime':
        // One lifetime line follows the whole server list of an option: apply it to the servers still without one.
        for (const r of a.rdnss) if (r.lifetime === undefined) r.lifetime = parseRdisc6Number(value);
        break;
      case 'dns search list': a.dnssl.push({ domains: words(value), lifetime: undefined }); break;
      case 'dns search list lifetime': if (lastDnssl) lastDnssl.lifetime = parseRdisc6Number(value); break;
      default: a.unknown.push(line);
    }
  }
  return adverts;
}

export interface Ndisc6Answer {
  /** Lower-case colon form. */
  targetMac: string;
  /** Source address of the Neighbor Advertisement. */
  from: string | undefined;
}

/** Every answer in ndisc6 output (`Target link-layer address: ...` then ` from ...`). */
export function parseNdisc6(stdout: string): Ndisc6Answer[] {
  const answers: Ndisc6Answer[] = [];
  let pending: Ndisc6Answer | undefined;
  for (const line of stdout.split('\n')) {
    const tll = /^\s*Target link-layer address\s*:\s*([0-9a-f:]+)\s*$/i.exec(line);
    if (tll) {
      if (pending) answers.push(pending);
      pending = { targetMac: tll[1]!.toLowerCase(), from: undefined };
      continue;
    }
    const from = /^\s*from\s+(\S+)\s*$/.exec(line);
    if (from && pending) {
      pending.from = from[1];
      answers.push(pending);
      pending = undefined;
    }
  }
  if (pending) answers.push(pending);
  return answers;
}
