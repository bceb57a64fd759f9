import { describe, expect, it } from 'vitest';
import { dhcp6ReplyFrame } from '../../../src/protocols/dhcp6-frame.js';
import {
  DEFAULT_INFORMATION_REFRESH_TIME,
  makeServerDuid,
  refreshTime,
  respondInformationRequest,
  type Dhcp6Decision,
  type Dhcp6FrameMeta,
} from '../../../src/protocols/dhcp6.js';
import { dnsServersOption, domainListOption } from '../../../src/wire/dhcp6-options.js';
import { Dhcp6Option, clientIdentifier, getDhcp6Option, informationRefreshTime, type Dhcp6Message } from '../../../src/wire/dhcp6.js';
import { decodeDhcp6Frame } from '../../../src/wire/frame6.js';
import { fixtureFrame } from '../../helpers/pcap.js';
import { IR_FRAME, REPLY_FRAME } from '../wire/ipv6-golden.js';
import { decodedAddresses, hex } from '../wire/helpers.js';
import { ROUTER_LL, SERVER_MAC, VM_LL, VM_MAC, binding6, ipv6Settings, meta } from './ipv6-helpers.js';

const SERVER_DUID = makeServerDuid('02:00:00:00:00:01');
const CLIENT_DUID = hex`00 03 00 01 aa 00 00 00 00 10`;

function ir(options: Array<[number, Uint8Array]> = [[1, CLIENT_DUID]], msgType = 11): Dhcp6Message {
  return { msgType, transactionId: 0xabcdef, options: [...options, [6, hex`00 17 00 18`], [8, hex`00 00`]] };
}
const irMeta = ({ srcMac, src, ...over }: Partial<Omit<Dhcp6FrameMeta, 'srcMac' | 'src'>> & { srcMac?: string; src?: string } = {}): Dhcp6FrameMeta => ({
  ...meta({ dst: 'ff02::1:2', hopLimit: 1, srcMac, src }),
  srcPort: 546,
  ...over,
});

function reply(d: Dhcp6Decision) {
  if (d.kind !== 'reply') throw new Error(`expected a reply, got ${JSON.stringify(d)}`);
  return d.reply;
}

describe('stateless DHCPv6 responder', () => {
  const b = binding6();
  const s = ipv6Settings();

  it('answers the scapy Information-Request with the scapy Reply, byte for byte', () => {
    const d = decodeDhcp6Frame(IR_FRAME);
    if (!d.ok) throw new Error(d.error.toString());
    const r = reply(
      respondInformationRequest(d.value.message, { ...d.value.frame, srcPort: d.value.srcPort }, b, s, SERVER_DUID, SERVER_MAC),
    );
    const f = dhcp6ReplyFrame(r, SERVER_MAC);
    if (!f.ok) throw new Error(f.error);
    expect(f.frame).toEqual(REPLY_FRAME);
    // The same bytes when built in the packet path's reused buffer, whatever it held.
    const scratch = new Uint8Array(64 * 1024).fill(0xee);
    const g = dhcp6ReplyFrame(r, SERVER_MAC, scratch);
    if (!g.ok) throw new Error(g.error);
    expect(g.frame.buffer).toBe(scratch.buffer);
    expect(new Uint8Array(g.frame)).toEqual(new Uint8Array(REPLY_FRAME));
  });

  it('Reply: same transaction id, client id echoed, our server id, DNS, domains, refresh time; 547 → source port', () => {
    const d = respondInformationRequest(ir(), irMeta(), b, s, SERVER_DUID, SERVER_MAC);
    expect(d.request).toBe(11);
    const r = reply(d);
    expect(r).toMatchObject(decodedAddresses({ srcIp: ROUTER_LL, dstIp: VM_LL, dstMac: VM_MAC, srcPort: 547, dstPort: 546 }));
    expect(r.message).toEqual({
      msgType: 7,
      transactionId: 0xabcdef,
      options: [
        [Dhcp6Option.ClientId, CLIENT_DUID],
        [Dhcp6Option.ServerId, SERVER_DUID],
        [Dhcp6Option.DnsServers, dnsServersOption.encode(['2001:db8::53'])],
        [Dhcp6Option.DomainList, domainListOption.encode(['example.test'])],
        [Dhcp6Option.InformationRefreshTime, hex`00 01 51 80`],
      ],
    });
  });

  it('answers an Information-Request without client id (optional, RFC 8415 §18.2.6), and echoes none', () => {
    const r = reply(respondInformationRequest(ir([]), irMeta(), b, s, SERVER_DUID, SERVER_MAC));
    expect(clientIdentifier(r.message)).toBeUndefined();
    expect(getDhcp6Option(r.message, Dhcp6Option.ServerId)).toEqual(SERVER_DUID);
  });

  it('answers an Information-Request that names us as server', () => {
    expect(respondInformationRequest(ir([[1, CLIENT_DUID], [2, SERVER_DUID]]), irMeta(), b, s, SERVER_DUID, SERVER_MAC).kind).toBe('reply');
  });

  it('replies to the request’s source address and port, at the frame’s source MAC, whatever the address looks like', () => {
    const m = irMeta({ src: 'fe80::1c2b:7a9e:4d3f:8a61', srcMac: '52:54:00:9a:bc:de', srcPort: 40000 });
    expect(reply(respondInformationRequest(ir(), m, binding6({ mac: '52:54:00:9a:bc:de' }), s, SERVER_DUID, SERVER_MAC))).toMatchObject(decodedAddresses({
      dstIp: 'fe80::1c2b:7a9e:4d3f:8a61',
      dstMac: '52:54:00:9a:bc:de',
      dstPort: 40000,
    }));
  });

  it('DNS from the binding’s DNS6 when set; options 23/24 left out when empty', () => {
    const r = reply(respondInformationRequest(ir(), irMeta(), binding6({ dns6: ['2001:db8::1:53'] }), s, SERVER_DUID, SERVER_MAC));
    expect(dnsServersOption.decode(getDhcp6Option(r.message, 23)!)).toEqual({ ok: true, value: ['2001:db8::1:53'] });
    const bare = reply(respondInformationRequest(ir(), irMeta(), b, ipv6Settings({ nameservers: [], domains: [] }), SERVER_DUID, SERVER_MAC));
    expect(bare.message.options.map(([c]) => c)).toEqual([1, 2, 32]);
    // The same binding under other settings again (a reload back): the options follow the settings, not a cache.
    const again = reply(respondInformationRequest(ir(), irMeta(), b, s, SERVER_DUID, SERVER_MAC));
    expect(again.message.options.map(([c]) => c)).toEqual([1, 2, 23, 24, 32]);
  });

  it('information refresh time: default 86400, configurable, never below 600 (RFC 8415 §7.6 IRT_MINIMUM)', () => {
    const irt = (v: number | undefined) =>
      informationRefreshTime(reply(respondInformationRequest(ir(), irMeta(), b, s, SERVER_DUID, SERVER_MAC, { informationRefreshTime: v })).message);
    expect(irt(undefined)).toBe(DEFAULT_INFORMATION_REFRESH_TIME);
    expect(irt(3600)).toBe(3600);
    expect(irt(100)).toBe(600);
    expect(irt(0xffffffff)).toBe(0xffffffff);
    expect(refreshTime(NaN)).toBe(86400);
    expect(refreshTime(1e12)).toBe(0xffffffff);
    expect(refreshTime(700.9)).toBe(700);
  });

  it.each([
    ['an IA_NA (RFC 8415 §16.12)', ir([[1, CLIENT_DUID], [3, new Uint8Array(12)]]), 'ia-in-information-request'],
    ['an IA_TA', ir([[4, new Uint8Array(4)]]), 'ia-in-information-request'],
    ['an IA_PD', ir([[25, new Uint8Array(12)]]), 'ia-in-information-request'],
    ['another server’s id', ir([[1, CLIENT_DUID], [2, makeServerDuid('02:00:00:00:00:02')]]), 'other-server'],
    ['our id and another server’s', ir([[2, SERVER_DUID], [2, hex`00 02 00 00 00 09 01`]]), 'other-server'],
    ['a Solicit', ir(undefined, 1), 'stateful-not-offered'],
    ['a Request', ir(undefined, 3), 'stateful-not-offered'],
    ['a Confirm', ir(undefined, 4), 'stateful-not-offered'],
    ['a Renew', ir(undefined, 5), 'stateful-not-offered'],
    ['a Rebind', ir(undefined, 6), 'stateful-not-offered'],
    ['a Release', ir(undefined, 8), 'stateful-not-offered'],
    ['a Decline', ir(undefined, 9), 'stateful-not-offered'],
    ['an Advertise', ir(undefined, 2), 'not-a-request'],
    ['a Reply', ir(undefined, 7), 'not-a-request'],
    ['a Reconfigure', ir(undefined, 10), 'not-a-request'],
    ['an unknown type', ir(undefined, 99), 'unexpected-message-type'],
  ])('drops a message with %s', (_name, msg, reason) => {
    expect(respondInformationRequest(msg, irMeta(), b, s, SERVER_DUID, SERVER_MAC)).toEqual({ kind: 'drop', reason, request: msg.msgType });
  });

  it.each([
    ['DHCPv6 disabled', ipv6Settings({ enableDhcpv6: false })],
    ['mode slaac', ipv6Settings({ mode: 'slaac' })],
    ['IPv6 disabled', ipv6Settings({ enable: false })],
  ])('drops everything when %s', (_name, set) => {
    expect(respondInformationRequest(ir(), irMeta(), b, set, SERVER_DUID, SERVER_MAC)).toEqual({ kind: 'drop', reason: 'dhcpv6-disabled', request: 11 });
  });

  it.each(['::', 'ff02::1', 'nope'])('drops a request from %j (nowhere to reply)', (src) => {
    expect(respondInformationRequest(ir(), irMeta({ src }), b, s, SERVER_DUID, SERVER_MAC)).toEqual({ kind: 'drop', reason: 'bad-source', request: 11 });
  });

  it('the server DUID is a DUID-LL of the given MAC, the same every time', () => {
    expect(makeServerDuid('02:00:00:00:00:01')).toEqual(hex`00 03 00 01 02 00 00 00 00 01`);
    expect(makeServerDuid('02:00:00:00:00:01')).toEqual(SERVER_DUID);
  });

  it('frames: checksummed UDP/IPv6, hop limit 64; bad values reported, not thrown', () => {
    const r = reply(respondInformationRequest(ir(), irMeta(), b, s, SERVER_DUID, SERVER_MAC));
    const f = dhcp6ReplyFrame(r, SERVER_MAC);
    if (!f.ok) throw new Error(f.error);
    const back = decodeDhcp6Frame(f.frame);
    if (!back.ok) throw new Error(back.error.toString());
    expect(back.value.frame).toMatchObject(decodedAddresses({ srcMac: SERVER_MAC, dstMac: VM_MAC, src: ROUTER_LL, dst: VM_LL, hopLimit: 64 }));
    expect(back.value).toMatchObject({ srcPort: 547, dstPort: 546 });
    expect(back.value.message).toEqual(r.message);
    expect(dhcp6ReplyFrame(r, 'bad')).toMatchObject({ ok: false, error: expect.stringMatching(/bad-mac/) });
    expect(dhcp6ReplyFrame({ ...r, dstIp: 'nope' }, SERVER_MAC)).toMatchObject({ ok: false, error: expect.stringMatching(/bad-address/) });
  });
});

describe('Information-Request captured from dhclient -6 -S (test/fixtures)', () => {
  for (const [name, verifyChecksum] of [
    ['dhclient6-information-request.pcap', true],
    ['dhclient6-information-request-csum-partial.pcap', false],
  ] as const) {
    it(`${name}: decodes (checksum ${verifyChecksum ? 'verified' : 'skipped: TP_STATUS_CSUMNOTREADY'}) and gets a Reply`, () => {
      const d = decodeDhcp6Frame(fixtureFrame(name), { verifyChecksum });
      if (!d.ok) throw new Error(d.error.toString());
      const { frame, srcPort, dstPort, message } = d.value;
      expect(frame).toMatchObject(decodedAddresses({ srcMac: VM_MAC, src: VM_LL, dst: 'ff02::1:2', hopLimit: 1 }));
      expect([srcPort, dstPort]).toEqual([546, 547]);
      expect(message.msgType).toBe(11);
      expect(clientIdentifier(message)).toEqual(CLIENT_DUID); // dhclient sends DUID-LL of its MAC
      const r = reply(respondInformationRequest(message, { ...frame, srcPort }, binding6(), ipv6Settings(), SERVER_DUID, SERVER_MAC));
      expect(r.message.transactionId).toBe(message.transactionId);
      expect(clientIdentifier(r.message)).toEqual(CLIENT_DUID);
      expect(r).toMatchObject(decodedAddresses({ dstIp: VM_LL, dstMac: VM_MAC, dstPort: 546 }));
      const f = dhcp6ReplyFrame(r, SERVER_MAC);
      expect(f.ok && decodeDhcp6Frame(f.frame).ok).toBe(true);
    });
  }

  it('the partial-checksum capture fails verification (as it must without TP_STATUS_CSUMNOTREADY)', () => {
    const d = decodeDhcp6Frame(fixtureFrame('dhclient6-information-request-csum-partial.pcap'));
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.error.reason).toBe('bad-checksum');
  });
});
