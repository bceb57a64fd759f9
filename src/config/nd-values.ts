/**
 * Value parsers of the Neighbor Discovery keys of the configuration:
 * `[ipv6] pref64` (the binding key PREF64's rule, bindings/ra-values.ts)
 * and `[nd] addresses`, the IPv6 twin of `[arp] addresses`
 * (protocols/neighbor.ts answers them).
 */
import type { Ipv6Subnet } from '../bindings/binding-values.js';
import { pref64Of } from '../bindings/ra-values.js';
import { parseIpv6Unzoned } from '../util/ipv6.js';
import { isIpv6LinkLocal, parseIpv6Address } from '../wire/ipv6-address.js';

/** `[ipv6] pref64`: empty is none, else a NAT64 prefix by PREF64's rule. */
export function optionalPref64(v: string): Ipv6Subnet | undefined {
  const s = v.trim();
  if (s === '') return undefined;
  const r = pref64Of(s);
  if (typeof r === 'string') throw new Error(r);
  return r;
}

/**
 * `[nd] addresses`: link-local unicast addresses (fe80::/10), comma- or
 * space-separated, canonical text. Only link-local: a service address
 * answered on every tap must be one no guest's prefix can hold (OpenStack's
 * metadata service is fe80::a9fe:a9fe); global addresses of SUBNET6 are
 * `proxy_subnet`'s business.
 */
export function ndAddresses(v: string): string[] {
  const out: string[] = [];
  for (const item of v.split(/[,\s]+/).filter((s) => s !== '')) {
    const text = parseIpv6Unzoned(item);
    const b = typeof text === 'string' ? parseIpv6Address(text) : undefined;
    if (typeof text !== 'string' || !b || !isIpv6LinkLocal(b)) throw new Error(`"${item}" is not a link-local IPv6 address (fe80::/10)`);
    if (!out.includes(text)) out.push(text);
  }
  return out;
}
