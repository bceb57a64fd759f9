/**
 * Stateful DHCPv6 (RFC 8415 §18.3) computed from the binding alone: pure,
 * `(request, binding, settings, serverDuid) → reply | drop`. The caller
 * (dhcp6.ts) has matched the tap and the frame's source MAC to the binding
 * (protocols/guard.ts): that is who the client is. Its DUID and IAIDs are
 * echoed, never trusted: whatever it asks for, it gets the binding's
 * address and prefix (dhcp6-ia-answer.ts).
 *
 *   Solicit          → Advertise (Preference 255: the client need not wait
 *                      for others, §18.2.1), or Reply at once with Rapid
 *                      Commit when the client asks (§18.3.1: the server MAY;
 *                      with no lease to commit there is nothing to lose)
 *   Request          → Reply with the IAs (§18.3.2)
 *   Renew / Rebind   → Reply; an IA the binding does not hold: NoBinding
 *                      (Renew §18.3.4), its addresses at lifetime 0 (Rebind
 *                      §18.3.5)
 *   Confirm          → Reply, Success when every address is the binding's,
 *                      else NotOnLink; no addresses: no reply (§18.3.3)
 *   Release/Decline  → Reply, Success, NoBinding for IAs not held (§18.3.7,
 *                      §18.3.8); nothing changes (the address stays the VM's),
 *                      Decline's addresses are handed back to be logged
 *
 * Discarded (§16): no Client Identifier (every type); a Server Identifier
 * in Solicit, Confirm or Rebind; no or another server's Server Identifier
 * in Request, Renew, Release or Decline. A Request, Renew, Release or
 * Decline sent to a unicast address (onlinkd never sends Server Unicast)
 * gets UseMulticast (§18.3.2, §18.3.4, §18.3.7, §18.3.8).
 */
import type { Binding } from '../bindings/binding.js';
import { Dhcp6Status, statusCodeOption } from '../wire/dhcp6-options.js';
import { clientIdentifier, Dhcp6MessageType, Dhcp6Option, getDhcp6Options, hasDhcp6Option, type Dhcp6Message } from '../wire/dhcp6.js';
import { iaAddresses, identityAssociations, type IdentityAssociation, type RawOptions } from '../wire/dhcp6-ia.js';
import { sameBytes } from '../wire/reader.js';
import { sameIpv6 } from '../wire/ipv6-address.js';
import { answerIas, assignment, heldIas, type Assignment, type StatefulSettings } from './dhcp6-ia-answer.js';
import { answersStateful, effectiveMode6 } from './ipv6-mode.js';
import { requestDrop, type RequestDrop } from './drop.js';

export type { StatefulSettings } from './dhcp6-ia-answer.js';

/** Message types this responder answers (RFC 8415 §7.3). */
export const STATEFUL_TYPES: ReadonlySet<number> = new Set<number>([
  Dhcp6MessageType.Solicit,
  Dhcp6MessageType.Request,
  Dhcp6MessageType.Confirm,
  Dhcp6MessageType.Renew,
  Dhcp6MessageType.Rebind,
  Dhcp6MessageType.Release,
  Dhcp6MessageType.Decline,
]);

export type StatefulDecision =
  | {
      kind: 'reply';
      request: number;
      /** Advertise or Reply: same transaction id, Client and Server Identifier, IAs, status. */
      message: Dhcp6Message;
      /** Whether the caller adds the configuration options the ORO asks for (DNS, domains...: §18.3.1, §18.3.2, §18.3.4, §18.3.5). */
      configure: boolean;
      /** Decline: the addresses the client says are in use by someone else (logged as a warning). */
      declined?: Uint8Array[];
    }
  | RequestDrop<number>;

const PREFERENCE_MAX = Uint8Array.of(255);
const EMPTY = new Uint8Array(0);
const statusOf = (code: number, message: string): [number, Uint8Array] => [Dhcp6Option.StatusCode, statusCodeOption.encode({ code, message })];
const SUCCESS = statusOf(Dhcp6Status.Success, 'ok');
const NOT_ON_LINK = statusOf(Dhcp6Status.NotOnLink, 'not the address of this link');
const USE_MULTICAST = statusOf(Dhcp6Status.UseMulticast, 'send to All_DHCP_Relay_Agents_and_Servers');

/** Types that must name us (§16.4, §16.6, §16.9, §16.10) and may not be unicast to us. */
const ADDRESSED = new Set<number>([Dhcp6MessageType.Request, Dhcp6MessageType.Renew, Dhcp6MessageType.Release, Dhcp6MessageType.Decline]);

/**
 * Decides the answer to a Solicit, Request, Confirm, Renew, Rebind, Release
 * or Decline. `multicast`: the request was sent to a multicast address (as
 * clients do without Server Unicast). Drop reasons: 'stateful-not-offered'
 * (the tap's mode is not `dhcpv6`, ipv6-mode.ts), 'not-stateful' (another
 * type), 'no-client-id', 'unexpected-server-id', 'no-server-id',
 * 'other-server', 'confirm-without-addresses'.
 */
export function respondStateful(
  msg: Dhcp6Message,
  binding: Binding,
  settings: StatefulSettings,
  serverDuid: Uint8Array,
  multicast: boolean,
): StatefulDecision {
  const request = msg.msgType;
  const drop = (reason: string): StatefulDecision => requestDrop(reason, request);
  if (!STATEFUL_TYPES.has(request)) return drop('not-stateful');
  if (!answersStateful(effectiveMode6(binding, settings))) return drop('stateful-not-offered');
  const cid = clientIdentifier(msg);
  if (!cid) return drop('no-client-id');
  const sids = getDhcp6Options(msg, Dhcp6Option.ServerId);
  if (ADDRESSED.has(request)) {
    if (sids.length === 0) return drop('no-server-id');
    for (const sid of sids) if (!sameBytes(sid, serverDuid)) return drop('other-server');
  } else if (sids.length > 0) {
    return drop('unexpected-server-id');
  }
  const head: RawOptions = [
    [Dhcp6Option.ClientId, cid.slice()],
    [Dhcp6Option.ServerId, serverDuid.slice()],
  ];
  const reply = (options: RawOptions, configure: boolean, msgType: number = Dhcp6MessageType.Reply): StatefulDecision => ({
    kind: 'reply',
    request,
    configure,
    message: { msgType, transactionId: msg.transactionId, options: [...head, ...options] },
  });
  if (ADDRESSED.has(request) && !multicast) return reply([USE_MULTICAST], false);

  const { ias } = identityAssociations(msg.options);
  const a = assignment(binding, settings);
  switch (request) {
    case Dhcp6MessageType.Solicit:
      if (hasDhcp6Option(msg, Dhcp6Option.RapidCommit)) return reply([[Dhcp6Option.RapidCommit, EMPTY], ...answerIas(ias, a, 'unavailable', true)], true);
      return reply([[Dhcp6Option.Preference, PREFERENCE_MAX], ...answerIas(ias, a, 'unavailable', false)], true, Dhcp6MessageType.Advertise);
    case Dhcp6MessageType.Request:
      return reply(answerIas(ias, a, 'unavailable', true), true);
    case Dhcp6MessageType.Renew:
      return reply(answerIas(ias, a, 'no-binding', true), true);
    case Dhcp6MessageType.Rebind:
      return reply(answerIas(ias, a, 'expire', true), true);
    case Dhcp6MessageType.Confirm: {
      const verdict = confirm(ias, a);
      return verdict === undefined ? drop('confirm-without-addresses') : reply([verdict], false);
    }
    case Dhcp6MessageType.Release:
      return reply([...heldIas(ias, a), SUCCESS], false);
    default: {
      // Decline (§18.3.8): nothing to mark unusable (the address is the VM's by configuration); the operator hears of it.
      const r = reply([...heldIas(ias, a), SUCCESS], false);
      if (r.kind === 'reply') r.declined = declinedAddresses(ias);
      return r;
    }
  }
}

/** §18.3.3: Success when every address of the IA_NAs/IA_TAs is the binding's, NotOnLink otherwise, undefined when there is none. */
function confirm(ias: readonly IdentityAssociation[], a: Assignment): [number, Uint8Array] | undefined {
  let any = false;
  for (const ia of ias) {
    if (ia.code === Dhcp6Option.IaPd) continue;
    for (const x of iaAddresses(ia)) {
      any = true;
      if (a.address === undefined || !sameIpv6(x.address, 0, a.address, 0)) return NOT_ON_LINK;
    }
  }
  return any ? SUCCESS : undefined;
}

function declinedAddresses(ias: readonly IdentityAssociation[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const ia of ias) if (ia.code !== Dhcp6Option.IaPd) for (const x of iaAddresses(ia)) out.push(x.address.slice());
  return out;
}
