/**
 * NETLINK_ROUTE framing shared by the link, route and rule codecs
 * (netlink(7), rtnetlink(7)): building a request (nlmsghdr, a fixed family
 * header, then attributes) and splitting a reply datagram into messages and
 * attributes, bounds-checked; nothing here throws on input.
 *
 * Wire layout (host byte order):
 *   nlmsghdr u32 len, u16 type, u16 flags, u32 seq, u32 pid           (16)
 *   family header (rtmsg, fib_rule_hdr: 12 octets; ifinfomsg: 16)
 *   rtattr   u16 len, u16 type, payload padded to 4                    (repeated)
 */
import { LITTLE_ENDIAN } from './native.js';

export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
/** The dump was interrupted by a change: its result may be inconsistent. */
export const NLM_F_DUMP_INTR = 0x10;
export const NLM_F_DUMP = 0x300;
export const NLM_F_CREATE = 0x400;
export const NLMSG_HDRLEN = 16;
/** struct rtmsg and struct fib_rule_hdr alike. */
export const FAMILY_HDRLEN = 12;

/** What every parser yields besides its own messages. */
export type FramingMessage =
  | { type: 'done'; seq: number; interrupted: boolean }
  | { type: 'error'; seq: number; errno: number }
  | { type: 'skip'; seq: number; reason: string };

export const view = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
export const align4 = (n: number): number => (n + 3) & ~3;

export function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  view(b).setUint32(0, n >>> 0, LITTLE_ENDIAN);
  return b;
}

/** The u32 at the start of an attribute's payload. */
export const readU32 = (p: Uint8Array): number => view(p).getUint32(0, LITTLE_ENDIAN);

/**
 * A request with a zeroed family header of `familyLen` octets (the caller
 * fills it: octets 16 on) and `attrs` after it; nlmsg_pid 0, to the kernel.
 */
export function rtnlRequest(
  type: number, flags: number, seq: number, attrs: ReadonlyArray<readonly [number, Uint8Array]>, familyLen = FAMILY_HDRLEN,
): Buffer {
  const len = NLMSG_HDRLEN + familyLen + attrs.reduce((n, [, p]) => n + align4(4 + p.length), 0);
  const b = Buffer.alloc(len);
  const dv = view(b);
  dv.setUint32(0, len, LITTLE_ENDIAN);
  dv.setUint16(4, type, LITTLE_ENDIAN);
  dv.setUint16(6, flags, LITTLE_ENDIAN);
  dv.setUint32(8, seq >>> 0, LITTLE_ENDIAN);
  let off = NLMSG_HDRLEN + familyLen;
  for (const [t, p] of attrs) {
    dv.setUint16(off, 4 + p.length, LITTLE_ENDIAN);
    dv.setUint16(off + 2, t, LITTLE_ENDIAN);
    b.set(p, off + 4);
    off += align4(4 + p.length);
  }
  return b;
}

/** Where the framing of a datagram broke (nothing after it can be trusted), and the seq read there. */
export interface BrokenFraming { seq: number; reason: string }

/**
 * Calls `visit` with each message of one datagram in order: its header
 * fields and its body (the payload after nlmsghdr). Returns where the framing
 * broke, if it did; otherwise the octets left after the last message (fewer
 * than a header), normally 0.
 */
export function forEachNlmsg(
  buf: Uint8Array, visit: (type: number, flags: number, seq: number, body: Uint8Array) => void,
): BrokenFraming | number {
  const dv = view(buf);
  let off = 0;
  while (off + NLMSG_HDRLEN <= buf.length) {
    const len = dv.getUint32(off, LITTLE_ENDIAN);
    const seq = dv.getUint32(off + 8, LITTLE_ENDIAN);
    if (len < NLMSG_HDRLEN || off + len > buf.length) return { seq, reason: `bad nlmsg_len ${len} at ${off}` };
    visit(dv.getUint16(off + 4, LITTLE_ENDIAN), dv.getUint16(off + 6, LITTLE_ENDIAN), seq, buf.subarray(off + NLMSG_HDRLEN, off + len));
    off += align4(len);
  }
  return Math.max(0, buf.length - off);
}

/** The errno of an NLMSG_ERROR body (positive, 0 = ACK), or undefined when it is too short to hold one. */
export function nlmsgErrno(body: Uint8Array): number | undefined {
  return body.length < 4 ? undefined : 0 - view(body).getInt32(0, LITTLE_ENDIAN);
}

/**
 * Every message of one datagram: DONE, ERROR (errno positive, 0 = ACK),
 * `bodyType` given to `parseBody` (the payload after nlmsghdr), anything
 * else skipped. Broken framing ends the list: nothing after it can be trusted.
 */
export function parseRtnlMessages<T>(
  buf: Uint8Array, bodyType: number, parseBody: (seq: number, flags: number, body: Uint8Array) => T | FramingMessage,
): Array<T | FramingMessage> {
  const out: Array<T | FramingMessage> = [];
  const end = forEachNlmsg(buf, (type, flags, seq, body) => {
    if (type === NLMSG_DONE) out.push({ type: 'done', seq, interrupted: (flags & NLM_F_DUMP_INTR) !== 0 });
    else if (type === NLMSG_ERROR) {
      const errno = nlmsgErrno(body);
      out.push(errno === undefined ? { type: 'skip', seq, reason: 'short NLMSG_ERROR' } : { type: 'error', seq, errno });
    } else if (type === bodyType) out.push(parseBody(seq, flags, body));
    else out.push({ type: 'skip', seq, reason: `message type ${type}` });
  });
  if (typeof end !== 'number') out.push({ type: 'skip', ...end });
  return out;
}

/**
 * Calls `visit` with each attribute after the family header (`start`
 * octets; 0 for the attributes nested in one) with its type without the
 * NLA_F_NESTED/NLA_F_NET_BYTEORDER bits; stops at, and returns the reason
 * for, the first that overruns the message, else returns undefined.
 */
export function forEachAttr(body: Uint8Array, visit: (type: number, payload: Uint8Array) => void, start = FAMILY_HDRLEN): string | undefined {
  const dv = view(body);
  let off = start;
  while (off + 4 <= body.length) {
    const alen = dv.getUint16(off, LITTLE_ENDIAN);
    if (alen < 4 || off + alen > body.length) return `bad rtattr at ${off}`;
    visit(dv.getUint16(off + 2, LITTLE_ENDIAN) & 0x3fff, body.subarray(off + 4, off + alen));
    off += align4(alen);
  }
  return undefined;
}
