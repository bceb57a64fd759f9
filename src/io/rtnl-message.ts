/**
 * NETLINK_ROUTE framing shared by the route and rule codecs (netlink(7),
 * rtnetlink(7)): building a request (nlmsghdr, a fixed family header, then
 * attributes) and splitting a reply datagram into messages and attributes,
 * bounds-checked; nothing here throws on input.
 *
 * Wire layout (host byte order):
 *   nlmsghdr u32 len, u16 type, u16 flags, u32 seq, u32 pid           (16)
 *   family header (rtmsg, fib_rule_hdr: both 12 octets)
 *   rtattr   u16 len, u16 type, payload padded to 4                    (repeated)
 */
import { LITTLE_ENDIAN } from './native.js';

const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
export const NLM_F_DUMP = 0x300;
const NLM_F_DUMP_INTR = 0x10;
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

/** A request with a zeroed family header (the caller fills it: octets 16..27) and `attrs` after it. */
export function rtnlRequest(type: number, flags: number, seq: number, attrs: ReadonlyArray<readonly [number, Uint8Array]>): Buffer {
  const len = NLMSG_HDRLEN + FAMILY_HDRLEN + attrs.reduce((n, [, p]) => n + align4(4 + p.length), 0);
  const b = Buffer.alloc(len);
  const dv = view(b);
  dv.setUint32(0, len, LITTLE_ENDIAN);
  dv.setUint16(4, type, LITTLE_ENDIAN);
  dv.setUint16(6, flags, LITTLE_ENDIAN);
  dv.setUint32(8, seq >>> 0, LITTLE_ENDIAN);
  let off = NLMSG_HDRLEN + FAMILY_HDRLEN;
  for (const [t, p] of attrs) {
    dv.setUint16(off, 4 + p.length, LITTLE_ENDIAN);
    dv.setUint16(off + 2, t, LITTLE_ENDIAN);
    b.set(p, off + 4);
    off += align4(4 + p.length);
  }
  return b;
}

/**
 * Every message of one datagram: DONE, ERROR (errno positive, 0 = ACK),
 * `bodyType` given to `parseBody` (the payload after nlmsghdr), anything
 * else skipped. Broken framing ends the list: nothing after it can be trusted.
 */
export function parseRtnlMessages<T>(
  buf: Uint8Array, bodyType: number, parseBody: (seq: number, flags: number, body: Uint8Array) => T | FramingMessage,
): Array<T | FramingMessage> {
  const dv = view(buf);
  const out: Array<T | FramingMessage> = [];
  let off = 0;
  while (off + NLMSG_HDRLEN <= buf.length) {
    const len = dv.getUint32(off, LITTLE_ENDIAN);
    const type = dv.getUint16(off + 4, LITTLE_ENDIAN);
    const flags = dv.getUint16(off + 6, LITTLE_ENDIAN);
    const seq = dv.getUint32(off + 8, LITTLE_ENDIAN);
    if (len < NLMSG_HDRLEN || off + len > buf.length) {
      out.push({ type: 'skip', seq, reason: `bad nlmsg_len ${len} at ${off}` });
      return out;
    }
    const body = buf.subarray(off + NLMSG_HDRLEN, off + len);
    if (type === NLMSG_DONE) out.push({ type: 'done', seq, interrupted: (flags & NLM_F_DUMP_INTR) !== 0 });
    else if (type === NLMSG_ERROR) {
      out.push(body.length < 4 ? { type: 'skip', seq, reason: 'short NLMSG_ERROR' } : { type: 'error', seq, errno: 0 - view(body).getInt32(0, LITTLE_ENDIAN) });
    } else if (type === bodyType) out.push(parseBody(seq, flags, body));
    else out.push({ type: 'skip', seq, reason: `message type ${type}` });
    off += align4(len);
  }
  return out;
}

/**
 * Calls `visit` with each attribute after the family header (type without
 * the NLA_F_NESTED/NLA_F_NET_BYTEORDER bits); returns the reason when one
 * overruns the message, else undefined.
 */
export function forEachAttr(body: Uint8Array, visit: (type: number, payload: Uint8Array) => void): string | undefined {
  const dv = view(body);
  let off = FAMILY_HDRLEN;
  while (off + 4 <= body.length) {
    const alen = dv.getUint16(off, LITTLE_ENDIAN);
    if (alen < 4 || off + alen > body.length) return `bad rtattr at ${off}`;
    visit(dv.getUint16(off + 2, LITTLE_ENDIAN) & 0x3fff, body.subarray(off + 4, off + alen));
    off += align4(alen);
  }
  return undefined;
}
