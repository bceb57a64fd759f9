/**
 * respondDhcp6: the stateful answers in mode `dhcpv6` framed like the
 * Information-Request Reply (router link-local → the request's source),
 * with the configuration options the ORO asks for and no Information
 * Refresh Time (§21.23); other modes keep today's answers.
 */
import { describe, expect, it } from 'vitest';
import { dhcp6ReplyFrame } from '../../../src/protocols/dhcp6-frame.js';
import { makeServerDuid, respondDhcp6, type Dhcp6Decision, type Dhcp6FrameMeta } from '../../../src/protocols/dhcp6.js';
import { encodeIa } from '../../../src/wire/dhcp6-ia.js';
import { decodeDhcp6Frame } from '../../../src/wire/frame6.js';
import { formatIpv6Address } from '../../../src/wire/ipv6-address.js';
import { hex } from '../wire/helpers.js';
import { ROUTER_LL, SERVER_MAC, VM_LL, binding6, ipv6Settings, meta } from './ipv6-helpers.js';

const SERVER_DUID = makeServerDuid('02:00:00:00:00:01');
const solicit = {
  msgType: 1, transactionId: 0x010203,
  options: [[1, hex`00030001aa0000000010`], [6, hex`0017 0018`], [3, encodeIa({ code: 3, iaid: 9, t1: 0, t2: 0, options: [] })]] as Array<[number, Uint8Array]>,
};
const m: Dhcp6FrameMeta = { ...meta({ dst: 'ff02::1:2', hopLimit: 1 }), srcPort: 546 };

function reply(d: Dhcp6Decision) {
  if (d.kind !== 'reply') throw new Error(`expected a reply, got ${JSON.stringify(d)}`);
  return d.reply;
}

describe('DHCPv6 dispatch by mode', () => {
  it('mode dhcpv6: Solicit → Advertise from the router link-local to the client, DNS/domains as asked, no refresh time', () => {
    const r = reply(respondDhcp6(solicit, m, binding6({ mode6: 'dhcpv6' }), ipv6Settings(), SERVER_DUID, SERVER_MAC));
    expect(r.message.msgType).toBe(2);
    expect(r.message.options.map(([c]) => c)).toEqual([1, 2, 7, 3, 23, 24]);
    expect(formatIpv6Address(r.srcIp as Uint8Array)).toBe(ROUTER_LL);
    expect(formatIpv6Address(r.dstIp as Uint8Array)).toBe(VM_LL);
    expect([r.srcPort, r.dstPort]).toEqual([547, 546]);
    const f = dhcp6ReplyFrame(r, SERVER_MAC);
    if (!f.ok) throw new Error(f.error);
    const back = decodeDhcp6Frame(f.frame);
    expect(back.ok && back.value.message.msgType).toBe(2);
  });

  it('other modes: Solicit is not answered; Information-Request is answered in slaac+dhcpv6 and dhcpv6 only', () => {
    const ir = { msgType: 11, transactionId: 1, options: [[1, hex`00030001aa0000000010`]] as Array<[number, Uint8Array]> };
    for (const mode of ['slaac+dhcpv6', 'slaac', 'none'] as const) {
      expect(respondDhcp6(solicit, m, binding6({ mode6: mode }), ipv6Settings({ mode: 'dhcpv6' }), SERVER_DUID, SERVER_MAC)).toMatchObject({
        kind: 'drop', reason: mode === 'slaac+dhcpv6' ? 'stateful-not-offered' : 'dhcpv6-disabled',
      });
    }
    for (const mode of ['slaac+dhcpv6', 'dhcpv6'] as const) expect(respondDhcp6(ir, m, binding6({ mode6: mode }), ipv6Settings(), SERVER_DUID, SERVER_MAC).kind).toBe('reply');
    for (const mode of ['slaac', 'none'] as const) {
      expect(respondDhcp6(ir, m, binding6(), ipv6Settings({ mode }), SERVER_DUID, SERVER_MAC)).toMatchObject({ reason: 'dhcpv6-disabled' });
    }
  });

  it('a Decline hands its addresses to the caller for the log', () => {
    const decline = { msgType: 9, transactionId: 2, options: [[1, hex`00030001aa0000000010`], [2, SERVER_DUID], [3, encodeIa({ code: 3, iaid: 9, t1: 0, t2: 0, options: [] })]] as Array<[number, Uint8Array]> };
    const d = respondDhcp6(decline, m, binding6({ mode6: 'dhcpv6' }), ipv6Settings(), SERVER_DUID, SERVER_MAC);
    expect(d.kind === 'reply' && d.declined).toEqual([]);
  });
});
