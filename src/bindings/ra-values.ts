/**
 * Value parsers of what Router Advertisements carry beyond the prefix:
 * `ROUTES6` (RFC 4191 Route Information) and `PREF64` / `[ipv6] pref64`
 * (RFC 8781). A value that parses is one the RA encoder writes as it is;
 * how much of an RA the routes and the captive portal URI may take together
 * is a rule between keys (schema.ts BINDING_RULES, protocols/reply-limits.ts).
 */
import { Invalid, parseIpv6Subnet, type Ipv6Subnet, type Parser } from './binding-values.js';
import { MAX_ROUTES6 } from '../protocols/reply-limits.js';
import { isIpv6LinkLocal, isIpv6Multicast, parseIpv6Address } from '../wire/ipv6-address.js';
import { PREF64_LENGTHS } from '../wire/ndp.js';

/** RFC 4191 §2.1: 'reserved' (binary 10) is never sent. */
export type Route6Preference = 'high' | 'medium' | 'low';

/** One RFC 4191 route: the network (bits past the length zero) and the preference of this router for it. */
export interface Route6 {
  readonly network: string;
  readonly prefixLength: number;
  readonly preference: Route6Preference;
}

const PREFERENCE_WORDS: readonly string[] = ['high', 'medium', 'low'];

/**
 * `PREFIX/LEN [high|medium|low], ...` (preference default medium), as
 * DESIGN.md writes it: `2001:db8:ff::/48 high, 2001:db8:fe::/48`. Refused:
 * a prefix with bits set past its length (RFC 4191 §2.3 wants them zero,
 * and a typo there would route elsewhere than meant), a multicast or
 * link-local destination (not routed through a router), the same prefix
 * twice, more than MAX_ROUTES6.
 */
export function route6Of(text: string): Route6[] | string {
  const routes: Route6[] = [];
  for (const part of text.split(/[,;]/).map((p) => p.trim()).filter((p) => p !== '')) {
    const [prefix, pref, extra] = part.split(/\s+/);
    const s = parseIpv6Subnet(prefix!);
    if (s instanceof Invalid) return `route "${part}": ${s.detail}`;
    const written = parseIpv6Address(prefix!.slice(0, prefix!.indexOf('/')));
    const canonical = parseIpv6Address(s.network);
    if (!written || !canonical || written.some((b, i) => b !== canonical[i])) {
      return `route "${part}": bits set past /${s.prefixLength} (the network is ${s.network}/${s.prefixLength})`;
    }
    if (extra !== undefined || (pref !== undefined && !PREFERENCE_WORDS.includes(pref.toLowerCase()))) {
      return `route "${part}" is not "PREFIX/LEN [high|medium|low]"`;
    }
    if (s.prefixLength >= 8 && isIpv6Multicast(canonical)) return `route "${part}": a multicast prefix is not routed`;
    if (s.prefixLength >= 10 && isIpv6LinkLocal(canonical)) return `route "${part}": a link-local prefix is not routed`;
    if (routes.some((r) => r.network === s.network && r.prefixLength === s.prefixLength)) return `route "${part}" is listed twice`;
    routes.push({ network: s.network, prefixLength: s.prefixLength, preference: (pref?.toLowerCase() ?? 'medium') as Route6Preference });
  }
  if (routes.length > MAX_ROUTES6) return `more than ${MAX_ROUTES6} routes (what an RA can carry; see protocols/reply-limits.ts)`;
  return routes;
}

export const parseRoutes6: Parser<Route6[]> = (text) => {
  const r = route6Of(text);
  return typeof r === 'string' ? new Invalid(r) : r;
};

/** The canonical text: medium is left unsaid, as it is the default. */
export function formatRoutes6(routes: readonly Route6[]): string {
  return routes.map((r) => `${r.network}/${r.prefixLength}${r.preference === 'medium' ? '' : ` ${r.preference}`}`).join(', ');
}

/**
 * A NAT64 prefix (RFC 6052 §2.2): one of the lengths a PREF64 option can
 * say (RFC 8781 §4: 96, 64, 56, 48, 40, 32), host bits zero. The well-known
 * 64:ff9b::/96 is the usual one.
 */
export function pref64Of(text: string): Ipv6Subnet | string {
  const s = parseIpv6Subnet(text);
  if (s instanceof Invalid) return s.detail;
  if (!(PREF64_LENGTHS as readonly number[]).includes(s.prefixLength)) {
    return `"${text}": a NAT64 prefix is /${PREF64_LENGTHS.join(', /')} (RFC 6052 §2.2, RFC 8781 §4)`;
  }
  const written = parseIpv6Address(text.slice(0, text.indexOf('/')));
  const canonical = parseIpv6Address(s.network);
  if (!written || !canonical || written.some((b, i) => b !== canonical[i])) return `"${text}": bits set past /${s.prefixLength}`;
  return s;
}

export const parsePref64: Parser<Ipv6Subnet> = (text) => {
  const r = pref64Of(text);
  return typeof r === 'string' ? new Invalid(r) : r;
};
