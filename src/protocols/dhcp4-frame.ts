/**
 * Turns a DHCPv4 reply decision into the Ethernet frame to send (pure).
 * Options are ordered most important first by the responder; when the
 * client's maximum message size cannot hold them all (even with option
 * overload), the least important are dropped one by one, never the
 * message type, server identifier or lease times.
 */
import type { Dhcp4Reply } from './dhcp4.js';
import type { Dhcp4Message } from '../wire/dhcp4-types.js';
import { encodeDhcp4, encodeDhcp4Into } from '../wire/dhcp4.js';
import { buildUdpFrame, udpHeadersLength, writeUdpHeadersAround } from '../wire/frame.js';
import { EncodeError, ok, type DecodeError, type Encoded } from '../wire/result.js';

const MANDATORY = new Set([53, 54, 51, 58, 59, 61]);

export type FrameResult = { ok: true; frame: Uint8Array } | { ok: false; error: string };

/** Ethernet (untagged) + IPv4 + UDP headers in front of the DHCP message. */
const HEADERS = udpHeadersLength();

/**
 * The reply frame. With `scratch` (at least 64 KiB + HEADERS), the frame is
 * built in it and returned as a view — valid until the next call with the
 * same scratch; the packet path sends it at once and so allocates nothing
 * per reply. Without, a new buffer.
 */
export function dhcp4ReplyFrame(reply: Dhcp4Reply, srcMac: string, scratch?: Uint8Array): FrameResult {
  let message = reply.message;
  for (;;) {
    const enc = encodePayload(message, reply.maxLength, scratch);
    if (!enc.ok) {
      const next = trimmed(message, enc.error);
      if (typeof next === 'string') return { ok: false, error: next };
      message = next;
      continue;
    }
    const spec = { srcMac, dstMac: reply.dstMac, srcIp: reply.srcIp, dstIp: reply.dstIp, srcPort: 67, dstPort: 68, payload: enc.value };
    try {
      if (!scratch) return { ok: true, frame: buildUdpFrame(spec) };
      // The message is in place after the headers' room: write the headers around it.
      return { ok: true, frame: scratch.subarray(0, writeUdpHeadersAround(spec, enc.value.length, scratch, 0)) };
    } catch (e) {
      // The frame encoder throws only on values the types should have ruled out (a bad MAC or address).
      if (e instanceof EncodeError) return { ok: false, error: e.message };
      throw e;
    }
  }
}

/** The DHCP message in a new buffer, or in place after the headers' room in `scratch`. */
function encodePayload(message: Dhcp4Message, maxLength: number, scratch: Uint8Array | undefined): Encoded<Uint8Array> {
  if (!scratch) return encodeDhcp4(message, { maxLength });
  const enc = encodeDhcp4Into(message, scratch, HEADERS, { maxLength });
  return enc.ok ? ok(scratch.subarray(HEADERS, HEADERS + enc.value)) : enc;
}

/** The message without its least important optional option, or why it cannot be made to fit. */
function trimmed(message: Dhcp4Message, error: DecodeError): Dhcp4Message | string {
  // Only size is worth trimming for; any other encode error is a bug to report.
  if (error.reason !== 'too-big') return error.toString();
  const opts = message.options;
  let i = opts.length - 1;
  while (i >= 0 && MANDATORY.has(opts[i]![0])) i--;
  if (i < 0) return error.toString();
  return { ...message, options: opts.filter((_, j) => j !== i) };
}
