/**
 * The client-facing form of a binding (binding-get, binding-list, the
 * answer to binding-add): `binding` holds the binding-add arguments that
 * would recreate it (so `{tap, ...binding}` round-trips), `link` the live
 * interface, with the router link-local address onlinkd speaks from written
 * with its zone id (RFC 4007: never without).
 */
import type { Binding } from '../bindings/binding.js';
import { bindingArgs } from '../bindings/binding-args.js';
import { routerLinkLocal } from '../protocols/router-advert.js';
import type { BindingInfo } from './context.js';

export function bindingView(info: BindingInfo, cache = true): Record<string, unknown> {
  const view: Record<string, unknown> = {
    tap: info.tap,
    state: !info.binding ? 'rejected' : info.link ? 'attached' : info.problem?.refused ? 'refused' : 'waiting',
  };
  const b = info.binding;
  if (b) {
    view.binding = cache ? cachedArgs(b) : bindingArgs(b);
    if (Object.keys(b.extra).length > 0) view.extra = b.extra;
  }
  if (info.link) {
    const l = info.link;
    view.link = compact({
      ifindex: l.ifindex,
      up: l.up,
      running: l.running,
      mac: l.serverMac,
      routerLinkLocal: l.serverMac ? `${routerLinkLocal(l.serverMac)}%${info.tap}` : undefined,
    });
  }
  if (info.error) view.error = compact({ ...info.error });
  if (info.problem) view.problem = info.problem.message;
  if (info.warnings && info.warnings.length > 0) view.warnings = info.warnings;
  return view;
}

/**
 * Bindings are immutable (a change replaces the object), so their view can
 * be cached by identity: a binding-list of thousands of taps then costs a
 * walk and a JSON.stringify, not thousands of formatting passes on the
 * event loop the packet path shares. Views are only ever serialised.
 */
const argsCache = new WeakMap<Binding, Record<string, unknown>>();

function cachedArgs(b: Binding): Record<string, unknown> {
  let f = argsCache.get(b);
  if (!f) {
    f = bindingArgs(b);
    argsCache.set(b, f);
  }
  return f;
}

function compact(o: Record<string, unknown>): Record<string, unknown> {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}
