/**
 * What route-list answers (issue 15): the route manager's routes and policy
 * rules grouped by tap (the oif by name), and the uplink proxy's uplinks.
 * Pure: the daemon context hands in what the runtime holds now.
 */
import type { Settings } from '../config/config.js';
import { AF_INET, type Route } from '../io/route-netlink.js';
import type { Rule } from '../io/rule-netlink.js';
import type { LinkInfo } from '../runtime/tap-table.js';
import type { ManagedTapView, RoutingView } from './context.js';

/** UplinkProxy.answering(): uplink → addresses answered for, and whether its socket is open. */
export type UplinkAnswering = Readonly<Record<string, { v4: number; v6: number; listening: boolean }>>;

export interface RoutingState {
  routes: ReadonlyArray<{ tap: string; route: Route }>;
  rules: ReadonlyArray<{ tap: string; rule: Rule }>;
  uplinks: UplinkAnswering;
}

const family = (f: number): 'ipv4' | 'ipv6' => (f === AF_INET ? 'ipv4' : 'ipv6');

export function routingView(
  state: RoutingState,
  routing: Settings['routing'],
  links: { byIndex(ifindex: number): LinkInfo | undefined } | undefined,
): RoutingView {
  const taps = new Map<string, ManagedTapView>();
  const entry = (tap: string): ManagedTapView => {
    let t = taps.get(tap);
    if (!t) taps.set(tap, (t = { tap, routes: [], rules: [] }));
    return t;
  };
  for (const { tap, route: r } of state.routes) {
    entry(tap).routes.push({
      family: family(r.family),
      destination: `${r.dst}/${r.dstLen}`,
      ...(r.gateway !== undefined ? { gateway: r.gateway } : {}),
      table: r.table,
      oif: links?.byIndex(r.oif)?.name,
      ifindex: r.oif,
    });
  }
  for (const { tap, rule: r } of state.rules) entry(tap).rules.push({ family: family(r.family), iif: r.iif, table: r.table, priority: r.priority });
  const uplinks = Object.entries(state.uplinks).map(([uplink, a]) => ({ uplink, ipv4Addresses: a.v4, ipv6Addresses: a.v6, listening: a.listening }));
  return { manage: routing.manage, table: routing.table, rule: routing.rule, taps: [...taps.values()], uplinks };
}
