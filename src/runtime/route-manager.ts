/**
 * Host routes to bound taps and, with `[routing] rule = yes`, a policy rule
 * `iif TAP lookup TABLE` per family for each, kept over NETLINK_ROUTE (never
 * by running ip(8)); what each tap needs is wanted-routes.ts's, and how each
 * kind is kept without flap across restarts is netlink-objects.ts's. Routes
 * and rules are on sockets of their own (one dump at a time per socket).
 *
 * The kernel flushes a device's routes when it goes down and refuses an
 * IPv4 route to a down device: routes are added when the tap is up. Rules
 * name the interface and stay whatever its state (the rule of a deleted tap
 * stays too, `[detached]` in `ip rule`): they are added on attach and
 * deleted on detach.
 */
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import type { Binding } from '../bindings/binding.js';
import type { Settings } from '../config/settings.js';
import { openRouteNetlinkSocket, type NetlinkTransport } from '../io/netlink-socket.js';
import { AF_INET, buildRouteDump, buildRouteRequest, parseRouteMessages, routeKey, type Route } from '../io/route-netlink.js';
import { buildRuleDump, buildRuleRequest, parseRuleMessages, ruleKey, type Rule } from '../io/rule-netlink.js';
import { NetlinkObjects, type NetlinkObjectsDeps, type ObjectCodec } from './netlink-objects.js';
import type { Tap } from './tap-table.js';
import { wantedRoutes, wantedRules } from './wanted-routes.js';

const { ENOENT, ESRCH, ENODEV } = constants.errno;
/**
 * Receive buffer: every request is ACKed, and a start with thousands of
 * bindings sends thousands of requests before the loop reads one ACK (an
 * ACK costs ~768 bytes of buffer: the default ~212 KiB holds ~280).
 */
const RECEIVE_BUFFER = 16 * 1024 * 1024;

/** A NETLINK_ROUTE socket in no multicast group: requests, their ACKs and dump replies only (CAP_NET_ADMIN, which routing needs anyway, forces the buffer size). */
export function openRouteSocket(): NetlinkTransport {
  return openRouteNetlinkSocket(0, RECEIVE_BUFFER);
}

/** Whether this process holds `cap` in its effective set (CapEff of /proc/self/status, proc(5)). */
export function hasEffectiveCapability(cap: number, status = (): string => readFileSync('/proc/self/status', 'utf8')): boolean {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(status());
    return m !== null && ((BigInt(`0x${m[1]}`) >> BigInt(cap)) & 1n) === 1n;
  } catch {
    return false;
  }
}

const ROUTES: ObjectCodec<Route> = {
  noun: 'route',
  key: routeKey,
  describe: (r) => `${r.dst}/${r.dstLen}${r.gateway ? ` via ${r.gateway}` : ''} oif ${r.oif} table ${r.table}`,
  request: (kind, r, seq) => buildRouteRequest(kind, r, seq),
  dump: buildRouteDump,
  parse: (b) => parseRouteMessages(b).map((m) => (m.type === 'route' ? { type: 'object', seq: m.seq, flags: m.flags, protocol: m.protocol, object: m.route } : m)),
  // A tap that disappears takes its routes with it in the kernel.
  gone: [ESRCH, ENODEV],
};

const RULES: ObjectCodec<Rule> = {
  noun: 'rule',
  key: ruleKey,
  describe: (r) => `${r.family === AF_INET ? '-4' : '-6'} pref ${r.priority}${r.iif ? ` iif ${r.iif}` : ''} lookup ${r.table}`,
  request: (kind, r, seq) => buildRuleRequest(kind, r, seq),
  dump: buildRuleDump,
  parse: (b) => parseRuleMessages(b).map((m) => (m.type === 'rule' ? { type: 'object', seq: m.seq, flags: m.flags, protocol: m.protocol, object: m.rule } : m)),
  gone: [ENOENT],
};

export interface RouteManagerDeps {
  transport: NetlinkTransport;
  /** The socket for policy rules; without it, rules are not managed (not even swept). */
  rules?: NetlinkTransport;
  routing: () => Settings['routing'];
  log: NetlinkObjectsDeps<unknown>['log'];
}

export class RouteManager {
  readonly #routing: () => Settings['routing'];
  readonly #routes: NetlinkObjects<Route>;
  readonly #rules: NetlinkObjects<Rule> | undefined;
  /** Resolves once the dumps of existing routes and rules are read (or on close). */
  readonly ready: Promise<void>;

  constructor(deps: RouteManagerDeps) {
    this.#routing = deps.routing;
    this.#routes = new NetlinkObjects({ transport: deps.transport, codec: ROUTES, log: deps.log });
    this.#rules = deps.rules && new NetlinkObjects({ transport: deps.rules, codec: RULES, log: deps.log });
    this.ready = Promise.all([this.#routes.ready, this.#rules?.ready]).then(() => undefined);
  }

  static open(routing: () => Settings['routing'], log: RouteManagerDeps['log']): RouteManager {
    const transport = openRouteSocket();
    let rules: NetlinkTransport | undefined;
    try {
      rules = openRouteSocket();
      return new RouteManager({ transport, rules, routing, log });
    } catch (e) {
      // Each socket closed once here: a manager that failed to construct owns none.
      transport.close();
      rules?.close();
      throw e;
    }
  }

  /** A binding met its tap (or replaced the tap's binding): install what it wants, remove what it no longer wants. */
  attach(tap: Tap): void {
    const name = tap.binding.tap;
    this.#routes.want(name, wantedRoutes(tap.binding, tap.link.ifindex, this.#routing()), tap.link.up);
    this.#rules?.want(name, wantedRules(tap.binding, this.#routing()), true);
  }

  /** The tap went up (its routes are added) or down (the kernel flushed its routes; its rules stay). */
  linkChanged(tap: Tap): void {
    if (tap.link.up) this.attach(tap);
    else this.#routes.lost(tap.binding.tap);
  }

  /** The binding and its tap parted: its routes and rules go (a rule would outlive a deleted tap). */
  detach(binding: Binding): void {
    this.#routes.drop(binding.tap);
    this.#rules?.drop(binding.tap);
  }

  /** Start-up is over: our routes and rules that no binding wants are stale (removed while onlinkd was down, or `rule` turned off). */
  sweep(): void {
    this.#routes.sweep();
    this.#rules?.sweep();
  }

  /** Requests sent whose ACK has not come yet. */
  get pending(): number {
    return this.#routes.pending + (this.#rules?.pending ?? 0);
  }

  /** Every route onlinkd manages now, by tap. */
  managed(): Array<{ tap: string; route: Route }> {
    return this.#routes.managed().map(({ tap, object }) => ({ tap, route: object }));
  }

  /** Every policy rule onlinkd manages now, by tap. */
  managedRules(): Array<{ tap: string; rule: Rule }> {
    return (this.#rules?.managed() ?? []).map(({ tap, object }) => ({ tap, rule: object }));
  }

  close(): void {
    this.#routes.close();
    this.#rules?.close();
  }
}
