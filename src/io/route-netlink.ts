/**
 * NETLINK_ROUTE route messages (rtnetlink(7), linux/rtnetlink.h): builders
 * for RTM_NEWROUTE / RTM_DELROUTE / the RTM_GETROUTE dump, and a pure,
 * bounds-checked parser of RTM_NEWROUTE (dump replies). Nothing here throws
 * on input: a malformed message is skipped with a reason. The framing is
 * rtnl-message.ts's; the family header here is
 *   rtmsg    u8 family, dst_len, src_len, tos, table, protocol, scope,
 *            type, u32 flags                                           (12)
 */
import { formatIpv4, parseIpv4 } from '../wire/addr.js';
import { formatIpv6Address, parseIpv6Address } from '../wire/ipv6-address.js';
import {
  FAMILY_HDRLEN, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_REQUEST, forEachAttr, parseRtnlMessages, readU32, rtnlRequest, u32, type FramingMessage,
} from './rtnl-message.js';

export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
export const RTM_GETROUTE = 26;
const NLM_F_REPLACE = 0x100;

export const AF_INET = 2;
export const AF_INET6 = 10;
const RTA_DST = 1;
const RTA_OIF = 4;
const RTA_GATEWAY = 5;
const RTA_TABLE = 15;
const RTN_UNICAST = 1;
const RT_SCOPE_UNIVERSE = 0;
const RT_SCOPE_LINK = 253;
/** rtm_table when the table id does not fit 8 bits: RTA_TABLE carries it. */
const RT_TABLE_COMPAT = 252;

/**
 * onlinkd's route protocol number (rtm_protocol): unassigned in Linux's
 * RTPROT_* (0-4 kernel, 8-18, 42, 99, 186-192 daemons) and in iproute2's
 * rt_protos. Routes carrying it are onlinkd's own: at start it removes the
 * stale ones and touches no other route. `ip route show proto 183`.
 */
export const RTPROT_ONLINKD = 183;

/** One host route (or prefix via a gateway) to a tap. */
export interface Route {
  family: typeof AF_INET | typeof AF_INET6;
  /** Network address, canonical text. */
  dst: string;
  dstLen: number;
  table: number;
  oif: number;
  /** Next hop on the tap (PREFIX6 via IP6), or undefined for a device route. */
  gateway?: string | undefined;
}

/** Identity of a route in the kernel's table (what RTM_DELROUTE matches on). */
export const routeKey = (r: Route): string => `${r.family}|${r.table}|${r.dst}/${r.dstLen}|${r.oif}|${r.gateway ?? ''}`;

export type RouteMessage = { type: 'route'; seq: number; flags: number; protocol: number; route: Route } | FramingMessage;

function addressBytes(family: number, text: string): Uint8Array | undefined {
  return family === AF_INET ? parseIpv4(text) : parseIpv6Address(text);
}

/** RTM_NEWROUTE (create or replace) or RTM_DELROUTE for `r`, with an ACK asked for. */
export function buildRouteRequest(kind: 'add' | 'delete', r: Route, seq: number, protocol = RTPROT_ONLINKD): Buffer {
  const dst = addressBytes(r.family, r.dst);
  const gw = r.gateway === undefined ? undefined : addressBytes(r.family, r.gateway);
  if (!dst || (r.gateway !== undefined && !gw)) throw new Error(`bad route address ${r.dst} ${r.gateway ?? ''}`);
  const attrs: Array<[number, Uint8Array]> = [[RTA_TABLE, u32(r.table)], [RTA_DST, dst], [RTA_OIF, u32(r.oif)]];
  if (gw) attrs.push([RTA_GATEWAY, gw]);
  const flags = NLM_F_REQUEST | NLM_F_ACK | (kind === 'add' ? NLM_F_CREATE | NLM_F_REPLACE : 0);
  const b = rtnlRequest(kind === 'add' ? RTM_NEWROUTE : RTM_DELROUTE, flags, seq, attrs);
  b[16] = r.family;
  b[17] = r.dstLen;
  b[20] = r.table < 256 ? r.table : RT_TABLE_COMPAT;
  b[21] = protocol;
  // ip(8)'s choice: a route without a gateway is on the link (scope link) for IPv4; IPv6 has no scope.
  b[22] = r.family === AF_INET && !gw ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
  b[23] = RTN_UNICAST;
  return b;
}

/** RTM_GETROUTE dump of every family's routes (filtered by protocol on reading). */
export function buildRouteDump(seq: number): Buffer {
  return rtnlRequest(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, seq, []);
}

/** Parses every message of one datagram; never throws. */
export function parseRouteMessages(buf: Uint8Array): RouteMessage[] {
  return parseRtnlMessages(buf, RTM_NEWROUTE, parseRoute);
}

function parseRoute(seq: number, flags: number, body: Uint8Array): RouteMessage {
  if (body.length < FAMILY_HDRLEN) return { type: 'skip', seq, reason: 'short rtmsg' };
  const family = body[0]!;
  if (family !== AF_INET && family !== AF_INET6) return { type: 'skip', seq, reason: `family ${family}` };
  const size = family === AF_INET ? 4 : 16;
  const dstLen = body[1]!;
  if (dstLen > size * 8) return { type: 'skip', seq, reason: `dst_len ${dstLen}` };
  let table = body[4]!;
  let dst: string | undefined;
  let gateway: string | undefined;
  let oif = 0;
  const bad = forEachAttr(body, (atype, p) => {
    if (atype === RTA_TABLE && p.length === 4) table = readU32(p);
    else if (atype === RTA_OIF && p.length === 4) oif = readU32(p);
    else if ((atype === RTA_DST || atype === RTA_GATEWAY) && p.length === size) {
      const text = family === AF_INET ? formatIpv4(p) : formatIpv6Address(p);
      if (atype === RTA_DST) dst = text;
      else gateway = text;
    }
  });
  if (bad) return { type: 'skip', seq, reason: bad };
  dst ??= family === AF_INET ? '0.0.0.0' : '::';
  return { type: 'route', seq, flags, protocol: body[5]!, route: { family, dst, dstLen, table, oif, gateway } };
}
