/**
 * Value parsers of the configuration keys (keys.ts): text after `=` → the
 * typed value, or a throw whose message parse.ts prefixes with file, line and
 * key. The defaults in keys.ts are text parsed by these same functions, so a
 * default can never be a value the file could not hold.
 */
import { parseIpv4 } from '../wire/addr.js';
import type { ClasslessRoute } from '../wire/dhcp4-types.js';
import { parseRouteList } from '../bindings/routes.js';
import { isValidDomainName } from '../util/domain.js';
import { parseIpv6Unzoned } from '../util/ipv6.js';
import { NO_WORDS, YES_WORDS } from '../util/yes-no.js';
import { isValidInterfaceName } from '../bindings/binding.js';
import { MAX_DNS4_SERVERS, MAX_DNS6_SERVERS, MAX_ROUTES, MAX_SEARCH_LIST_OCTETS, searchListOctets } from '../protocols/reply-limits.js';

export type Parser<T> = (value: string) => T;

/**
 * A tap's IPv6 mode (`[ipv6] mode`, a binding's MODE6; DESIGN.md "Second
 * stage"): what its RAs say (M/O flags, the prefix's A flag) and what
 * DHCPv6 answers (protocols/ipv6-mode.ts).
 */
export type Ipv6Mode = 'slaac' | 'slaac+dhcpv6' | 'dhcpv6' | 'none';
export const IPV6_MODES: readonly Ipv6Mode[] = ['slaac+dhcpv6', 'dhcpv6', 'slaac', 'none'];

/** One of the four mode names (any case), or undefined: the one reading `[ipv6] mode` and MODE6 share. */
export function ipv6ModeOf(v: string): Ipv6Mode | undefined {
  const s = v.trim().toLowerCase();
  return IPV6_MODES.find((m) => m === s);
}
export type ArpForm = 'request' | 'reply';

export function bool(v: string): boolean {
  const s = v.trim().toLowerCase();
  if (YES_WORDS.includes(s)) return true;
  if (NO_WORDS.includes(s)) return false;
  throw new Error(`expected yes/no, got "${v}"`);
}

export function int(min: number, max: number): Parser<number> {
  return (v) => {
    const s = v.trim();
    if (!/^\d+$/.test(s)) throw new Error(`expected an integer, got "${v}"`);
    const n = Number(s);
    if (n < min || n > max) throw new Error(`must be between ${min} and ${max}, got ${n}`);
    return n;
  };
}

export function str(v: string): string {
  const s = v.trim();
  if (s === '') throw new Error('must not be empty');
  return s;
}

/** An empty value is unset; anything else must satisfy `check`. */
function optional<T>(check: (s: string) => T): Parser<T | undefined> {
  return (v) => {
    const s = v.trim();
    return s === '' ? undefined : check(s);
  };
}

export const optionalStr: Parser<string | undefined> = optional((s) => s);

export const optionalIpv4: Parser<string | undefined> = optional((s) => {
  if (!parseIpv4(s)) throw new Error(`"${s}" is not an IPv4 address`);
  return s;
});

export const optionalInterface: Parser<string | undefined> = optional((s) => {
  if (!isValidInterfaceName(s)) throw new Error(`"${s}" is not a valid interface name`);
  return s;
});

export const optionalDomain: Parser<string | undefined> = optional((s) => {
  if (!isValidDomainName(s)) throw new Error(`"${s}" is not a valid domain name`);
  return s;
});

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

export function ipv4List(v: string): string[] {
  const items = list(v);
  for (const a of items) if (!parseIpv4(a)) throw new Error(`"${a}" is not an IPv4 address`);
  return atMost(items, MAX_DNS4_SERVERS, 'servers');
}

export function ipv6List(v: string): string[] {
  const items = list(v).map((a) => {
    const parsed = parseIpv6Unzoned(a);
    if (typeof parsed !== 'string') throw new Error(parsed.error);
    return parsed;
  });
  return atMost(items, MAX_DNS6_SERVERS, 'servers');
}

export function domainList(v: string): string[] {
  const items = list(v);
  for (const d of items) if (!isValidDomainName(d)) throw new Error(`"${d}" is not a valid domain name`);
  const octets = searchListOctets(items);
  if (octets > MAX_SEARCH_LIST_OCTETS) {
    throw new Error(`search list of ${octets} octets encoded, more than ${MAX_SEARCH_LIST_OCTETS} (see protocols/reply-limits.ts)`);
  }
  return items;
}

export function oneOf<T extends string>(...values: T[]): Parser<T> {
  return (v) => {
    const s = v.trim().toLowerCase() as T;
    if (!values.includes(s)) throw new Error(`expected one of ${values.join(', ')}, got "${v}"`);
    return s;
  };
}

export function ipv6Mode(v: string): Ipv6Mode {
  // nfdhcpd's 'auto' picked a mode from the configured queues: parse.ts settles
  // it from the whole file (ipv6-auto-mode.ts); alone, it is the full stateless mode.
  if (v.trim().toLowerCase() === 'auto') return 'slaac+dhcpv6';
  const m = ipv6ModeOf(v);
  if (m === undefined) throw new Error(`expected auto, ${IPV6_MODES.join(', ')}, got "${v}"`);
  return m;
}

export function routes(v: string): ClasslessRoute[] {
  const r = parseRouteList(v);
  if (!r.ok) throw new Error(r.error);
  return atMost(r.routes, MAX_ROUTES, 'routes');
}

export function linkLocalTargets(v: string): string[] {
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
