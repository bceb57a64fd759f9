/**
 * The option list of a DHCPv4 OFFER or ACK (RFC 2132, 3442, 6842): what
 * the binding and settings say, encoded once and kept per binding (see
 * EncodedConfig), ordered most important first, and shared as the same
 * frozen array for every reply to the same request shape (the reply
 * templates of dhcp4-frame.ts key on that identity). Also the pieces of it
 * that say something on their own: the classless routes and whether the
 * client is Windows.
 */
import { hostnameDomain } from '../util/domain.js';
import type { Binding } from '../bindings/binding.js';
import type { Settings } from '../config/config.js';
import { numberToIpv4, prefixMask } from '../wire/addr.js';
import { Dhcp4MessageType, Dhcp4Option, type ClasslessRoute, type Dhcp4Message } from '../wire/dhcp4-types.js';
import { clientId, getOption, vendorClass } from '../wire/dhcp4.js';
import {
  encodeClasslessRoutes,
  encodeDomainSearch,
  encodeIpv4List,
  encodeString,
  encodeU16,
  encodeU32,
  encodeU8,
} from '../wire/dhcp4-options.js';
import { sameBytes } from '../wire/reader.js';
import { DHCP4_CATALOG } from '../wire/dhcp4-option-catalog.js';
import { bindingAddresses } from './binding-addresses.js';
import { bootOptions, bootShape } from './dhcp4-boot.js';
import { encodedOptions, type EncodedOption } from './option-settings.js';
import { keyedOptions4, withKeyedOptions } from './keyed-options.js';
import { NOTHING_ASKED, askedKey, pickOptions, setsCode } from './requested-options.js';

export type Dhcp4Settings = Settings['dhcp'];

export function isWindowsClient(request: Dhcp4Message, binding: Binding): boolean {
  if (binding.windows) return true;
  const vc = vendorClass(request);
  return vc !== undefined && vc.startsWith('MSFT');
}

/**
 * Classless static routes (RFC 3442), sent identically as 121 and 249.
 * Extra routes first, then 169.254.0.0/16 for Windows (which otherwise ARPs
 * for link-local services, RFC 3927 §2.6.2), then the default route: a client
 * that accepts 121 ignores option 3, so the default must be inside.
 */
export function classlessRoutes(binding: Binding, settings: Dhcp4Settings, windows: boolean): ClasslessRoute[] {
  const routes: ClasslessRoute[] = [...settings.routes, ...binding.routes];
  const gw = binding.private ? undefined : binding.gateway;
  if (gw && windows && settings.windowsLinkLocalRoute) {
    if (!routes.some((r) => r.destination === '169.254.0.0' && r.prefixLength === 16)) {
      routes.push({ destination: '169.254.0.0', prefixLength: 16, router: gw });
    }
  }
  if (gw) {
    const i = routes.findIndex((r) => r.prefixLength === 0);
    if (i >= 0) routes.splice(i, 1);
    routes.push({ destination: '0.0.0.0', prefixLength: 0, router: gw });
  }
  return routes;
}

function broadcastAddress(binding: Binding): string | undefined {
  const subnet = bindingAddresses(binding).subnet;
  return subnet ? numberToIpv4((subnet.network | ~subnet.mask) >>> 0) : undefined;
}

/**
 * The option values of a reply that depend only on the binding, the
 * settings and whether the client is Windows, encoded once: a guest asks
 * again and again, and re-encoding the same addresses for every reply was a
 * fifth of a DORA's CPU. Bindings and settings are replaced, never mutated,
 * on change, so object identity is the cache key (a WeakMap: a removed
 * binding takes its entry with it). Still pure: same inputs, same bytes.
 */
interface EncodedConfig {
  serverId: Uint8Array;
  lease: [Uint8Array, Uint8Array, Uint8Array];
  mask: Uint8Array | undefined;
  router: Uint8Array | undefined;
  routes: Uint8Array | undefined;
  dns: Uint8Array | undefined;
  domain: Uint8Array | undefined;
  hostname: Uint8Array | undefined;
  broadcast: Uint8Array | undefined;
  mtu: Uint8Array | undefined;
  search: Uint8Array | undefined;
}

interface ConfigCacheEntry {
  settings: Dhcp4Settings;
  sid: number;
  /** Index 0: other clients, 1: Windows (the 169.254.0.0/16 route differs). */
  byClient: [EncodedConfig | undefined, EncodedConfig | undefined];
  /** Options set by the operator (OPTION_<n>, [dhcp4-options]: option-settings.ts), merged and encoded. */
  extras: readonly EncodedOption[];
  /** Option lists already built, most recent last (see configOptions). */
  lists: OptionList[];
}

/** A reply's option list as configOptions built it, with the client identifier it echoes. */
interface OptionList {
  /** optionListKey of the request shape it answers. */
  key: number;
  /** askedKey of the operator's options the request asks for. */
  extra: number | string;
  cid: Uint8Array | undefined;
  options: Array<[number, Uint8Array]>;
}

const configCache = new WeakMap<Binding, ConfigCacheEntry>();

function encodeConfig(binding: Binding, settings: Dhcp4Settings, sid: number, windows: boolean, extras: readonly EncodedOption[]): EncodedConfig {
  const routes = classlessRoutes(binding, settings, windows);
  const dns = binding.dns ?? settings.nameservers;
  // Neither DOMAIN= nor [dhcp] domain: the HOSTNAME's domain, as nfdhcpd sent (README, Migrating from nfdhcpd).
  const domain = binding.domain ?? settings.domain ?? hostnameDomain(binding.hostname);
  const bcast = broadcastAddress(binding);
  return {
    serverId: encodeU32(sid), // an IPv4 address is its uint32, big-endian
    lease: [encodeU32(settings.leaseLifetime), encodeU32(settings.leaseRenewal), encodeU32(settings.leaseRebinding)],
    mask: binding.subnet ? encodeIpv4List([numberToIpv4(prefixMask(binding.subnet.prefixLength))]) : undefined,
    router: binding.gateway && !binding.private ? encodeIpv4List([binding.gateway]) : undefined,
    routes: routes.length > 0 ? encodeClasslessRoutes(routes) : undefined,
    dns: dns.length > 0 ? encodeIpv4List(dns) : undefined,
    domain: domain ? encodeString(domain) : undefined,
    hostname: binding.hostname ? encodeString(binding.hostname) : undefined,
    broadcast: bcast ? encodeIpv4List([bcast]) : undefined,
    mtu: binding.mtu !== undefined && binding.mtu >= 68 ? encodeU16(binding.mtu) : undefined,
    // An operator's option 119 replaces [dhcp] domain_search (the catalogue documents the override).
    search: settings.domainSearch.length > 0 && !setsCode(extras, Dhcp4Option.DomainSearch) ? encodeDomainSearch(settings.domainSearch) : undefined,
  };
}

function cacheEntry(binding: Binding, settings: Dhcp4Settings, sid: number): ConfigCacheEntry {
  let entry = configCache.get(binding);
  if (!entry || entry.settings !== settings || entry.sid !== sid) {
    // IPV6_ONLY and CAPTIVE_PORTAL join the operator's options as asked-for ones (keyed-options.ts).
    const extras = withKeyedOptions(encodedOptions(DHCP4_CATALOG, binding.dhcp4Options, settings.options), keyedOptions4(binding, settings));
    entry = { settings, sid, byClient: [undefined, undefined], extras, lists: [] };
    configCache.set(binding, entry);
  }
  return entry;
}

function encodedConfig(entry: ConfigCacheEntry, binding: Binding, windows: boolean): EncodedConfig {
  const k = windows ? 1 : 0;
  return (entry.byClient[k] ??= encodeConfig(binding, entry.settings, entry.sid, windows, entry.extras));
}

const MESSAGE_TYPE_VALUES = new Map<number, Uint8Array>();
/** Option 53's value: one octet, shared (the encoder copies it). */
export function messageTypeValue(type: Dhcp4MessageType): Uint8Array {
  let v = MESSAGE_TYPE_VALUES.get(type);
  if (!v) MESSAGE_TYPE_VALUES.set(type, (v = encodeU8(type)));
  return v;
}

/** Option codes whose presence in the PRL changes an OFFER or ACK. */
const PRL_BITS: ReadonlyArray<[code: number, bit: number]> = [
  [Dhcp4Option.ClasslessStaticRoute, 1],
  [Dhcp4Option.MsClasslessStaticRoute, 2],
  [Dhcp4Option.DomainSearch, 4],
];

/** Multiplier of a boot shape in a list key: above every bit optionListKey uses. */
const BOOT_SHAPE_UNIT = 1 << 16;

/** Everything but the client identifier and the boot shape that decides an option list, as one small integer. */
function optionListKey(type: Dhcp4MessageType, withLease: boolean, windows: boolean, prl: Uint8Array | undefined): number {
  let asked = 0;
  if (prl !== undefined) for (const [code, bit] of PRL_BITS) if (prl.includes(code)) asked |= bit;
  return (((type << 1) | (withLease ? 1 : 0)) << 1 | (windows ? 1 : 0)) << 3 | asked;
}

/** The same client identifier, or both absent. */
const sameClientId = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean =>
  a === undefined || b === undefined ? a === b : sameBytes(a, b);

/**
 * Option lists kept per binding. A guest needs two (OFFER and ACK), three or
 * four with INFORM or a second client kind; a hostile one varying its PRL,
 * vendor class or client identifier only churns these four (each list also
 * keys a frame template, so this bounds a guest's memory here to a few KB).
 */
const MAX_LISTS_PER_BINDING = 4;

/** The lists configOptions made and keeps (see isSharedOptionList). */
const sharedLists = new WeakSet<object>();

/**
 * Whether `options` is a list configOptions keeps and returns again for the
 * same guest, worth a frame template keyed on its identity (dhcp4-frame.ts);
 * any other list is one-off.
 */
export function isSharedOptionList(options: object): boolean {
  return sharedLists.has(options);
}

/**
 * Options of an OFFER or ACK, most important first (the encoder may drop
 * from the end to fit). A guest asks the same way every time, so the list
 * is built once per binding, settings and request shape and then returned
 * as the same (frozen: it is shared) array: the reply encoder keys its
 * frame templates on that identity (see isSharedOptionList).
 */
export function configOptions(
  request: Dhcp4Message,
  binding: Binding,
  settings: Dhcp4Settings,
  type: Dhcp4MessageType,
  sid: number,
  withLease: boolean,
): Array<[number, Uint8Array]> {
  const prl = getOption(request, Dhcp4Option.ParameterRequestList); // the raw code list: no array per reply
  const windows = isWindowsClient(request, binding);
  const cid = clientId(request);
  const entry = cacheEntry(binding, settings, sid);
  // The boot shape (dhcp4-boot.ts; 0 without boot keys) sits above optionListKey's bits.
  const boot = bootShape(request, binding, prl);
  const key = optionListKey(type, withLease, windows, prl) + boot * BOOT_SHAPE_UNIT;
  // Without operator options (the common case) this costs one length check.
  const extra = entry.extras.length === 0 ? NOTHING_ASKED : askedKey(entry.extras, (code) => prl !== undefined && prl.includes(code));
  const lists = entry.lists;
  for (const l of lists) if (l.key === key && l.extra === extra && sameClientId(l.cid, cid)) return l.options;
  const kept = cid?.slice(); // the request's bytes are a view into a reused receive buffer
  const picked = pickOptions(entry.extras, extra);
  const boots = bootOptions(binding, boot); // 66/67, ahead of the operator's options
  const options = buildConfigOptions(encodedConfig(entry, binding, windows), type, withLease, windows, key & 7, kept, boots.length ? [...boots, ...picked] : picked);
  if (lists.length >= MAX_LISTS_PER_BINDING) lists.shift();
  lists.push({ key, extra, cid: kept, options });
  return options;
}

function buildConfigOptions(
  c: EncodedConfig,
  type: Dhcp4MessageType,
  withLease: boolean,
  windows: boolean,
  asked: number,
  cid: Uint8Array | undefined,
  extras: ReadonlyArray<[number, Uint8Array]>,
): Array<[number, Uint8Array]> {
  const opts: Array<[number, Uint8Array]> = [
    [Dhcp4Option.MessageType, messageTypeValue(type)],
    [Dhcp4Option.ServerIdentifier, c.serverId],
  ];
  if (withLease) {
    opts.push([Dhcp4Option.LeaseTime, c.lease[0]], [Dhcp4Option.RenewalTime, c.lease[1]], [Dhcp4Option.RebindingTime, c.lease[2]]);
  }
  if (cid) opts.push([Dhcp4Option.ClientIdentifier, cid]); // RFC 6842 §3: always echoed
  // RFC 2132 §3.3: the subnet mask MUST come before the router option.
  if (c.mask) opts.push([Dhcp4Option.SubnetMask, c.mask]);
  if (c.router) opts.push([Dhcp4Option.Router, c.router]);
  if (c.routes) {
    // Presence in the PRL decides, never its order (Windows lists 3 before 121).
    if (asked & 1) opts.push([Dhcp4Option.ClasslessStaticRoute, c.routes]);
    if (asked & 2 || windows) opts.push([Dhcp4Option.MsClasslessStaticRoute, c.routes]);
  }
  if (c.dns) opts.push([Dhcp4Option.DomainNameServer, c.dns]);
  if (c.domain) opts.push([Dhcp4Option.DomainName, c.domain]);
  if (c.hostname) opts.push([Dhcp4Option.HostName, c.hostname]);
  if (c.broadcast) opts.push([Dhcp4Option.BroadcastAddress, c.broadcast]);
  if (c.mtu) opts.push([Dhcp4Option.InterfaceMtu, c.mtu]);
  if (c.search && asked & 4) opts.push([Dhcp4Option.DomainSearch, c.search]);
  // The operator's options last: asked for (or always:), and the first the encoder drops when a reply is full.
  opts.push(...extras);
  sharedLists.add(opts);
  return Object.freeze(opts) as Array<[number, Uint8Array]>;
}

