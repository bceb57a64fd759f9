/**
 * NETLINK_ROUTE policy-rule messages (linux/fib_rules.h): builders for
 * RTM_NEWRULE / RTM_DELRULE / the RTM_GETRULE dump, and a pure,
 * bounds-checked parser of RTM_NEWRULE (dump replies); nothing here throws
 * on input. The framing is rtnl-message.ts's; the family header here is
 *   fib_rule_hdr u8 family, dst_len, src_len, tos, table, res1, res2,
 *                action, u32 flags                                    (12)
 *
 * onlinkd's rules are `iif TAP lookup TABLE` (`[routing] rule = yes`), one
 * per family: IPv4 and IPv6 rules are separate lists in the kernel.
 */
import {
  FAMILY_HDRLEN, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_REQUEST, forEachAttr, parseRtnlMessages, readU32, rtnlRequest, u32, type FramingMessage,
} from './rtnl-message.js';
import { AF_INET, AF_INET6, RTPROT_ONLINKD } from './route-netlink.js';

export const RTM_NEWRULE = 32;
export const RTM_DELRULE = 33;
export const RTM_GETRULE = 34;
const NLM_F_EXCL = 0x200;
const FRA_IIFNAME = 3;
const FRA_PRIORITY = 6;
const FRA_TABLE = 15;
/** Linux 4.17 and later; an older kernel ignores it and dumps no protocol (the rule is then not known as ours). */
const FRA_PROTOCOL = 21;
export const FR_ACT_TO_TBL = 1;
/** fib_rule_hdr.table for an id that does not fit 8 bits: FRA_TABLE carries it (what ip-rule(8) sends). */
const RT_TABLE_UNSPEC = 0;
/** IFNAMSIZ - 1: the longest interface name. */
const IFNAME_MAX = 15;

/** One policy rule: `iif IIF lookup TABLE pref PRIORITY` of one family. */
export interface Rule {
  family: typeof AF_INET | typeof AF_INET6;
  /** Input interface name; '' for none (a stale rule of ours without one). */
  iif: string;
  table: number;
  priority: number;
}

/** Identity of a rule (what RTM_DELRULE matches on with these attributes). */
export const ruleKey = (r: Rule): string => `${r.family}|${r.priority}|${r.iif}|${r.table}`;

export type RuleMessage = { type: 'rule'; seq: number; flags: number; protocol: number; action: number; rule: Rule } | FramingMessage;

/** RTM_NEWRULE (create, refused with EEXIST when the same rule is there: never a duplicate) or RTM_DELRULE, with an ACK asked for. */
export function buildRuleRequest(kind: 'add' | 'delete', r: Rule, seq: number, protocol = RTPROT_ONLINKD): Buffer {
  const name = Buffer.from(r.iif, 'latin1'); // byte for byte: a dumped name goes back unchanged in its delete
  if (name.length > IFNAME_MAX || name.includes(0)) throw new Error(`bad rule interface name ${JSON.stringify(r.iif)}`);
  const attrs: Array<[number, Uint8Array]> = [[FRA_TABLE, u32(r.table)], [FRA_PRIORITY, u32(r.priority)]];
  if (name.length > 0) attrs.push([FRA_IIFNAME, Buffer.concat([name, Buffer.of(0)])]);
  attrs.push([FRA_PROTOCOL, Uint8Array.of(protocol)]);
  const flags = NLM_F_REQUEST | NLM_F_ACK | (kind === 'add' ? NLM_F_CREATE | NLM_F_EXCL : 0);
  const b = rtnlRequest(kind === 'add' ? RTM_NEWRULE : RTM_DELRULE, flags, seq, attrs);
  b[16] = r.family;
  b[20] = r.table < 256 ? r.table : RT_TABLE_UNSPEC;
  b[23] = FR_ACT_TO_TBL;
  return b;
}

/** RTM_GETRULE dump of every family's rules (AF_UNSPEC; filtered by protocol on reading). */
export function buildRuleDump(seq: number): Buffer {
  return rtnlRequest(RTM_GETRULE, NLM_F_REQUEST | NLM_F_DUMP, seq, []);
}

/** Parses every message of one datagram; never throws. */
export function parseRuleMessages(buf: Uint8Array): RuleMessage[] {
  return parseRtnlMessages(buf, RTM_NEWRULE, parseRule);
}

function parseRule(seq: number, flags: number, body: Uint8Array): RuleMessage {
  if (body.length < FAMILY_HDRLEN) return { type: 'skip', seq, reason: 'short fib_rule_hdr' };
  const family = body[0]!;
  // AF_UNSPEC dumps also list the multicast routing families' rules (RTNL_FAMILY_IPMR 128, IP6MR 129).
  if (family !== AF_INET && family !== AF_INET6) return { type: 'skip', seq, reason: `family ${family}` };
  const rule: Rule = { family, iif: '', table: body[4]!, priority: 0 };
  let protocol = 0;
  let badName = false;
  const bad = forEachAttr(body, (atype, p) => {
    if (atype === FRA_TABLE && p.length === 4) rule.table = readU32(p);
    else if (atype === FRA_PRIORITY && p.length === 4) rule.priority = readU32(p);
    else if (atype === FRA_PROTOCOL && p.length >= 1) protocol = p[0]!;
    else if (atype === FRA_IIFNAME) {
      const end = p.indexOf(0);
      const name = p.subarray(0, end < 0 ? p.length : end);
      if (name.length > IFNAME_MAX) badName = true;
      else rule.iif = Buffer.from(name).toString('latin1');
    }
  });
  if (bad) return { type: 'skip', seq, reason: bad };
  if (badName) return { type: 'skip', seq, reason: 'FRA_IIFNAME longer than IFNAMSIZ' };
  return { type: 'rule', seq, flags, protocol, action: body[7]!, rule };
}
