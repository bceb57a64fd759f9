/**
 * Stateful DHCPv6 from the binding (RFC 8415 §18.3): what each message type
 * gets, with IA_NA = IP6 (else EUI64) and IA_PD = PREFIX6, the client's
 * IAID echoed, its own choices never honoured, and the §16 discards.
 */
import { describe, expect, it } from 'vitest';
import { respondStateful, type StatefulDecision } from '../../../src/protocols/dhcp6-stateful.js';
import { makeServerDuid } from '../../../src/protocols/dhcp6.js';
import { effectiveMode6, mode6Warning } from '../../../src/protocols/ipv6-mode.js';
import { statusCodeOption } from '../../../src/wire/dhcp6-options.js';
import { Dhcp6Option, getDhcp6Option, getDhcp6Options, type Dhcp6Message } from '../../../src/wire/dhcp6.js';
import { decodeIa, encodeIa, encodeIaAddress, encodeIaPrefix, iaAddresses, iaPrefixes, type IdentityAssociation } from '../../../src/wire/dhcp6-ia.js';
import { formatIpv6Address, parseIpv6Address } from '../../../src/wire/ipv6-address.js';
import { hex } from '../wire/helpers.js';
import { VM_EUI64, binding6, ipv6Settings } from './ipv6-helpers.js';

const SERVER_DUID = makeServerDuid('02:00:00:00:00:01');
const OTHER_DUID = makeServerDuid('02:00:00:00:00:99');
const CLIENT_DUID = hex`00 03 00 01 aa 00 00 00 00 10`;
const IP6 = '2001:db8:10::77';
const PREFIX6 = { network: '2001:db8:100::', prefixLength: 56 };
const s = ipv6Settings({ mode: 'dhcpv6' });
const b = binding6({ ip6: IP6, prefix6: PREFIX6 });

const iaNa = (iaid: number, ...addrs: string[]): [number, Uint8Array] => [
  3,
  encodeIa({ code: 3, iaid, t1: 0, t2: 0, options: addrs.map((a) => [5, encodeIaAddress({ address: parseIpv6Address(a)!, preferredLifetime: 0, validLifetime: 0, options: [] })]) }),
];
const iaPd = (iaid: number, prefix?: string, len = 56): [number, Uint8Array] => [
  25,
  encodeIa({
    code: 25, iaid, t1: 0, t2: 0,
    options: prefix ? [[26, encodeIaPrefix({ prefix: parseIpv6Address(prefix)!, prefixLength: len, preferredLifetime: 0, validLifetime: 0, options: [] })]] : [],
  }),
];

function msg(msgType: number, ...options: Array<[number, Uint8Array]>): Dhcp6Message {
  const sid: Array<[number, Uint8Array]> = [3, 5, 8, 9].includes(msgType) ? [[2, SERVER_DUID]] : [];
  return { msgType, transactionId: 0x123456, options: [[1, CLIENT_DUID], ...sid, ...options, [8, hex`0000`]] };
}

function reply(d: StatefulDecision) {
  if (d.kind !== 'reply') throw new Error(`expected a reply, got ${JSON.stringify(d)}`);
  return d;
}

function ias(m: Dhcp6Message): IdentityAssociation[] {
  return m.options.filter(([c]) => c === 3 || c === 4 || c === 25).map(([c, v]) => {
    const r = decodeIa(c, v);
    if (!r.ok) throw new Error(r.error.toString());
    return r.value;
  });
}
const status = (opts: Array<[number, Uint8Array]>): number | undefined => {
  const v = getDhcp6Option({ options: opts }, 13);
  return v && (statusCodeOption.decode(v) as { value: { code: number } }).value.code;
};
const addrs = (ia: IdentityAssociation) => iaAddresses(ia).map((a) => [formatIpv6Address(a.address), a.preferredLifetime, a.validLifetime]);

describe('stateful DHCPv6 responder', () => {
  it('Solicit → Advertise with Preference 255, IA_NA = IP6 and IA_PD = PREFIX6, IAIDs echoed, T1/T2/lifetimes from config', () => {
    const d = reply(respondStateful(msg(1, iaNa(0xcafe), iaPd(0xbeef)), b, s, SERVER_DUID, true));
    expect(d.message.msgType).toBe(2);
    expect(d.message.transactionId).toBe(0x123456);
    expect(d.configure).toBe(true);
    expect(getDhcp6Option(d.message, 1)).toEqual(CLIENT_DUID);
    expect(getDhcp6Option(d.message, 2)).toEqual(SERVER_DUID);
    expect(getDhcp6Option(d.message, 7)).toEqual(Uint8Array.of(255));
    const [na, pd] = ias(d.message);
    expect(na).toMatchObject({ code: 3, iaid: 0xcafe, t1: 7200, t2: 11520 });
    expect(addrs(na!)).toEqual([[IP6, 14400, 86400]]);
    expect(pd).toMatchObject({ code: 25, iaid: 0xbeef, t1: 7200, t2: 11520 });
    expect(iaPrefixes(pd!).map((p) => [formatIpv6Address(p.prefix), p.prefixLength])).toEqual([['2001:db8:100::', 56]]);
  });

  it('IA_NA defaults to EUI64; no address and no prefix → NoAddrsAvail / NoPrefixAvail inside the IAs (§18.3.1)', () => {
    const d = reply(respondStateful(msg(1, iaNa(1)), binding6(), s, SERVER_DUID, true));
    expect(addrs(ias(d.message)[0]!)).toEqual([[VM_EUI64, 14400, 86400]]);
    const none = reply(respondStateful(msg(1, iaNa(1), iaPd(2)), binding6({ eui64: undefined }), s, SERVER_DUID, true));
    const [na, pd] = ias(none.message);
    expect([status(na!.options), addrs(na!)]).toEqual([2, []]);
    expect(status(pd!.options)).toBe(6);
  });

  it('Solicit with Rapid Commit → Reply with Rapid Commit at once', () => {
    const d = reply(respondStateful(msg(1, iaNa(1), [14, new Uint8Array(0)]), b, s, SERVER_DUID, true));
    expect(d.message.msgType).toBe(7);
    expect(getDhcp6Option(d.message, 14)).toEqual(new Uint8Array(0));
    expect(getDhcp6Option(d.message, 7)).toBeUndefined();
  });

  it('Request for another address → the binding address, the asked one at lifetime 0; a second IA_NA gets none', () => {
    const d = reply(respondStateful(msg(3, iaNa(1, '2001:db8:10::99'), iaNa(2)), b, s, SERVER_DUID, true));
    expect(d.message.msgType).toBe(7);
    const [first, second] = ias(d.message);
    expect(addrs(first!)).toEqual([[IP6, 14400, 86400], ['2001:db8:10::99', 0, 0]]);
    expect(status(second!.options)).toBe(2);
  });

  it('Renew: the binding address; an IA it does not hold → NoBinding (§18.3.4). Rebind: its addresses at lifetime 0 (§18.3.5)', () => {
    const renew = reply(respondStateful(msg(5, iaNa(1, IP6), iaPd(2, '2001:db8:100::')), b, s, SERVER_DUID, true));
    const [na, pd] = ias(renew.message);
    expect(addrs(na!)).toEqual([[IP6, 14400, 86400]]);
    expect(iaPrefixes(pd!)).toHaveLength(1);
    const noPrefix = reply(respondStateful(msg(5, iaPd(2, '2001:db8:100::')), binding6({ ip6: IP6 }), s, SERVER_DUID, true));
    expect(status(ias(noPrefix.message)[0]!.options)).toBe(3);
    const rebind = reply(respondStateful(msg(6, iaNa(1, '2001:db8:10::99')), binding6({ eui64: undefined }), s, SERVER_DUID, true));
    expect(addrs(ias(rebind.message)[0]!)).toEqual([['2001:db8:10::99', 0, 0]]);
  });

  it('Confirm → Success for the binding address, NotOnLink for any other, nothing without addresses (§18.3.3)', () => {
    expect(status(reply(respondStateful(msg(4, iaNa(1, IP6)), b, s, SERVER_DUID, true)).message.options)).toBe(0);
    const other = reply(respondStateful(msg(4, iaNa(1, IP6, '2001:db8:10::99')), b, s, SERVER_DUID, true));
    expect(status(other.message.options)).toBe(4);
    expect(ias(other.message)).toEqual([]);
    expect(other.configure).toBe(false);
    expect(respondStateful(msg(4, iaNa(1)), b, s, SERVER_DUID, true)).toMatchObject({ kind: 'drop', reason: 'confirm-without-addresses' });
  });

  it('Release and Decline → Success, NoBinding for IAs not held; Decline hands back its addresses', () => {
    const rel = reply(respondStateful(msg(8, iaNa(1, IP6), iaPd(2)), binding6({ ip6: IP6 }), s, SERVER_DUID, true));
    expect(status(rel.message.options)).toBe(0);
    const held = ias(rel.message);
    expect(held.map((ia) => [ia.code, ia.iaid, status(ia.options)])).toEqual([[25, 2, 3]]);
    const dec = reply(respondStateful(msg(9, iaNa(1, IP6)), b, s, SERVER_DUID, true));
    expect(status(dec.message.options)).toBe(0);
    expect(dec.declined?.map((a) => formatIpv6Address(a))).toEqual([IP6]);
  });

  it('§16 discards: no client id, a server id in Solicit/Confirm/Rebind, none or another server\'s in Request/Renew/Release/Decline', () => {
    const noCid: Dhcp6Message = { msgType: 1, transactionId: 1, options: [iaNa(1)] };
    expect(respondStateful(noCid, b, s, SERVER_DUID, true)).toMatchObject({ kind: 'drop', reason: 'no-client-id' });
    for (const t of [1, 4, 6]) {
      const m = msg(t, iaNa(1, IP6));
      m.options.push([2, SERVER_DUID]);
      expect(respondStateful(m, b, s, SERVER_DUID, true)).toMatchObject({ kind: 'drop', reason: 'unexpected-server-id' });
    }
    for (const t of [3, 5, 8, 9]) {
      const other = msg(t, iaNa(1, IP6));
      other.options[1] = [2, OTHER_DUID];
      expect(respondStateful(other, b, s, SERVER_DUID, true)).toMatchObject({ kind: 'drop', reason: 'other-server' });
      const none = { ...other, options: other.options.filter(([c]) => c !== 2) };
      expect(respondStateful(none, b, s, SERVER_DUID, true)).toMatchObject({ kind: 'drop', reason: 'no-server-id' });
    }
  });

  it('Request sent to a unicast address → UseMulticast and nothing else (§18.3.2)', () => {
    const d = reply(respondStateful(msg(3, iaNa(1)), b, s, SERVER_DUID, false));
    expect(d.message.options.map(([c]) => c)).toEqual([1, 2, 13]);
    expect(status(d.message.options)).toBe(5);
  });

  it('answers only in mode dhcpv6 (MODE6 over [ipv6] mode)', () => {
    for (const mode of ['slaac+dhcpv6', 'slaac', 'none'] as const) {
      expect(respondStateful(msg(1, iaNa(1)), b, ipv6Settings({ mode }), SERVER_DUID, true)).toMatchObject({ kind: 'drop', reason: 'stateful-not-offered' });
    }
    const perTap = binding6({ ip6: IP6, mode6: 'dhcpv6' });
    expect(effectiveMode6(perTap, ipv6Settings())).toBe('dhcpv6');
    expect(respondStateful(msg(1, iaNa(1)), perTap, ipv6Settings(), SERVER_DUID, true).kind).toBe('reply');
    expect(respondStateful(msg(1, iaNa(1)), binding6({ mode6: 'slaac' }), s, SERVER_DUID, true)).toMatchObject({ reason: 'stateful-not-offered' });
    expect(respondStateful(msg(11), b, s, SERVER_DUID, true)).toMatchObject({ reason: 'not-stateful' });
  });

  it('dhcpv6 mode without IP6/EUI64 is a binding warning', () => {
    expect(mode6Warning(binding6({ eui64: undefined, mode6: 'dhcpv6' }), ipv6Settings())).toMatch(/without IP6, EUI64 or PREFIX6/);
    expect(mode6Warning(binding6({ eui64: undefined, prefix6: PREFIX6 }), s)).toMatch(/delegates PREFIX6/);
    expect(mode6Warning(binding6(), s)).toBeUndefined();
    expect(mode6Warning(binding6({ eui64: undefined }), ipv6Settings())).toBeUndefined();
  });

  it('several status/IA options are never duplicated at top level', () => {
    const d = reply(respondStateful(msg(8, iaNa(1)), binding6({ eui64: undefined }), s, SERVER_DUID, true));
    expect(getDhcp6Options(d.message, Dhcp6Option.StatusCode)).toHaveLength(1);
  });
});
