/**
 * The value types of binding keys and their parsers: text (as read from a
 * binding file, or a binding-add argument turned into the same text) to the
 * typed value, or `Invalid` with the reason an operator reads. Each parser
 * checks one value; rules between keys (an IP inside its SUBNET) are the
 * schema's (schema.ts BINDING_RULES).
 */
import { Address6 } from 'ip-address';
import { ipv4ToNumber, normalizeMac, numberToIpv4, prefixMask } from '../wire/addr.js';
import { ipv6InPrefix, ipv6PrefixOf, parseIpv6Address } from '../wire/ipv6-address.js';
import { isValidDomainName } from '../util/domain.js';
import { parseIpv6Unzoned } from '../util/ipv6.js';
import { NO_WORDS, YES_WORDS } from '../util/yes-no.js';
import type { ClasslessRoute } from '../wire/dhcp4-types.js';
import { MAX_DNS4_SERVERS, MAX_DNS6_SERVERS, MAX_ROUTES } from '../protocols/reply-limits.js';
import { parseRouteList } from './routes.js';
import { isValidInterfaceName } from './binding.js';

export interface Ipv4Subnet {
  network: string;
  prefixLength: number;
}

export interface Ipv6Subnet {
  /** Canonical prefix text, e.g. "2001:db8:10::". */
  network: string;
  prefixLength: number;
}

/** Why a value was refused (a class, so a parser can return it beside any value type). */
export class Invalid {
  constructor(readonly detail: string) {}
}

export type Parser<T> = (text: string) => T | Invalid;

/** The address when `v` is one in its usual text, exactly (the stored string is what replies encode). */
export function ipv4(v: string): string | undefined {
  const n = ipv4ToNumber(v);
  return n !== undefined && numberToIpv4(n) === v ? v : undefined;
}

export const parseIpv4: Parser<string> = (v) => ipv4(v) ?? new Invalid(`"${v}" is not an IPv4 address`);

export const parseMac: Parser<string> = (v) => normalizeMac(v) ?? new Invalid(`"${v}" is not a MAC address`);

export const parseInterfaceName: Parser<string> = (v) => (isValidInterfaceName(v) ? v : new Invalid(`"${v}" is not a valid interface name`));

export const parseIpv6: Parser<string> = (v) => {
  const g = parseIpv6Unzoned(v);
  return typeof g === 'string' ? g : new Invalid(g.error);
};

export const parseIpv4Subnet: Parser<Ipv4Subnet> = (v) => {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(v);
  const addr = m ? ipv4ToNumber(m[1]!) : undefined;
  const len = m ? Number(m[2]) : NaN;
  if (addr === undefined || !(len >= 0 && len <= 32)) return new Invalid(`"${v}" is not an IPv4 prefix (a.b.c.d/len)`);
  return { network: numberToIpv4((addr & prefixMask(len)) >>> 0), prefixLength: len };
};

/*
 * IPv6 text: the plain forms every binding file uses ("2001:db8::1",
 * "2001:db8::/64") go through the hand-written octet parser of
 * wire/ipv6-address.ts, whose canonical text is ip-address's correctForm()
 * (its tests check that); anything else (zone ids, odd prefix notations)
 * falls back to ip-address, so what is accepted and how it is written do not
 * change. Why: ip-address costs ~40 µs per address (BigInt, regexps), which
 * was a fifth of start-up with 4096 binding files and of every binding-add.
 */
export const parseIpv6Subnet: Parser<Ipv6Subnet> = (v) => {
  const slash = v.indexOf('/');
  if (slash > 0 && /^\d{1,3}$/.test(v.slice(slash + 1))) {
    const len = Number(v.slice(slash + 1));
    const addr = v.slice(0, slash);
    if (len <= 128 && parseIpv6Address(addr)) return { network: ipv6PrefixOf(addr, len), prefixLength: len };
  }
  let a: Address6;
  try {
    a = new Address6(v);
  } catch {
    return new Invalid(`"${v}" is not an IPv6 prefix`);
  }
  if (a.zone || !v.includes('/')) return new Invalid(`"${v}" is not an IPv6 prefix (addr/len)`);
  return { network: a.startAddress().correctForm(), prefixLength: a.subnetMask };
};

export const formatSubnet = (s: Ipv4Subnet | Ipv6Subnet | undefined): string => (s ? `${s.network}/${s.prefixLength}` : '');

export function inIpv4Subnet(ip: string, s: Ipv4Subnet): boolean {
  const n = ipv4ToNumber(ip)!;
  return (n & prefixMask(s.prefixLength)) >>> 0 === ipv4ToNumber(s.network);
}

export function inIpv6Subnet(ip: string, s: Ipv6Subnet): boolean {
  if (parseIpv6Address(ip) && parseIpv6Address(s.network)) return ipv6InPrefix(ip, s.network, s.prefixLength);
  try {
    return new Address6(ip).isInSubnet(new Address6(`${s.network}/${s.prefixLength}`));
  } catch {
    return false;
  }
}

export const parseMtu: Parser<number> = (v) => {
  const n = Number(v);
  // 68 is IPv4's minimum link MTU (RFC 791); 1280 is IPv6's but the key serves both.
  return /^\d+$/.test(v) && n >= 68 && n <= 65535 ? n : new Invalid(`"${v}" is not an MTU (68..65535)`);
};

export const parseHostname: Parser<string> = (v) =>
  // Option 12 carries at most 255 octets; keep hostnames printable.
  v.length <= 255 && /^[\x21-\x7e]+$/.test(v) ? v : new Invalid('must be 1..255 printable characters without spaces');

export const parseDomain: Parser<string> = (v) => (isValidDomainName(v) ? v : new Invalid(`"${v}" is not a valid domain name`));

/** nfdhcpd treated any non-empty value as set; "0", "no", "false" and "off" are read as unset here. */
export const parseFlag: Parser<boolean> = (v) => !NO_WORDS.includes(v.toLowerCase());

/**
 * A key onlinkd added with three states (unset: the configuration decides):
 * only the words of a flag are taken, so a typo is an error and not "on".
 */
export const parseSwitch: Parser<boolean> = (v) => {
  const w = v.toLowerCase();
  if (YES_WORDS.includes(w)) return true;
  if (NO_WORDS.includes(w)) return false;
  return new Invalid(`"${v}" is not yes or no`);
};

const tooLong = (what: string, max: number): Invalid =>
  new Invalid(`more than ${max} ${what} (what a reply can carry; see protocols/reply-limits.ts)`);

/**
 * The addresses of a comma- or space-separated list, each checked by
 * `parse`; undefined when it holds none: "DNS=," says no more than "DNS="
 * (the defaults apply). As an empty list it would mean "no servers" now,
 * yet be written back as nothing and mean the defaults after a restart.
 */
function addressList(parse: Parser<string>, max: number): Parser<string[] | undefined> {
  return (text) => {
    let list: string[] | undefined;
    for (const a of text.split(/[,\s]+/)) {
      if (a === '') continue;
      const v = parse(a);
      if (v instanceof Invalid) return v;
      (list ??= []).push(v);
    }
    return list && list.length > max ? tooLong('servers', max) : list;
  };
}

export const parseDns4List = addressList(parseIpv4, MAX_DNS4_SERVERS);
export const parseDns6List = addressList(parseIpv6, MAX_DNS6_SERVERS);
export const formatList = (l: readonly string[] | undefined): string => l?.join(',') ?? '';

export const parseRoutes: Parser<ClasslessRoute[]> = (text) => {
  const r = parseRouteList(text);
  if (!r.ok) return new Invalid(r.error);
  return r.routes.length > MAX_ROUTES ? tooLong('routes', MAX_ROUTES) : r.routes;
};
