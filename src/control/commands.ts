/**
 * The control commands, one entry each: the schema of its arguments, its
 * class (read-only commands only look; mutating ones change bindings, send
 * packets or reload the configuration: the access policy decides on that),
 * and what it does. The dispatcher (dispatch.ts) checks the envelope, the
 * permission and the arguments against `schema` before `run` sees them.
 */
import type { z } from 'zod';
import { bindingFromArgs, checkTapName, argKey } from '../bindings/binding-args.js';
import { compareNatural, firstAfter } from '../util/natural-order.js';
import { bindingView } from './binding-view.js';
import { EVENT_NAMES } from '../runtime/events.js';
import type { AuditEvent, ControlContext, Peer } from './context.js';
import {
  bindingAddArgsSchema, failure, listArgsSchema, noArgsSchema, notFound, statsArgsSchema, success, tapArgsSchema, unsupported,
  type ControlResponse,
} from './protocol.js';

/** What a command runs with besides its arguments. */
export interface CommandEnv {
  ctx: ControlContext;
  peer: Peer;
  audit: (e: AuditEvent) => void;
  /** A bad request: audited, answered with result 1. */
  bad: (reason: string) => ControlResponse;
}

export interface Command<A> {
  schema: z.ZodType<A>;
  mutating: boolean;
  run: (args: A, env: CommandEnv) => ControlResponse | Promise<ControlResponse>;
}

/** Typed entry (infers the arguments' type from the schema). */
const command = <A>(c: Command<A>): Command<A> => c;

export const COMMANDS = {
  'version-get': command({
    schema: noArgsSchema,
    mutating: false,
    run: (_a, { ctx }) => success(`onlinkd ${ctx.version}`, { version: ctx.version }),
  }),

  'status-get': command({
    schema: noArgsSchema,
    mutating: false,
    run: (_a, { ctx }) => {
      const s = ctx.status();
      return success(`onlinkd ${s.version}: ${s.bindings} bindings, ${s.attached} attached`, { ...s });
    },
  }),

  'binding-list': command({
    schema: listArgsSchema,
    mutating: false,
    run: ({ from, limit }, { ctx }) => {
      const infos = [...ctx.listBindings()].sort((x, y) => compareNatural(x.tap, y.tap));
      const start = from === undefined ? 0 : firstAfter(infos, (i) => i.tap, from);
      const end = limit === undefined ? infos.length : Math.min(infos.length, start + limit);
      const page = infos.slice(start, end).map((info) => bindingView(info));
      const out: Record<string, unknown> = { count: page.length, total: infos.length, bindings: page };
      if (end < infos.length && page.length > 0) out.next = infos[end - 1]!.tap;
      return success(`${page.length} binding${page.length === 1 ? '' : 's'}`, out);
    },
  }),

  'binding-get': command({
    schema: tapArgsSchema,
    mutating: false,
    run: ({ tap }, { ctx }) => {
      const info = ctx.getBinding(tap);
      if (!info) return notFound(`no binding for tap ${JSON.stringify(tap)}`);
      return success(`binding for ${info.tap}`, bindingView(info));
    },
  }),

  'binding-add': command({
    schema: bindingAddArgsSchema,
    mutating: true,
    run: async (args, { ctx, peer, audit, bad }) => {
      const built = bindingFromArgs(args);
      if (!built.ok) return bad(built.text);
      const b = built.binding;
      const refused = ctx.refuseBinding?.(b);
      if (refused) return bad(`invalid binding: ${argKey(refused.key) ?? 'tap'}: ${refused.detail}`);
      const { previous } = await ctx.addBinding(b, built.text);
      audit({ event: 'binding-added', tap: b.tap, mac: b.mac, ip: b.ip, replaced: previous !== undefined, uid: peer.uid });
      const info = ctx.getBinding(b.tap) ?? { tap: b.tap, binding: b, error: undefined, link: undefined };
      // Not cached: a hook adding thousands of bindings would otherwise keep a view of each (~800 bytes).
      return success(`binding for ${b.tap} ${previous ? 'replaced' : 'added'}`, bindingView(info, false));
    },
  }),

  'binding-del': command({
    schema: tapArgsSchema,
    mutating: true,
    run: async ({ tap }, { ctx, peer, audit, bad }) => {
      const tapError = checkTapName(tap);
      if (tapError) return bad(tapError);
      const r = await ctx.delBinding(tap);
      if (!r.removed) return notFound(`no binding for tap ${JSON.stringify(tap)}`);
      audit({ event: 'binding-removed', tap, mac: r.binding?.mac, ip: r.binding?.ip, uid: peer.uid });
      return success(`binding for ${tap} removed`, { tap });
    },
  }),

  announce: command({
    schema: tapArgsSchema,
    mutating: true,
    run: async ({ tap }, { ctx, peer, audit }) => {
      const o = await ctx.announce(tap);
      if (o.ok) {
        audit({ event: 'announced', tap, uid: peer.uid });
        return success(o.text ?? `announcement for ${tap} sent`, { tap, ...(o.details ?? {}) });
      }
      if (o.reason === 'no-binding') return notFound(o.message);
      if (o.reason === 'unavailable') return unsupported(o.message);
      return failure(o.message);
    },
  }),

  'statistic-get': command({
    schema: statsArgsSchema,
    mutating: false,
    run: ({ tap }, { ctx }) => {
      const s = ctx.stats(tap);
      if (tap === undefined) return success(`statistics for ${Object.keys(s.taps).length} taps`, { global: s.global, taps: s.taps });
      const counters = s.taps[tap];
      if (!counters && !ctx.getBinding(tap)) return notFound(`no binding or statistics for tap ${JSON.stringify(tap)}`);
      return success(`statistics for ${tap}`, {
        taps: { [tap]: counters ?? { requests: {}, replies: {}, drops: {}, lastSeen: undefined } },
      });
    },
  }),

  // Kernel state onlinkd keeps per tap (runtime/route-manager.ts): each kind is a list of the tap's entry (context.ts ManagedTapView).
  'route-list': command({
    schema: noArgsSchema,
    mutating: false,
    run: (_a, { ctx }) => {
      if (!ctx.routing) return unsupported('this onlinkd does not manage routes');
      const v = ctx.routing();
      const taps = [...v.taps].sort((x, y) => compareNatural(x.tap, y.tap));
      const routes = taps.reduce((n, t) => n + t.routes.length, 0);
      const rules = taps.reduce((n, t) => n + t.rules.length, 0);
      const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
      const text = `${count(routes, 'route')}, ${count(rules, 'rule')} on ${count(taps.length, 'tap')} ([routing] manage = ${v.manage ? 'yes' : 'no'}, rule = ${v.rule ? 'yes' : 'no'})`;
      const uplinks = [...v.uplinks].sort((x, y) => compareNatural(x.uplink, y.uplink));
      return success(text, { manage: v.manage, table: v.table, rule: v.rule, taps, uplinks });
    },
  }),

  // Read-only: after its answer the connection carries one JSON line per event and takes no more requests (connection.ts).
  subscribe: command({
    schema: noArgsSchema,
    mutating: false,
    run: (_a, { ctx }) =>
      ctx.subscribe
        ? success('subscribed: one JSON line per event follows; close the connection to stop', { events: [...EVENT_NAMES] })
        : unsupported('this onlinkd has no event stream'),
  }),

  'config-reload': command({
    schema: noArgsSchema,
    mutating: true,
    run: async (_a, { ctx, peer, audit }) => {
      const o = await ctx.reload();
      audit(o.ok ? { event: 'config-reloaded', ok: true, uid: peer.uid } : { event: 'config-reloaded', ok: false, uid: peer.uid, reason: o.message });
      return o.ok ? success('configuration reloaded', o.source ? { source: o.source } : undefined) : failure(o.message);
    },
  }),
};

export type CommandName = keyof typeof COMMANDS;

export function isCommand(name: string): name is CommandName {
  return Object.prototype.hasOwnProperty.call(COMMANDS, name);
}

export function isMutating(command: CommandName): boolean {
  return COMMANDS[command].mutating;
}
