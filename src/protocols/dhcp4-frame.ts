/**
 * Turns a DHCPv4 reply decision into the Ethernet frame to send (pure).
 * Options are ordered most important first by the responder; when the
 * client's maximum message size cannot hold them all (even with option
 * overload), the least important are dropped one by one, never the
 * message type, server identifier or lease times.
 */
import type { Dhcp4Reply } from './dhcp4.js';
import { encodeDhcp4 } from '../wire/dhcp4.js';
import { buildUdpFrame } from '../wire/frame.js';
import { EncodeError } from '../wire/result.js';

const MANDATORY = new Set([53, 54, 51, 58, 59, 61]);

export type FrameResult = { ok: true; frame: Uint8Array } | { ok: false; error: string };

export function dhcp4ReplyFrame(reply: Dhcp4Reply, srcMac: string): FrameResult {
  let message = reply.message;
  for (;;) {
    const enc = encodeDhcp4(message, { maxLength: reply.maxLength });
    if (enc.ok) {
      try {
        return {
          ok: true,
          frame: buildUdpFrame({
          srcMac,
          dstMac: reply.dstMac,
          srcIp: reply.srcIp,
          dstIp: reply.dstIp,
          srcPort: 67,
          dstPort: 68,
          payload: enc.value,
          }),
        };
      } catch (e) {
        // The frame encoder throws only on values the types should have ruled out (a bad MAC or address).
        if (e instanceof EncodeError) return { ok: false, error: e.message };
        throw e;
      }
    }
    // Only size is worth trimming for; any other encode error is a bug to report.
    if (enc.error.reason !== 'too-big') return { ok: false, error: enc.error.toString() };
    const opts = message.options;
    let i = opts.length - 1;
    while (i >= 0 && MANDATORY.has(opts[i]![0])) i--;
    if (i < 0) return { ok: false, error: enc.error.toString() };
    message = { ...message, options: opts.filter((_, j) => j !== i) };
  }
}
