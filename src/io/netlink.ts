/**
 * NETLINK_ROUTE link messages (netlink(7), rtnetlink(7)): a pure parser and
 * the RTM_GETLINK dump request. Input is whatever the socket returned, so
 * every length is bounds-checked and nothing here throws: a malformed
 * message becomes { type: 'invalid' } and parsing stops where the framing is
 * no longer trustworthy. The framing is rtnl-message.ts's; the family
 * header here is
 *   ifinfomsg u8 family, u8 pad, u16 type, i32 index, u32 flags, u32 change (16)
 */
import {
  NLMSG_DONE, NLMSG_ERROR, NLM_F_DUMP, NLM_F_REQUEST, forEachAttr, forEachNlmsg, nlmsgErrno, readU32, rtnlRequest, view,
} from './rtnl-message.js';
import { LITTLE_ENDIAN } from './native.js';

export { NLMSG_DONE, NLMSG_ERROR, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_MULTI, NLM_F_REQUEST } from './rtnl-message.js';
export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;

const IFINFOMSG_LEN = 16;
const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_OPERSTATE = 16;
const IFLA_LINKINFO = 18;
const IFLA_INFO_KIND = 1;

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

/** Parses every message of one datagram; never throws. */
export function parseNetlink(buf: Uint8Array): NetlinkMessage[] {
  const out: NetlinkMessage[] = [];
  const end = forEachNlmsg(buf, (type, flags, seq, body) => {
    if (type === RTM_NEWLINK || type === RTM_DELLINK) {
      out.push(parseLink(type, seq, flags, body));
    } else if (type === NLMSG_DONE) {
      out.push({ type: 'done', seq, flags });
    } else if (type === NLMSG_ERROR) {
      const errno = nlmsgErrno(body);
      out.push(errno === undefined ? { type: 'invalid', seq, reason: 'short NLMSG_ERROR' } : { type: 'error', seq, errno });
    } else {
      out.push({ type: 'other', seq, msgType: type });
    }
  });
  if (typeof end !== 'number') out.push({ type: 'invalid', ...end });
  else if (end > 0) out.push({ type: 'invalid', seq: 0, reason: `${end} trailing bytes` });
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
  // A malformed attribute ends the list; those before it are kept.
  forEachAttr(body, (atype, payload) => {
    if (atype === IFLA_IFNAME) name = cString(payload);
    else if (atype === IFLA_ADDRESS && payload.length === 6) mac = macString(payload);
    else if (atype === IFLA_MTU && payload.length >= 4) mtu = readU32(payload);
    else if (atype === IFLA_OPERSTATE && payload.length >= 1) operstate = OPERSTATES[payload[0]!] ?? 'unknown';
    else if (atype === IFLA_LINKINFO) {
      forEachAttr(payload, (itype, ipayload) => {
        if (itype === IFLA_INFO_KIND) kind = cString(ipayload);
      }, 0);
    }
  }, IFINFOMSG_LEN);
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

function cString(b: Uint8Array): string {
  const nul = b.indexOf(0);
  return Buffer.from(b.buffer, b.byteOffset, nul < 0 ? b.length : nul).toString('utf8');
}

function macString(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
}

/** RTM_GETLINK dump request for every link of the namespace (ifinfomsg all zero: AF_UNSPEC, every link). */
export function buildGetLinkDump(seq: number): Buffer {
  return rtnlRequest(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, seq, [], IFINFOMSG_LEN);
}
