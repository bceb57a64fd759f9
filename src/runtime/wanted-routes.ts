/**
 * The host routes a bound tap needs on a routed hypervisor (README "Routed
 * hypervisors", DESIGN.md `[routing] manage`): a pure function of the
 * binding, its tap's ifindex and `[routing]`, so the route manager only
 * diffs lists. IP/32 and IP6/EUI64 /128 go to the tap as device routes; a
 * delegated PREFIX6 goes via the VM's IPv6 address (RFC 8415 §6.3: the
 * requesting router routes it on).
 */
import type { Binding } from '../bindings/binding.js';
import type { Settings } from '../config/settings.js';
import { AF_INET, AF_INET6, type Route } from '../io/route-netlink.js';
import type { Rule } from '../io/rule-netlink.js';
import { RULE_PRIORITY } from '../config/routing-values.js';
import { normalizeIpv6Address } from '../wire/ipv6-address.js';

/** The kernel's text of an address (what a route dump parses to), so wanted and installed routes compare equal. */
const canonical6 = (a: string): string => normalizeIpv6Address(a) ?? a;

/** What routes depend on (not `rule`): callers may pass just these. */
type RouteSettings = Pick<Settings['routing'], 'manage' | 'table'>;

export function routingWanted(b: Binding, routing: Pick<RouteSettings, 'manage'>): boolean {
  return b.routed ?? routing.manage;
}

export function wantedRoutes(b: Binding, oif: number, routing: RouteSettings): Route[] {
  if (!routingWanted(b, routing)) return [];
  const table = routing.table;
  const out: Route[] = [];
  if (b.ip) out.push({ family: AF_INET, dst: b.ip, dstLen: 32, table, oif });
  const v6 = [...new Set([b.ip6, b.eui64].filter((a): a is string => a !== undefined).map(canonical6))];
  for (const a of v6) out.push({ family: AF_INET6, dst: a, dstLen: 128, table, oif });
  if (b.prefix6 && v6[0] !== undefined) {
    out.push({ family: AF_INET6, dst: canonical6(b.prefix6.network), dstLen: b.prefix6.prefixLength, table, oif, gateway: v6[0] });
  }
  return out;
}

/**
 * `[routing] rule = yes`: `iif TAP lookup TABLE` for each family the tap
 * has routes of (the seed's "outgoing VM traffic via its own table"), at
 * onlinkd's fixed priority.
 */
export function wantedRules(b: Binding, routing: Settings['routing']): Rule[] {
  if (!routing.rule) return [];
  const families = new Set(wantedRoutes(b, 0, routing).map((r) => r.family));
  return [...families].map((family) => ({ family, iif: b.tap, table: routing.table, priority: RULE_PRIORITY }));
}
