/**
 * NETLINK_ROUTE link messages (netlink(7), rtnetlink(7)): a pure parser and
 * the RTM_GETLINK dump request. Input is whatever the socket returned, so
 * every length is bounds-checked and nothing here throws: a malformed
 * message becomes { type: 'invalid' } and parsing stops where the framing is
 * no longer trustworthy.
 *
 * Wire layout (host byte order):
 *   nlmsghdr  u32 len, u16 type, u16 flags, u32 seq, u32 pid      (16 bytes)
 *   ifinfomsg u8 family, u8 pad, u16 type, i32 index, u32 flags, u32 change (16)
 *   rtattr    u16 len, u16 type, payload, padded to 4              (repeated)
 */
import { LITTLE_ENDIAN } from './native.js';

export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;
export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
/** The dump was interrupted by a change: its result may be inconsistent. */
export const NLM_F_DUMP_INTR = 0x10;
export const NLM_F_DUMP = 0x300;

const NLMSG_HDRLEN = 16;
const IFINFOMSG_LEN = 16;
const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_OPERSTATE = 16;
const IFLA_LINKINFO = 18;
const IFLA_INFO_KIND = 1;
/** rtattr type bits that are flags, not part of the type (NLA_F_NESTED etc.). */
const NLA_TYPE_MASK = 0x3fff;

export const IFF_UP = 0x1;
export const IFF_RUNNING = 0x40;
export const IFF_LOWER_UP = 0x10000;

/** RFC 2863 operational states, as IF_OPER_* in linux/if.h. */
const OPERSTATES = ['unknown', 'notpresent', 'down', 'lowerlayerdown', 'testing', 'dormant', 'up'] as const;
export type OperState = (typeof OPERSTATES)[number];

export interface Link {
  ifindex: number;
  name: string;
  /** Lower-case colon form; undefined unless the link has a 6-byte address. */
  mac: string | undefined;
  flags: number;
  /** IFF_UP: administratively up. */
  up: boolean;
  /** IFF_RUNNING: up and has carrier (a tap gets it once its reader attaches). */
  running: boolean;
  /** IFF_LOWER_UP: the driver signals L1 up. */
  lowerUp: boolean;
  operstate: OperState;
  mtu: number | undefined;
  /** IFLA_INFO_KIND ('veth', 'tun', 'bridge', ...), when the link has one. */
  kind: string | undefined;
}

export type NetlinkMessage =
  | { type: 'newlink' | 'dellink'; seq: number; flags: number; link: Link }
  | { type: 'done'; seq: number; flags: number }
  /** errno 0 is an ACK; otherwise a positive errno. */
  | { type: 'error'; seq: number; errno: number }
  | { type: 'other'; seq: number; msgType: number }
  | { type: 'invalid'; seq: number; reason: string };

function view(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

const align4 = (n: number): number => (n + 3) & ~3;

/** Parses every message of one datagram; never throws. */
export function parseNetlink(buf: Uint8Array): NetlinkMessage[] {
  const dv = view(buf);
  const le = LITTLE_ENDIAN;
  const out: NetlinkMessage[] = [];
  let off = 0;
  while (off + NLMSG_HDRLEN <= buf.length) {
    const len = dv.getUint32(off, le);
    const type = dv.getUint16(off + 4, le);
    const flags = dv.getUint16(off + 6, le);
    const seq = dv.getUint32(off + 8, le);
    if (len < NLMSG_HDRLEN || off + len > buf.length) {
      // The framing itself is broken: nothing after this point can be trusted.
      out.push({ type: 'invalid', seq, reason: `bad nlmsg_len ${len} at ${off}` });
      return out;
    }
    const body = buf.subarray(off + NLMSG_HDRLEN, off + len);
    if (type === RTM_NEWLINK || type === RTM_DELLINK) {
      out.push(parseLink(type, seq, flags, body));
    } else if (type === NLMSG_DONE) {
      out.push({ type: 'done', seq, flags });
    } else if (type === NLMSG_ERROR) {
      if (body.length < 4) out.push({ type: 'invalid', seq, reason: 'short NLMSG_ERROR' });
      else out.push({ type: 'error', seq, errno: 0 - view(body).getInt32(0, le) });
    } else {
      out.push({ type: 'other', seq, msgType: type });
    }
    off += align4(len);
  }
  if (off < buf.length) out.push({ type: 'invalid', seq: 0, reason: `${buf.length - off} trailing bytes` });
  return out;
}

function parseLink(type: number, seq: number, flags: number, body: Uint8Array): NetlinkMessage {
  if (body.length < IFINFOMSG_LEN) return { type: 'invalid', seq, reason: 'short ifinfomsg' };
  const dv = view(body);
  const le = LITTLE_ENDIAN;
  const ifindex = dv.getInt32(4, le);
  const ifflags = dv.getUint32(8, le);
  if (ifindex <= 0) return { type: 'invalid', seq, reason: `bad ifindex ${ifindex}` };
  let name: string | undefined;
  let mac: string | undefined;
  let mtu: number | undefined;
  let operstate: OperState = 'unknown';
  let kind: string | undefined;
  for (const [atype, payload] of attributes(body.subarray(IFINFOMSG_LEN))) {
    if (atype === IFLA_IFNAME) name = cString(payload);
    else if (atype === IFLA_ADDRESS && payload.length === 6) mac = macString(payload);
    else if (atype === IFLA_MTU && payload.length >= 4) mtu = view(payload).getUint32(0, le);
    else if (atype === IFLA_OPERSTATE && payload.length >= 1) operstate = OPERSTATES[payload[0]!] ?? 'unknown';
    else if (atype === IFLA_LINKINFO) {
      for (const [itype, ipayload] of attributes(payload)) {
        if (itype === IFLA_INFO_KIND) kind = cString(ipayload);
      }
    }
  }
  // The kernel always names a link; a NEWLINK without a name is not one of its.
  if (name === undefined && type === RTM_NEWLINK) return { type: 'invalid', seq, reason: 'link without IFLA_IFNAME' };
  return {
    type: type === RTM_NEWLINK ? 'newlink' : 'dellink',
    seq,
    flags,
    link: {
      ifindex,
      name: name ?? '',
      mac,
      flags: ifflags,
      up: (ifflags & IFF_UP) !== 0,
      running: (ifflags & IFF_RUNNING) !== 0,
      lowerUp: (ifflags & IFF_LOWER_UP) !== 0,
      operstate,
      mtu,
      kind,
    },
  };
}

/** Yields [type, payload] for each well-formed rtattr; stops at the first bad one. */
function* attributes(buf: Uint8Array): Generator<[number, Uint8Array]> {
  const dv = view(buf);
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = dv.getUint16(off, LITTLE_ENDIAN);
    const type = dv.getUint16(off + 2, LITTLE_ENDIAN) & NLA_TYPE_MASK;
    if (len < 4 || off + len > buf.length) return;
    yield [type, buf.subarray(off + 4, off + len)];
    off += align4(len);
  }
}

function cString(b: Uint8Array): string {
  const nul = b.indexOf(0);
  return Buffer.from(b.buffer, b.byteOffset, nul < 0 ? b.length : nul).toString('utf8');
}

function macString(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
}

/** RTM_GETLINK dump request for every link of the namespace (AF_UNSPEC). */
export function buildGetLinkDump(seq: number): Buffer {
  const b = Buffer.alloc(NLMSG_HDRLEN + IFINFOMSG_LEN);
  const dv = view(b);
  dv.setUint32(0, b.length, LITTLE_ENDIAN);
  dv.setUint16(4, RTM_GETLINK, LITTLE_ENDIAN);
  dv.setUint16(6, NLM_F_REQUEST | NLM_F_DUMP, LITTLE_ENDIAN);
  dv.setUint32(8, seq >>> 0, LITTLE_ENDIAN);
  // nlmsg_pid 0: addressed to the kernel; ifinfomsg all zero = every family/link.
  return b;
}
