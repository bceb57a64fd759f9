/**
 * ARP frames on a bound tap: decode → responder (protocols/arp.ts, opt-in
 * with [arp] responder or the tap's ARP_RESPONDER) → reply frame → send on
 * the same tap. A frame from a MAC other than the binding's is dropped
 * first ('foreign-source-mac', unless MACSPOOF), as on the other paths.
 * Every other ARP frame is counted as a request by operation
 * ('arp-request', 'arp-reply', any other operation 'arp-op-other': the
 * guest chooses the 16-bit operation, not the set of counter keys), which also keeps the tap's
 * last-seen time fresh; sent answers are counted as 'arp-reply'.
 * Guests ARP for their gateway every few minutes, so answers are logged at
 * debug; drops are counted per reason ('arp-<reason>').
 */
import { arpReplyFrame, arpResponderEnabled, respondArp } from '../protocols/arp.js';
import { dropReason } from '../protocols/drop.js';
import { checkSourceMac } from '../protocols/guard.js';
import type { Tap } from '../runtime/tap-table.js';
import { formatMac48, numberToIpv4 } from '../wire/addr.js';
import { ArpOp, decodeArpFrame } from '../wire/arp.js';
import type { PathContext, ReceivedFrame } from './context.js';

/** Counter name of a received ARP operation: one of a fixed three (see src/runtime/stats.ts). */
export type ArpOpName = 'arp-request' | 'arp-reply' | 'arp-op-other';

export function arpOpName(op: number): ArpOpName {
  if (op === ArpOp.Request) return 'arp-request';
  if (op === ArpOp.Reply) return 'arp-reply';
  return 'arp-op-other';
}

export function handleArp(ctx: PathContext, tap: Tap, frame: ReceivedFrame): void {
  const { d } = ctx;
  const f = decodeArpFrame(frame.data);
  if (!f.ok) return ctx.dropDecoded(tap, f.error);
  const a = f.value;
  const b = tap.binding;
  // The guard first, as for IPv6, so its counter has the same name on every path.
  const guard = checkSourceMac(b, a.srcMac);
  if (guard) return ctx.drop(tap, guard, () => `src ${formatMac48(a.srcMac)}`);
  d.stats.request(b.tap, arpOpName(a.op), d.now());
  const settings = d.settings().arp;
  // Off by default: leave before looking up INDEV (whose absence would be logged).
  if (!arpResponderEnabled(b, settings)) return ctx.drop(tap, 'arp-responder-disabled');
  const serverMac = ctx.serverMac(tap);
  if (!serverMac) return;
  const decision = respondArp(a, a, b, settings, ctx.mac48(serverMac));
  if (decision.kind === 'drop') return ctx.drop(tap, dropReason('arp', decision.reason));
  if (ctx.sendFrame(tap, arpReplyFrame(decision.reply, serverMac), 'arp-reply') && ctx.debug) {
    d.log.debug({ tap: b.tap, mac: b.mac, target: numberToIpv4(a.targetIp), kind: decision.target, requester: numberToIpv4(a.senderIp) }, 'ARP reply sent');
  }
}
