/**
 * Policy-rule messages (src/io/rule-netlink.ts): requests compared byte for
 * byte with ones built by hand from linux/fib_rules.h (the fib_rule_hdr and
 * attributes `ip rule add iif tap40 lookup 100 pref 32700 proto 183` sends,
 * in another order), dump replies parsed from hand-built bytes laid out as
 * the kernel's fib_nl_fill_rule writes them; hostile input never throws.
 * test/e2e/routing-rule.test.ts has the kernel read and answer them.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LITTLE_ENDIAN } from '../../../src/io/native.js';
import { RULE_PRIORITY } from '../../../src/config/routing-values.js';
import { AF_INET, AF_INET6, RTPROT_ONLINKD } from '../../../src/io/route-netlink.js';
import { RTM_NEWRULE, buildRuleDump, buildRuleRequest, parseRuleMessages, ruleKey } from '../../../src/io/rule-netlink.js';
import { attr, nlmsg, u32 } from './nlmsg.js';

const hex = (s: string): string => s.replace(/\s+/g, '');
const FRA_IIFNAME = 3;
const FRA_PRIORITY = 6;
const FRA_SUPPRESS_PREFIXLEN = 14;
const FRA_TABLE = 15;
const FRA_PROTOCOL = 21;

/** fib_rule_hdr: family, dst_len, src_len, tos, table, res1, res2, action, flags. */
function ruleHdr(family: number, table: number, action = 1, flags = 0): Buffer {
  return Buffer.concat([Buffer.from([family, 0, 0, 0, table, 0, 0, action]), u32(flags)]);
}

/** A dump reply as the kernel fills it: table (compat in the header), priority, iif, protocol, and attributes this parser ignores. */
function dumped(seq: number, o: { family?: number; table?: number; priority?: number; iif?: string; protocol?: number } = {}): Buffer {
  const table = o.table ?? 100;
  const attrs = [attr(FRA_TABLE, u32(table)), attr(FRA_SUPPRESS_PREFIXLEN, u32(0xffffffff))];
  if (o.priority !== 0) attrs.push(attr(FRA_PRIORITY, u32(o.priority ?? RULE_PRIORITY)));
  if (o.iif !== undefined) attrs.push(attr(FRA_IIFNAME, o.iif));
  if (o.protocol !== undefined) attrs.push(attr(FRA_PROTOCOL, Uint8Array.of(o.protocol)));
  return nlmsg(RTM_NEWRULE, 2, seq, Buffer.concat([ruleHdr(o.family ?? AF_INET, table < 256 ? table : 252), ...attrs]));
}

describe.runIf(LITTLE_ENDIAN)('rule requests', () => {
  it('RTM_NEWRULE iif tap40 lookup 100 pref 32700 proto 183: create|excl|ack, action to-table, FRA_TABLE/PRIORITY/IIFNAME/PROTOCOL', () => {
    const b = buildRuleRequest('add', { family: AF_INET, iif: 'tap40', table: 100, priority: RULE_PRIORITY }, 7);
    expect(b.toString('hex')).toBe(hex(`
      40000000 2000 0506 07000000 00000000
      02 00 00 00 64 00 00 01 00000000
      0800 0f00 64000000
      0800 0600 bc7f0000
      0a00 0300 74617034 30000000
      0500 1500 b7000000`));
  });

  it('RTM_DELRULE for IPv6 in table 100000: ack only, header table unspec (FRA_TABLE holds the id)', () => {
    const b = buildRuleRequest('delete', { family: AF_INET6, iif: 'tap9', table: 100000, priority: 32700 }, 1);
    expect(b.toString('hex')).toBe(hex(`
      40000000 2100 0500 01000000 00000000
      0a 00 00 00 00 00 00 01 00000000
      0800 0f00 a0860100
      0800 0600 bc7f0000
      0900 0300 74617039 00000000
      0500 1500 b7000000`));
  });

  it('a rule without an interface (a stale one of ours) is deleted without FRA_IIFNAME', () => {
    const b = buildRuleRequest('delete', { family: AF_INET, iif: '', table: 5, priority: 32700 }, 1);
    expect(parseRuleMessages(Buffer.concat([Buffer.from([b[0]!, b[1]!, b[2]!, b[3]!]), Buffer.from([RTM_NEWRULE, 0]), b.subarray(6)]))).toEqual([
      { type: 'rule', seq: 1, flags: 5, protocol: 183, action: 1, rule: { family: AF_INET, iif: '', table: 5, priority: 32700 } },
    ]);
  });

  it('the dump asks every family', () => {
    expect(buildRuleDump(3).toString('hex')).toBe(hex('1c000000 2200 0103 03000000 00000000 000000000000000000000000'));
  });

  it('refuses a name longer than IFNAMSIZ - 1 or with a NUL', () => {
    expect(() => buildRuleRequest('add', { family: AF_INET, iif: 'a'.repeat(16), table: 1, priority: 1 }, 1)).toThrow(/bad rule interface name/);
    expect(() => buildRuleRequest('add', { family: AF_INET, iif: 'ta\0p', table: 1, priority: 1 }, 1)).toThrow(/bad rule interface name/);
  });

  it('the key tells families, priorities, interfaces and tables apart', () => {
    const r = { family: AF_INET, iif: 'tap1', table: 100, priority: 32700 } as const;
    const keys = [r, { ...r, family: AF_INET6 }, { ...r, iif: 'tap2' }, { ...r, table: 101 }, { ...r, priority: 1 }].map((x) => ruleKey(x as typeof r));
    expect(new Set(keys).size).toBe(5);
  });
});

describe.runIf(LITTLE_ENDIAN)('rule dump replies', () => {
  it('reads family, table (FRA_TABLE over the header), priority, iif, protocol and action; ignores other attributes', () => {
    const msgs = parseRuleMessages(Buffer.concat([
      dumped(5, { family: AF_INET6, table: 100000, iif: 'tap40', protocol: RTPROT_ONLINKD }),
      dumped(5, { iif: 'tap41', protocol: 4 }),
      nlmsg(3, 2, 5, u32(0)),
    ]));
    expect(msgs).toEqual([
      { type: 'rule', seq: 5, flags: 2, protocol: 183, action: 1, rule: { family: AF_INET6, iif: 'tap40', table: 100000, priority: 32700 } },
      { type: 'rule', seq: 5, flags: 2, protocol: 4, action: 1, rule: { family: AF_INET, iif: 'tap41', table: 100, priority: 32700 } },
      { type: 'done', seq: 5, interrupted: false },
    ]);
  });

  it('a rule with no priority (pref 0, `from all lookup local`), no interface and no protocol (before Linux 4.17)', () => {
    expect(parseRuleMessages(dumped(1, { table: 255, priority: 0 }))).toEqual([
      { type: 'rule', seq: 1, flags: 2, protocol: 0, action: 1, rule: { family: AF_INET, iif: '', table: 255, priority: 0 } },
    ]);
  });

  it('the header table when FRA_TABLE is missing; the name up to its NUL', () => {
    const body = Buffer.concat([ruleHdr(AF_INET, 7), attr(FRA_IIFNAME, Buffer.from('tap1\0junk'))]);
    const [m] = parseRuleMessages(nlmsg(RTM_NEWRULE, 2, 1, body));
    expect(m).toMatchObject({ type: 'rule', rule: { table: 7, iif: 'tap1' } });
  });

  it('skips what it cannot trust: short header, multicast families, a name past IFNAMSIZ, a bad attribute, broken framing', () => {
    const short = nlmsg(RTM_NEWRULE, 2, 1, Buffer.alloc(8));
    const ipmr = nlmsg(RTM_NEWRULE, 2, 1, ruleHdr(128, 254));
    const longName = nlmsg(RTM_NEWRULE, 2, 1, Buffer.concat([ruleHdr(AF_INET, 100), attr(FRA_IIFNAME, 'x'.repeat(16))]));
    const badAttr = nlmsg(RTM_NEWRULE, 2, 1, Buffer.concat([ruleHdr(AF_INET, 100), Buffer.from([0xff, 0, 3, 0])]));
    const broken = Buffer.from([0xff, 0, 0, 0, 32, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseRuleMessages(Buffer.concat([short, ipmr, longName, badAttr, broken])).map((m) => (m.type === 'skip' ? m.reason : m.type))).toEqual([
      'short fib_rule_hdr', 'family 128', 'FRA_IIFNAME longer than IFNAMSIZ', 'bad rtattr at 12', 'bad nlmsg_len 255 at 136',
    ]);
  });

  it('an ACK and an error', () => {
    const ack = nlmsg(2, 0, 8, Buffer.concat([u32(0), Buffer.alloc(16)]));
    const enoent = nlmsg(2, 0, 9, Buffer.concat([u32(-2 >>> 0), Buffer.alloc(16)]));
    expect(parseRuleMessages(Buffer.concat([ack, enoent]))).toEqual([{ type: 'error', seq: 8, errno: 0 }, { type: 'error', seq: 9, errno: 2 }]);
  });

  it('never throws on random bytes or mutated replies; what it reads back builds again', () => {
    const valid = dumped(5, { iif: 'tap40', protocol: RTPROT_ONLINKD });
    const mutated = fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })).map(([i, v]) => {
      const b = Buffer.from(valid);
      b[i] = v;
      return b;
    });
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), mutated), (b) => {
      for (const m of parseRuleMessages(b)) {
        if (m.type !== 'rule') continue;
        expect([AF_INET, AF_INET6]).toContain(m.rule.family);
        // A stale rule is deleted with what was read: that must always build.
        const again = parseRuleMessages(Buffer.concat([buildRuleRequest('delete', m.rule, 1).subarray(0, 4), Buffer.from([RTM_NEWRULE, 0]), buildRuleRequest('delete', m.rule, 1).subarray(6)]));
        expect(again[0]).toMatchObject({ type: 'rule', rule: m.rule });
      }
    }), { numRuns: Number(process.env.FUZZ_RUNS ?? 2000) });
  });
});
