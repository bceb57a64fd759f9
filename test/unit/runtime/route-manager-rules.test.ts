/**
 * Policy rules by the route manager (`[routing] rule = yes`,
 * src/runtime/route-manager.ts over netlink-objects.ts), on a fake rule
 * socket beside a fake route socket: a rule per family the binding has
 * routes of, added on attach whatever the tap's state, kept when the tap
 * goes down, removed on detach and on `ROUTED=no`; at a restart a wanted
 * rule of protocol 183 is not sent again, a stale one is removed, another
 * protocol's is untouched; the kernel's answers (EEXIST, ENOENT, EPERM)
 * are taken or logged.
 */
import { describe, expect, it } from 'vitest';
import { LITTLE_ENDIAN } from '../../../src/io/native.js';
import { RULE_PRIORITY } from '../../../src/config/routing-values.js';
import { AF_INET, AF_INET6, RTPROT_ONLINKD } from '../../../src/io/route-netlink.js';
import { RTM_DELRULE, RTM_NEWRULE, buildRuleRequest, parseRuleMessages, type Rule } from '../../../src/io/rule-netlink.js';
import { RouteManager } from '../../../src/runtime/route-manager.js';
import { wantedRules } from '../../../src/runtime/wanted-routes.js';
import type { Binding } from '../../../src/bindings/binding.js';
import type { NetlinkTransport } from '../../../src/io/link-monitor.js';
import { testBinding } from '../../helpers/binding.js';
import { doneMsg, errorMsg, nlmsg } from '../io/nlmsg.js';

const RULES = { manage: true, table: 100, rule: true };

/** A fake socket: what was sent, and a way to answer. */
function fakeSocket() {
  const sent: Buffer[] = [];
  let deliver: (err: number, data: Buffer | null) => void = () => {};
  const transport: NetlinkTransport = { send: (d) => (sent.push(Buffer.from(d)), d.length), start: (cb) => (deliver = cb), close: () => {} };
  const seqOf = (b: Buffer): number => new DataView(b.buffer, b.byteOffset).getUint32(8, true);
  return { transport, sent, deliver: (data: Buffer) => deliver(0, data), seqOf };
}

/** A rule as the kernel dumps it (what the request carries, with the reply's type). */
const dumpedRule = (seq: number, r: Rule, protocol: number): Buffer => {
  const req = buildRuleRequest('add', r, seq, protocol);
  return nlmsg(RTM_NEWRULE, 2, seq, req.subarray(16));
};

function harness(existing: Array<{ rule: Rule; protocol: number }> = [], routing = RULES) {
  const routes = fakeSocket();
  const rules = fakeSocket();
  const logged: string[] = [];
  const log = { info: () => {}, warn: () => {}, debug: () => {}, error: (...a: unknown[]) => void logged.push(String(a[1])) };
  const m = new RouteManager({ transport: routes.transport, rules: rules.transport, routing: () => routing, log });
  routes.deliver(doneMsg(routes.seqOf(routes.sent[0]!)));
  routes.sent.length = 0;
  const dumpSeq = rules.seqOf(rules.sent[0]!);
  expect(new DataView(rules.sent[0]!.buffer, rules.sent[0]!.byteOffset).getUint16(4, true)).toBe(34); // RTM_GETRULE
  rules.deliver(Buffer.concat([...existing.map((e) => dumpedRule(dumpSeq, e.rule, e.protocol)), doneMsg(dumpSeq)]));
  rules.sent.length = 0;
  /** The rule requests sent since the last call, as "add|delete -4|-6 iif lookup pref"; their seqs in `seqs`. */
  const seqs: number[] = [];
  const requests = (): string[] => rules.sent.splice(0).map((b) => {
    const type = new DataView(b.buffer, b.byteOffset).getUint16(4, true);
    const [r] = parseRuleMessages(Buffer.concat([b.subarray(0, 4), Buffer.from([RTM_NEWRULE, 0]), b.subarray(6)]));
    if (r?.type !== 'rule' || r.protocol !== RTPROT_ONLINKD) throw new Error('not a rule request of ours');
    seqs.push(rules.seqOf(b));
    return `${type === RTM_NEWRULE ? 'add' : type === RTM_DELRULE ? 'delete' : type} ${r.rule.family === AF_INET ? '-4' : '-6'} iif ${r.rule.iif || '-'} lookup ${r.rule.table} pref ${r.rule.priority}`;
  });
  return { m, requests, seqs, logged, answer: (seq: number, errno: number) => rules.deliver(errorMsg(seq, errno)), routeRequests: () => routes.sent.splice(0).length };
}

const tap = (b: Binding, up = true) => ({ binding: b, link: { ifindex: 7, name: b.tap, mac: 'fe:00:00:00:00:07', up, running: up, lowerUp: up, operstate: 'up' as const, mtu: 1500, kind: 'tun' } });
const rule = (family: typeof AF_INET | typeof AF_INET6, iif = 'tap10', table = 100): Rule => ({ family, iif, table, priority: RULE_PRIORITY });

describe('wanted rules', () => {
  it('one per family the tap has routes of, at the fixed priority, in [routing] table; none when rule = no or the binding is not routed', () => {
    expect(wantedRules(testBinding({ eui64: '2001:db8::10' }), RULES)).toEqual([rule(AF_INET), rule(AF_INET6)]);
    expect(wantedRules(testBinding({ ip: undefined, subnet: undefined, gateway: undefined, eui64: '2001:db8::10' }), RULES)).toEqual([rule(AF_INET6)]);
    expect(wantedRules(testBinding(), { ...RULES, rule: false })).toEqual([]);
    expect(wantedRules(testBinding({ routed: false }), RULES)).toEqual([]);
    expect(wantedRules(testBinding({ routed: true }), { manage: false, table: 7, rule: true })).toEqual([rule(AF_INET, 'tap10', 7)]);
  });
});

describe.runIf(LITTLE_ENDIAN)('route manager: policy rules', () => {
  it('added on attach even while the tap is down, kept when it goes down, removed on detach', () => {
    const { m, requests, routeRequests } = harness();
    m.attach(tap(testBinding({ eui64: '2001:db8::10' }), false));
    expect(requests()).toEqual(['add -4 iif tap10 lookup 100 pref 32700', 'add -6 iif tap10 lookup 100 pref 32700']);
    expect(routeRequests()).toBe(0); // routes wait for the tap to come up
    m.linkChanged(tap(testBinding({ eui64: '2001:db8::10' }), true));
    m.linkChanged(tap(testBinding({ eui64: '2001:db8::10' }), false));
    m.linkChanged(tap(testBinding({ eui64: '2001:db8::10' }), true));
    expect(requests()).toEqual([]); // a rule outlives the tap's state: never sent again
    expect(routeRequests()).toBe(4); // IPv4 and EUI64 routes, twice (the kernel flushed them in between)
    expect(m.managedRules().map((x) => `${x.tap} ${x.rule.family}`)).toEqual(['tap10 2', 'tap10 10']);
    m.detach(testBinding());
    expect(requests()).toEqual(['delete -4 iif tap10 lookup 100 pref 32700', 'delete -6 iif tap10 lookup 100 pref 32700']);
    expect(m.managedRules()).toEqual([]);
  });

  it('a binding that loses its IPv6 addresses or turns ROUTED=no loses those rules', () => {
    const { m, requests } = harness();
    m.attach(tap(testBinding({ eui64: '2001:db8::10' })));
    requests();
    m.attach(tap(testBinding()));
    expect(requests()).toEqual(['delete -6 iif tap10 lookup 100 pref 32700']);
    m.attach(tap(testBinding({ routed: false })));
    expect(requests()).toEqual(['delete -4 iif tap10 lookup 100 pref 32700']);
  });

  it('restart: a wanted rule of protocol 183 is not sent again, a stale one is removed, another protocol\'s is untouched', () => {
    const { m, requests } = harness([
      { rule: rule(AF_INET), protocol: RTPROT_ONLINKD }, // wanted
      { rule: rule(AF_INET, 'tap99'), protocol: RTPROT_ONLINKD }, // stale: its VM was unbound while onlinkd was down
      { rule: rule(AF_INET6, 'tap98'), protocol: 4 }, // the administrator's
      { rule: { family: AF_INET, iif: '', table: 254, priority: 32766 }, protocol: 2 }, // the kernel's `lookup main`
    ]);
    m.attach(tap(testBinding()));
    expect(requests()).toEqual([]);
    m.sweep();
    expect(requests()).toEqual(['delete -4 iif tap99 lookup 100 pref 32700']);
  });

  it('rule = no: no rule is added and the ones of ours left from a run with rule = yes are removed', () => {
    const { m, requests } = harness([{ rule: rule(AF_INET), protocol: RTPROT_ONLINKD }], { ...RULES, rule: false });
    m.attach(tap(testBinding()));
    expect(requests()).toEqual([]);
    m.sweep();
    expect(requests()).toEqual(['delete -4 iif tap10 lookup 100 pref 32700']);
  });

  it('EEXIST on add and ENOENT on delete are no errors; EPERM is logged with the hint, and the rule is tried again on the next attach', () => {
    const { m, requests, seqs, logged, answer } = harness();
    m.attach(tap(testBinding()));
    requests();
    answer(seqs.at(-1)!, 17);
    m.detach(testBinding());
    requests();
    answer(seqs.at(-1)!, 2);
    expect(logged).toEqual([]);
    m.attach(tap(testBinding()));
    requests();
    answer(seqs.at(-1)!, 1);
    expect(logged).toEqual(['rule add refused by the kernel (EPERM: [routing] manage needs CAP_NET_ADMIN)']);
    m.attach(tap(testBinding({ hostname: 'again' })));
    expect(requests()).toEqual(['add -4 iif tap10 lookup 100 pref 32700']);
  });

  it('ready waits for both dumps', async () => {
    const routes = fakeSocket();
    const rules = fakeSocket();
    const m = new RouteManager({ transport: routes.transport, rules: rules.transport, routing: () => RULES, log: { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} } });
    let ready = false;
    void m.ready.then(() => (ready = true));
    routes.deliver(doneMsg(routes.seqOf(routes.sent[0]!)));
    await Promise.resolve();
    expect(ready).toBe(false);
    rules.deliver(doneMsg(rules.seqOf(rules.sent[0]!)));
    await m.ready;
    expect(ready).toBe(true);
  });
});
