/**
 * The binding schema: every key a binding has, once. The binding-file
 * parser and writer (binding-file.ts), binding-add's argument schema and its
 * translation (control/protocol.ts, binding-args.ts), onlinkctl's `bind`
 * options and `show` lines (cli/) and the README's table of keys
 * (binding-keys-doc.ts) are all derived from this table, so adding a key is
 * one entry here plus the code that acts on it.
 *
 * A key has:
 *  - `file`: its name in binding files; binding-add and onlinkctl take it in
 *    lower case (DESIGN.md "Names that are fixed"), `onlinkctl bind` as
 *    `--lower-case-with-dashes`;
 *  - `field`: its field on Binding (whose type is derived from this table);
 *  - `kind`: its shape in binding-add's JSON and on onlinkctl's command line:
 *    text, number, flag (boolean: set or unset), switch (boolean or unset:
 *    the configuration decides), list (a string or an array of strings);
 *  - `parse` (file text → value, or why not: see binding-values.ts) and
 *    `format` (value → file text, '' = unset), `unset` (the value when the key
 *    is absent or empty), `doc` (one line for the README);
 *  - `nfdhcpd`: its place in nfdhcpd's files; those keys are always written,
 *    in that order, the others only when set.
 * The order of the table is the order of checks (the first error found is
 * reported), of binding-get's view and of `onlinkctl show`.
 */
import type { ClasslessRoute } from '../wire/dhcp4-types.js';
import type { Frozen } from '../util/frozen.js';
import {
  formatList, formatSubnet, inIpv4Subnet, inIpv6Subnet, parseDns4List, parseDns6List, parseDomain, parseFlag, parseHostname,
  parseInterfaceName, parseIpv4, parseIpv4Subnet, parseIpv6, parseIpv6Subnet, parseMac, parseMtu, parseRoutes, parseSwitch,
  type Ipv4Subnet, type Ipv6Subnet, type Parser,
} from './binding-values.js';
import { formatRouteList } from './routes.js';
import { parseBootfile, parseBootfileUrl } from './boot-values.js';
import { parseCaptivePortal, parseIpv6Only } from './modern-values.js';
import { formatRoutes6, parsePref64, parseRoutes6, type Route6 } from './ra-values.js';
import { RA_ROUTES_PORTAL_ROOM, raRoutesPortalOctets } from '../protocols/reply-limits.js';
import { parseIp6, parseMode6, parsePrefix6, prefixesOverlap } from './ipv6-values.js';
import type { Ipv6Mode } from '../config/values.js';
import type { OptionCatalog } from '../wire/option-catalog.js';
import { DHCP4_CATALOG } from '../wire/dhcp4-option-catalog.js';
import { DHCP6_CATALOG } from '../wire/dhcp6-option-catalog.js';
import type { OptionSettings } from '../protocols/option-settings.js';

export type KeyKind = 'text' | 'number' | 'flag' | 'switch' | 'list';

/** `unset` of a key whose absent value is the tap's own name (INDEV). */
export const TAP_NAME: unique symbol = Symbol('the tap name');

export interface BindingKey<Field extends string = string, File extends string = string, T = unknown, Kind extends KeyKind = KeyKind> {
  readonly field: Field;
  readonly file: File;
  readonly kind: Kind;
  readonly parse: Parser<T>;
  readonly format: (value: T) => string;
  readonly unset: T | typeof TAP_NAME;
  /** The value in binding-add's JSON and binding-get's view (default: the file text, or the value for numbers and booleans). */
  readonly json?: (value: T) => unknown;
  /** One line for the README's table of keys. */
  readonly doc: string;
  /** What the value looks like, in onlinkctl's usage. */
  readonly meta?: string;
  /** Label in `onlinkctl show` (flags are listed together on one line). */
  readonly label?: string;
  /** Place in nfdhcpd's files: written always, in this order. */
  readonly nfdhcpd?: number;
  /** Blanks around the value are part of it (free text); else refused. */
  readonly freeText?: boolean;
  /** The key must be set; the message when it is not. */
  readonly required?: string;
}

type Extra = Pick<BindingKey, 'doc' | 'meta' | 'label' | 'nfdhcpd' | 'freeText' | 'required'>;

function text<F extends string, K extends string>(field: F, file: K, parse: Parser<string>, x: Extra): BindingKey<F, K, string | undefined, 'text'> {
  return { field, file, kind: 'text', parse, format: (v) => v ?? '', unset: undefined, ...x };
}

function required<F extends string, K extends string>(field: F, file: K, parse: Parser<string>, x: Extra & { required: string }): BindingKey<F, K, string, 'text'> {
  return { field, file, kind: 'text', parse, format: (v) => v, unset: '', ...x };
}

function subnet<F extends string, K extends string, S extends Ipv4Subnet | Ipv6Subnet>(field: F, file: K, parse: Parser<S>, x: Extra): BindingKey<F, K, S | undefined, 'text'> {
  return { field, file, kind: 'text', parse, format: formatSubnet, unset: undefined, ...x };
}

function flag<F extends string, K extends string>(field: F, file: K, x: Extra): BindingKey<F, K, boolean, 'flag'> {
  return { field, file, kind: 'flag', parse: parseFlag, format: (v) => (v ? '1' : ''), unset: false, ...x };
}

function list<F extends string, K extends string>(field: F, file: K, parse: Parser<string[] | undefined>, x: Extra): BindingKey<F, K, string[] | undefined, 'list'> {
  return { field, file, kind: 'list', parse, format: formatList, unset: undefined, ...x };
}

const NO_ROUTES: ClasslessRoute[] = [];
const NO_ROUTES6: Route6[] = [];

export const BINDING_KEYS = [
  required('mac', 'MAC', parseMac, { label: 'MAC', meta: 'MAC', nfdhcpd: 3, required: 'missing (the VM MAC is required)', doc: "the VM's MAC (required); only its frames are answered" }),
  text('ip', 'IP', parseIpv4, { label: 'IPv4', meta: 'IP', nfdhcpd: 2, doc: 'the IPv4 address DHCP offers (needs `SUBNET`)' }),
  subnet('subnet', 'SUBNET', parseIpv4Subnet, { label: 'subnet', meta: 'A.B.C.D/LEN', nfdhcpd: 7, doc: "the IPv4 subnet (netmask, broadcast); holds `IP` and `GATEWAY`" }),
  text('gateway', 'GATEWAY', parseIpv4, { label: 'gateway', meta: 'IP', nfdhcpd: 6, doc: 'the IPv4 router (option 3 and the classless routes)' }),
  subnet('subnet6', 'SUBNET6', parseIpv6Subnet, { label: 'IPv6 prefix', meta: 'PREFIX/LEN', nfdhcpd: 9, doc: 'the /64 advertised for SLAAC; RAs and NAs need it' }),
  text('gateway6', 'GATEWAY6', parseIpv6, { label: 'gateway6', meta: 'IP6', nfdhcpd: 8, doc: 'the IPv6 gateway: Neighbor Solicitations for it are answered' }),
  text('eui64', 'EUI64', parseIpv6, { label: 'EUI-64', meta: 'IP6', nfdhcpd: 10, doc: "the VM's IPv6 address (inside `SUBNET6`), announced on the uplink" }),
  text('hostname', 'HOSTNAME', parseHostname, { label: 'hostname', meta: 'NAME', nfdhcpd: 4, doc: 'DHCP option 12 (printable, no spaces)' }),
  text('domain', 'DOMAIN', parseDomain, { label: 'domain', meta: 'NAME', doc: 'domain name for this tap (default `[dhcp] domain`)' }),
  list('dns', 'DNS', parseDns4List, { label: 'DNS', meta: 'IP[,IP]', doc: 'IPv4 name servers for this tap (default `[dhcp] nameservers`)' }),
  list('dns6', 'DNS6', parseDns6List, { label: 'DNS6', meta: 'IP6[,IP6]', doc: 'IPv6 name servers for this tap (default `[ipv6] nameservers`)' }),
  {
    field: 'routes', file: 'ROUTES', kind: 'list', parse: parseRoutes, format: formatRouteList, unset: NO_ROUTES, label: 'routes', meta: '"DEST/LEN via GW"',
    json: (r) => (r.length ? r.map((one) => formatRouteList([one])) : undefined),
    doc: 'extra classless static routes, `DEST/LEN via ROUTER, ...` (after `[dhcp] routes`)',
  } satisfies BindingKey<'routes', 'ROUTES', ClasslessRoute[], 'list'>,
  {
    field: 'mtu', file: 'MTU', kind: 'number', parse: parseMtu, format: (v) => (v === undefined ? '' : String(v)), unset: undefined, label: 'MTU', meta: 'N', nfdhcpd: 12,
    doc: 'set: DHCP option 26 and the RA MTU option (68..65535)',
  } satisfies BindingKey<'mtu', 'MTU', number | undefined, 'number'>,
  // Stateful DHCPv6 and the per-tap mode (DESIGN.md "Second stage"; values and rules: ipv6-values.ts; answers: protocols/dhcp6-stateful.ts).
  {
    field: 'mode6', file: 'MODE6', kind: 'text', parse: parseMode6, format: (v) => v ?? '', unset: undefined, label: 'IPv6 mode', meta: 'MODE',
    doc: "this tap's IPv6 mode over `[ipv6] mode`: `slaac+dhcpv6` (DHCPv6 answers Information-Request), `dhcpv6` (also Solicit/Request/Renew/...: `IP6`, `PREFIX6`), `slaac` or `none` (no DHCPv6)",
  } satisfies BindingKey<'mode6', 'MODE6', Ipv6Mode | undefined, 'text'>,
  text('ip6', 'IP6', parseIp6, { label: 'IPv6 (DHCPv6)', meta: 'IP6', doc: 'the address stateful DHCPv6 gives (IA_NA) in mode `dhcpv6`; default `EUI64`; inside `SUBNET6`' }),
  subnet('prefix6', 'PREFIX6', parsePrefix6, { label: 'delegated prefix', meta: 'PREFIX/LEN', doc: 'a prefix delegated to the VM by DHCPv6 (IA_PD) in mode `dhcpv6`, e.g. `2001:db8:100::/56`; not overlapping `SUBNET6`' }),
  // Network boot (DESIGN.md "Second stage"; which file a client gets: protocols/dhcp4-boot.ts).
  text('bootfile', 'BOOTFILE', parseBootfile, { label: 'boot file', meta: 'FILE|URL', doc: 'DHCPv4 boot file: the `file` field, and option 67 when asked for or longer than 127 (at most 255)' }),
  text('bootfileEfi', 'BOOTFILE_EFI', parseBootfile, { label: 'boot file (UEFI)', meta: 'FILE|URL', doc: 'boot file instead of `BOOTFILE` for UEFI clients (option 93: 6, 7, 9, 10, 11, ... RFC 4578)' }),
  text('ipxeBootfile', 'IPXE_BOOTFILE', parseBootfile, { label: 'iPXE boot file', meta: 'FILE|URL', doc: 'boot file instead of those for iPXE (user class 77 `iPXE` or option 175), so chainloading never loops' }),
  text('nextServer', 'NEXT_SERVER', parseIpv4, { label: 'next server', meta: 'IP', doc: 'next server: `siaddr` of OFFER and ACK (where a PXE ROM fetches a TFTP file), and option 66 when asked for' }),
  text('bootfile6', 'BOOTFILE6', parseBootfileUrl, { label: 'boot file URL (DHCPv6)', meta: 'URL', doc: 'DHCPv6 boot file URL (option 59, RFC 5970) when the client asks for it' }),
  // IPv6-only guests and captive portals (DESIGN.md "Second stage"; replies: protocols/keyed-options.ts).
  {
    field: 'ipv6Only', file: 'IPV6_ONLY', kind: 'number', parse: parseIpv6Only, format: (v) => (v === undefined ? '' : String(v)), unset: undefined,
    label: 'IPv6-only wait', meta: 'SECONDS',
    doc: 'DHCPv4 option 108 (RFC 8925), seconds (300..4294967295) the guest may go without IPv4, to clients asking for it (their OFFER then has `yiaddr` 0.0.0.0); default `[dhcp] ipv6_only_preferred`',
  } satisfies BindingKey<'ipv6Only', 'IPV6_ONLY', number | undefined, 'number'>,
  text('captivePortal', 'CAPTIVE_PORTAL', parseCaptivePortal, {
    label: 'captive portal', meta: 'URI', doc: 'captive portal API URI (RFC 8910): DHCPv4 option 114 and DHCPv6 option 103 when asked for; `https://...` or `urn:ietf:params:capport:unrestricted`',
  }),
  // What RAs carry beyond the prefix (DESIGN.md "Second stage"; values: ra-values.ts; RA: protocols/router-advert.ts).
  {
    field: 'routes6', file: 'ROUTES6', kind: 'list', parse: parseRoutes6, format: formatRoutes6, unset: NO_ROUTES6, label: 'IPv6 routes (RA)', meta: '"PREFIX/LEN [high|medium|low]"',
    json: (r) => (r.length ? r.map((one) => formatRoutes6([one])) : undefined),
    doc: 'RFC 4191 routes in RAs, `PREFIX/LEN [high|medium|low], ...` (default medium), lifetime the Router Lifetime; with `CAPTIVE_PORTAL` at most 168 octets of the RA (7 routes longer than /64, 10 up to /64)',
  } satisfies BindingKey<'routes6', 'ROUTES6', Route6[], 'list'>,
  subnet('pref64', 'PREF64', parsePref64, {
    label: 'NAT64 prefix (RA)', meta: 'PREFIX/LEN',
    doc: 'NAT64 prefix in RAs (RFC 8781 PREF64), /96, /64, /56, /48, /40 or /32, e.g. `64:ff9b::/96`; default `[ipv6] pref64`',
  }),
  {
    field: 'indev', file: 'INDEV', kind: 'text', parse: parseInterfaceName, format: (v) => v, unset: TAP_NAME, label: 'indev', meta: 'IF', nfdhcpd: 1,
    doc: 'interface whose MAC answers (the bridge in bridged mode; default: the tap)',
  } satisfies BindingKey<'indev', 'INDEV', string, 'text'>,
  text('uplink', 'UPLINK', parseInterfaceName, { label: 'uplink', meta: 'IF', doc: 'announcement interface for IPv4 (default `[announce] uplink`)' }),
  text('uplink6', 'UPLINK6', parseInterfaceName, { label: 'uplink6', meta: 'IF', doc: 'announcement interface for IPv6 (default `[announce] uplink6`)' }),
  text('tags', 'TAGS', (v) => v, { label: 'tags', meta: 'TEXT', nfdhcpd: 5, freeText: true, doc: 'free text, kept (nfdhcpd)' }),
  flag('macspoof', 'MACSPOOF', { nfdhcpd: 13, doc: 'set: answer any source MAC on this tap' }),
  flag('private', 'PRIVATE', { nfdhcpd: 11, doc: 'set: isolated network, no router option and no default route' }),
  flag('windows', 'WINDOWS', { doc: 'set: send the 169.254.0.0/16 route even without vendor class "MSFT"' }),
  {
    field: 'arpResponder', file: 'ARP_RESPONDER', kind: 'switch', parse: parseSwitch, format: (v) => (v === undefined ? '' : v ? 'yes' : 'no'), unset: undefined,
    label: 'ARP responder', meta: 'yes|no', doc: '`yes`/`no`: this tap\'s ARP responder (default `[arp] responder`)',
  } satisfies BindingKey<'arpResponder', 'ARP_RESPONDER', boolean | undefined, 'switch'>,
  {
    field: 'routed', file: 'ROUTED', kind: 'switch', parse: parseSwitch, format: (v) => (v === undefined ? '' : v ? 'yes' : 'no'), unset: undefined,
    label: 'routed', meta: 'yes|no', doc: '`yes`/`no`: host routes to this tap for its addresses (default `[routing] manage`)',
  } satisfies BindingKey<'routed', 'ROUTED', boolean | undefined, 'switch'>,
] as const;

export type BindingKeySpec = (typeof BINDING_KEYS)[number];

type ValueOf<K> = K extends BindingKey<string, string, infer T, KeyKind> ? T : never;

/** The fields of a binding the schema describes, read-only at every depth. */
export type BindingFields = { readonly [K in BindingKeySpec as K['field']]: Frozen<ValueOf<K>> };

/** A key of the table with its value type erased, for code that walks every key (value in, value out). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyBindingKey = BindingKey<string, string, any, KeyKind>;
export const KEYS: readonly AnyBindingKey[] = BINDING_KEYS;

/** binding-add's (and onlinkctl's) name of a key. */
export const argName = (k: Pick<BindingKey, 'file'>): string => k.file.toLowerCase();

/**
 * A key family: keys made of a prefix and a number (`OPTION_42`), one
 * entry for all of them. Each member is `prefix + code` in files,
 * `lower(prefix) + code` in binding-add, a repeatable `--cli N=VALUE` in
 * `onlinkctl bind`; its value is parsed by the family's catalogue (a code
 * the catalogue refuses is an error naming the member). The field holds
 * the members set, in code order (protocols/option-settings.ts).
 */
export interface BindingKeyFamily<Field extends string = string> {
  readonly field: Field;
  /** File-key prefix: members are `OPTION_<n>`. */
  readonly prefix: string;
  /** `onlinkctl bind --<cli> N=VALUE`. */
  readonly cli: string;
  readonly catalog: OptionCatalog;
  /** Label in `onlinkctl show` (followed by the code and the option's name). */
  readonly label: string;
  /** One line for the README's table of keys. */
  readonly doc: string;
}

export const BINDING_FAMILIES = [
  {
    field: 'dhcp4Options', prefix: 'OPTION_', cli: 'option', catalog: DHCP4_CATALOG, label: 'option',
    doc: 'DHCPv4 option `<n>` (1..254), sent when asked for (`always:` first: always); typed by code, or `hex:…`/`text:…`: see "Any DHCP option"',
  },
  {
    field: 'dhcp6Options', prefix: 'OPTION6_', cli: 'option6', catalog: DHCP6_CATALOG, label: 'option6',
    doc: 'DHCPv6 option `<n>` (1..65535), sent when in the ORO (`always:` first: always), same forms',
  },
] as const satisfies readonly BindingKeyFamily[];

export type BindingFamilySpec = (typeof BINDING_FAMILIES)[number];
export const FAMILIES: readonly BindingKeyFamily[] = BINDING_FAMILIES;

/** The option settings of each family, in code order. */
export type BindingFamilyFields = { readonly [F in BindingFamilySpec as F['field']]: OptionSettings };

const MEMBER = /^(.*?)(\d+)$/;

/**
 * The family and code of a member key (`OPTION_42`, or `option_42` with
 * `lower`), or undefined. The code is as written: `OPTION_042` is a member
 * whose code text `042` is refused when parsed (one key per code).
 */
export function familyMember(key: string, lower = false): { family: BindingKeyFamily; code: number; codeText: string } | undefined {
  const m = MEMBER.exec(key);
  if (!m) return undefined;
  const family = FAMILIES.find((f) => (lower ? f.prefix.toLowerCase() : f.prefix) === m[1]);
  return family && m[2]!.length <= 6 ? { family, code: Number(m[2]), codeText: m[2]! } : undefined;
}

/** A member's name: `OPTION_42` (file) or `option_42` (binding-add). */
export const memberKey = (f: Pick<BindingKeyFamily, 'prefix'>, code: number, lower = false): string =>
  `${lower ? f.prefix.toLowerCase() : f.prefix}${code}`;

function raTooBig(octets: number, what: string): string | undefined {
  if (octets <= RA_ROUTES_PORTAL_ROOM) return undefined;
  return `${what} would take ${octets} octets of the RA, which holds ${RA_ROUTES_PORTAL_ROOM} for ROUTES6 and CAPTIVE_PORTAL together (1280 octets with the longest DNS6 and search lists; a route is 8, 16 or 24 octets, the portal option 2 + the URI padded to 8)`;
}

/**
 * Rules between keys, checked once every key parsed, in this order. `key`
 * is the key the error names, `at` the key whose line it points to.
 */
export const BINDING_RULES: ReadonlyArray<{ key: string; at: string; check: (b: BindingFields) => string | undefined }> = [
  { key: 'SUBNET', at: 'IP', check: (b) => (b.ip && !b.subnet ? 'missing: an IP needs its SUBNET (for the netmask)' : undefined) },
  { key: 'IP', at: 'IP', check: (b) => (b.ip && b.subnet && !inIpv4Subnet(b.ip, b.subnet) ? `${b.ip} is outside SUBNET ${formatSubnet(b.subnet)}` : undefined) },
  {
    key: 'GATEWAY', at: 'GATEWAY',
    check: (b) => (b.gateway && b.subnet && !inIpv4Subnet(b.gateway, b.subnet) ? `${b.gateway} is outside SUBNET ${formatSubnet(b.subnet)}` : undefined),
  },
  { key: 'GATEWAY', at: 'GATEWAY', check: (b) => (b.gateway && b.ip && b.gateway === b.ip ? 'equals the VM IP' : undefined) },
  { key: 'EUI64', at: 'EUI64', check: (b) => (b.eui64 && b.subnet6 && !inIpv6Subnet(b.eui64, b.subnet6) ? `${b.eui64} is outside SUBNET6` : undefined) },
  // The RA must fit 1280 octets with every list at its limit (protocols/reply-limits.ts): refused here, never an RA that fails later.
  { key: 'CAPTIVE_PORTAL', at: 'CAPTIVE_PORTAL', check: (b) => raTooBig(raRoutesPortalOctets([], b.captivePortal), 'its RA option') },
  { key: 'ROUTES6', at: 'ROUTES6', check: (b) => raTooBig(raRoutesPortalOctets(b.routes6, b.captivePortal), 'with CAPTIVE_PORTAL, their RA options') },
  { key: 'IP6', at: 'IP6', check: (b) => (b.ip6 && b.subnet6 && !inIpv6Subnet(b.ip6, b.subnet6) ? `${b.ip6} is outside SUBNET6 (the on-link prefix a Confirm is checked against)` : undefined) },
  {
    key: 'PREFIX6', at: 'PREFIX6',
    check: (b) => (b.prefix6 && b.subnet6 && prefixesOverlap(b.prefix6, b.subnet6) ? `${formatSubnet(b.prefix6)} overlaps SUBNET6 ${formatSubnet(b.subnet6)} (a delegated prefix is routed to the VM, not on its link)` : undefined),
  },
];
