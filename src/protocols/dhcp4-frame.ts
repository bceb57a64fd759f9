/**
 * Turns a DHCPv4 reply decision into the Ethernet frame to send (pure).
 * Options are ordered most important first by the responder; when the
 * client's maximum message size cannot hold them all (even with option
 * overload), the least important are dropped one by one, never the
 * message type, server identifier or lease times.
 */
import type { Dhcp4Reply } from './dhcp4.js';
import { isSharedOptionList } from './dhcp4-config-options.js';
import type { Dhcp4Message } from '../wire/dhcp4-types.js';
import { encodeDhcp4, encodeDhcp4Into } from '../wire/dhcp4.js';
import { finishChecksum, ipv4PseudoHeaderSum, sumWords } from '../wire/checksum.js';
import { IPV4_MIN_HEADER_LENGTH, IpProtocol } from '../wire/ipv4.js';
import { buildUdpFrame, udpHeadersLength, writeUdpHeadersAround } from '../wire/frame.js';
import { sameBytes } from '../wire/reader.js';
import { ok, type DecodeError, type Encoded } from '../wire/result.js';
import { encodeFailure, type FrameResult } from './frame-result.js';
import { UDP_HEADER_LENGTH } from '../wire/udp.js';
import { putU16, putU32 } from '../wire/writer.js';

const MANDATORY = new Set([53, 54, 51, 58, 59, 61]);

export type { FrameResult } from './frame-result.js';

/** Ethernet (untagged) + IPv4 + UDP headers in front of the DHCP message. */
const HEADERS = udpHeadersLength();
/** Where a reply's UDP header, its checksum and the DHCP xid sit (replies are untagged, without IP options). */
const UDP_AT = HEADERS - UDP_HEADER_LENGTH;
const IP_AT = UDP_AT - IPV4_MIN_HEADER_LENGTH;
const CHECKSUM_AT = UDP_AT + 6;
const XID_AT = HEADERS + 4;

/**
 * The reply frame. With `scratch` (at least 64 KiB + HEADERS), the frame is
 * a kept template patched in place (see Template below) or is built in
 * `scratch`, and is valid until the next call; the packet path sends it at
 * once and so allocates nothing per reply. Without, always a new buffer
 * from the encoder.
 */
export function dhcp4ReplyFrame(reply: Dhcp4Reply, srcMac: string, scratch?: Uint8Array): FrameResult {
  if (!scratch) return encodeFrame(reply, srcMac);
  const options = reply.message.options;
  const t = templates.get(options);
  const xid = reply.message.xid;
  // An xid the encoder would refuse (not a uint32) goes to the encoder, which says so.
  if (t && xid >>> 0 === xid && fits(t, reply, srcMac)) return { ok: true, frame: patchXid(t, xid) };
  const built = encodeFrame(reply, srcMac, scratch);
  // Only the responder's shared per-binding lists are worth a template.
  if (built.ok && isSharedOptionList(options)) templates.set(options, template(reply, srcMac, built.frame));
  return built;
}

/** The reply frame through the encoder (the reference every template is made from). */
function encodeFrame(reply: Dhcp4Reply, srcMac: string, scratch?: Uint8Array): FrameResult {
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
      return encodeFailure(e);
    }
  }
}

/**
 * Reply templates. A guest's requests differ only in their transaction id,
 * so the frame of a reply whose option list is the responder's shared one
 * (see configOptions in dhcp4.ts) is kept with every other field it was
 * built from; when the next reply matches them all, only the xid and the
 * UDP checksum are patched. Weakly keyed by the option list, so a replaced
 * binding or settings object takes its templates with it. Still pure: the
 * bytes are the encoder's (a property test checks this).
 */
interface Template {
  fields: TemplateFields;
  frame: Uint8Array;
  /** Checksum sum of the pseudo header and datagram with the xid and checksum fields zero. */
  sumWithoutXid: number;
}

type TemplateFields = Omit<Dhcp4Message, 'xid' | 'options'> & Omit<Dhcp4Reply, 'message' | 'type'> & { srcMac: string };

const templates = new WeakMap<Dhcp4Message['options'], Template>();

function fieldsOf(reply: Dhcp4Reply, srcMac: string): TemplateFields {
  const m = reply.message;
  return {
    op: m.op, htype: m.htype, hlen: m.hlen, hops: m.hops, secs: m.secs, flags: m.flags,
    // chaddr is a view into the request (a receive ring slot): the template keeps a copy.
    ciaddr: m.ciaddr, yiaddr: m.yiaddr, siaddr: m.siaddr, giaddr: m.giaddr, chaddr: m.chaddr.slice(), sname: m.sname, file: m.file,
    srcIp: reply.srcIp, dstIp: reply.dstIp, dstMac: reply.dstMac, maxLength: reply.maxLength, srcMac,
  };
}

function fits(t: Template, reply: Dhcp4Reply, srcMac: string): boolean {
  const f = t.fields;
  const m = reply.message;
  return (
    m.flags === f.flags && m.ciaddr === f.ciaddr && m.yiaddr === f.yiaddr &&
    reply.dstIp === f.dstIp && reply.dstMac === f.dstMac && reply.srcIp === f.srcIp && srcMac === f.srcMac &&
    reply.maxLength === f.maxLength && m.htype === f.htype && m.hlen === f.hlen && m.op === f.op && m.hops === f.hops &&
    m.secs === f.secs && m.siaddr === f.siaddr && m.giaddr === f.giaddr && m.sname === f.sname && m.file === f.file &&
    sameBytes(m.chaddr, f.chaddr)
  );
}

/** A template from a frame just encoded (copied: the frame may be a view into the caller's scratch). */
function template(reply: Dhcp4Reply, srcMac: string, encoded: Uint8Array): Template {
  const frame = encoded.slice();
  let sum = ipv4PseudoHeaderSum(frame, IP_AT + 12, frame, IP_AT + 16, IpProtocol.Udp, frame.length - UDP_AT);
  sum = sumWords(frame, UDP_AT, CHECKSUM_AT, sum);
  sum = sumWords(frame, CHECKSUM_AT + 2, XID_AT, sum);
  sum = sumWords(frame, XID_AT + 4, frame.length, sum);
  return { fields: fieldsOf(reply, srcMac), frame, sumWithoutXid: sum };
}

/** The template's frame with `xid` in place and the UDP checksum to match. */
function patchXid(t: Template, xid: number): Uint8Array {
  putU32(t.frame, XID_AT, xid);
  const c = finishChecksum(t.sumWithoutXid + (xid >>> 16) + (xid & 0xffff));
  putU16(t.frame, CHECKSUM_AT, c === 0 ? 0xffff : c); // RFC 768: a computed zero is sent as all ones
  return t.frame;
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
