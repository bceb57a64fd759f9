/**
 * Value parsers of the stateful IPv6 keys (MODE6, IP6, PREFIX6; DESIGN.md
 * "Second stage") and the rules between them and SUBNET6/EUI64 (schema.ts
 * BINDING_RULES). What they refuse, and why:
 *
 *  - MODE6: one of `[ipv6] mode`'s four names (config/values.ts reads both).
 *  - IP6: a global unicast address (not ::, multicast, link-local or
 *    loopback): a client configures it as it is (RFC 8415 §21.6), and a
 *    link-local one is the guest's own business. Inside SUBNET6 when the
 *    binding has one: SUBNET6 is the link's on-link prefix, the one a
 *    Confirm is checked against (§18.3.3), the NS proxy answers for and
 *    routes point to the tap; an address outside it would get a Confirm's
 *    NotOnLink from the same server that handed it out.
 *  - PREFIX6: a prefix of length 1..128 (§21.22's prefix-length; 0 would
 *    delegate everything), not link-local or multicast, with no host bits
 *    set (a typo rather than a prefix), and not overlapping SUBNET6: a
 *    delegated prefix is routed to the VM (via IP6), the on-link prefix is
 *    the tap's own link; one inside the other would make the guest both
 *    a host and a router for the same addresses.
 */
import { Invalid, formatSubnet, parseIpv6, parseIpv6Subnet, type Ipv6Subnet, type Parser } from './binding-values.js';
import { ipv6ModeOf, IPV6_MODES, type Ipv6Mode } from '../config/values.js';
import { ipv6PrefixMatch, isIpv6LinkLocal, isIpv6Multicast, isIpv6Unspecified, parseIpv6Address } from '../wire/ipv6-address.js';

export const parseMode6: Parser<Ipv6Mode> = (v) => ipv6ModeOf(v) ?? new Invalid(`"${v}" is not an IPv6 mode (${IPV6_MODES.join(', ')})`);

function isLoopback(b: Uint8Array): boolean {
  for (let i = 0; i < 15; i++) if (b[i] !== 0) return false;
  return b[15] === 1;
}

export const parseIp6: Parser<string> = (v) => {
  const text = parseIpv6(v);
  if (text instanceof Invalid) return text;
  const b = parseIpv6Address(text);
  if (!b || isIpv6Unspecified(b) || isIpv6Multicast(b) || isIpv6LinkLocal(b) || isLoopback(b)) {
    return new Invalid(`"${v}" is not a global unicast address (not ::, ::1, fe80::/10 or multicast)`);
  }
  return text;
};

export const parsePrefix6: Parser<Ipv6Subnet> = (v) => {
  const p = parseIpv6Subnet(v);
  if (p instanceof Invalid) return p;
  if (p.prefixLength < 1) return new Invalid(`"${v}": a delegated prefix is 1..128 bits long (RFC 8415 §21.22)`);
  const given = parseIpv6Address(v.slice(0, v.indexOf('/')));
  if (given && !samePrefixText(given, p)) {
    return new Invalid(`"${v}" has bits set past /${p.prefixLength} (did you mean ${formatSubnet(p)}?)`);
  }
  const b = parseIpv6Address(p.network);
  if (!b || isIpv6Multicast(b) || isIpv6LinkLocal(b)) return new Invalid(`"${v}" is not a global unicast prefix (not fe80::/10 or multicast)`);
  return p;
};

/** Whether the address written before the slash is the prefix's network (other spellings of it are fine). */
function samePrefixText(given: Uint8Array, p: Ipv6Subnet): boolean {
  const n = parseIpv6Address(p.network);
  return n !== undefined && ipv6PrefixMatch(given, 0, n, 0, 128);
}

/** Whether two prefixes share an address (the shorter contains the other's network). */
export function prefixesOverlap(a: Ipv6Subnet, b: Ipv6Subnet): boolean {
  const x = parseIpv6Address(a.network);
  const y = parseIpv6Address(b.network);
  return x !== undefined && y !== undefined && ipv6PrefixMatch(x, 0, y, 0, Math.min(a.prefixLength, b.prefixLength));
}
