/**
 * The stateful responder on real clients' Solicits (test/fixtures:
 * dhclient -6 -N, dhcpcd with ia_na + ia_pd), through the frame decoder
 * and respondDhcp6, as the packet path runs them.
 */
import { describe, expect, it } from 'vitest';
import { dhcp6ReplyFrame } from '../../../src/protocols/dhcp6-frame.js';
import { makeServerDuid, respondDhcp6, type Dhcp6Decision } from '../../../src/protocols/dhcp6.js';
import { getDhcp6Option } from '../../../src/wire/dhcp6.js';
import { iaAddresses, iaPrefixes, identityAssociations } from '../../../src/wire/dhcp6-ia.js';
import { decodeDhcp6Frame } from '../../../src/wire/frame6.js';
import { formatIpv6Address } from '../../../src/wire/ipv6-address.js';
import { fixtureFrame } from '../../helpers/pcap.js';
import { SERVER_MAC, binding6, ipv6Settings } from './ipv6-helpers.js';

const SERVER_DUID = makeServerDuid('02:00:00:00:00:01');
const b = binding6({ mode6: 'dhcpv6', ip6: '2001:db8:10::77', prefix6: { network: '2001:db8:100::', prefixLength: 56 } });

function answer(name: string, binding = b): Dhcp6Decision {
  const f = decodeDhcp6Frame(fixtureFrame(name));
  if (!f.ok) throw new Error(f.error.toString());
  return respondDhcp6(f.value.message, { ...f.value.frame, srcPort: f.value.srcPort }, binding, ipv6Settings(), SERVER_DUID, SERVER_MAC);
}

function advertise(d: Dhcp6Decision) {
  if (d.kind !== 'reply') throw new Error(`expected a reply, got ${JSON.stringify(d)}`);
  const f = dhcp6ReplyFrame(d.reply, SERVER_MAC);
  if (!f.ok) throw new Error(f.error);
  const back = decodeDhcp6Frame(f.frame);
  if (!back.ok) throw new Error(back.error.toString());
  return back.value.message;
}

describe('stateful DHCPv6 on captured Solicits', () => {
  it('dhclient -6 -N: Advertise with IP6 in its IA_NA (IAID 0x00000010 echoed), its DUID-LLT echoed, DNS as asked', () => {
    const m = advertise(answer('dhclient6-solicit-na.pcap'));
    expect(m.msgType).toBe(2);
    expect(Buffer.from(getDhcp6Option(m, 1)!).toString('hex')).toBe('0001000132a9a550aa0000000010');
    const { ias } = identityAssociations(m.options);
    expect(ias.map((ia) => [ia.code, ia.iaid])).toEqual([[3, 0x10]]);
    expect(iaAddresses(ias[0]!).map((a) => formatIpv6Address(a.address))).toEqual(['2001:db8:10::77']);
    expect(getDhcp6Option(m, 23)).toBeDefined();
  });

  it('dhcpcd ia_na + ia_pd: both in one Advertise; without IP6 the EUI64, without PREFIX6 NoPrefixAvail', () => {
    const m = advertise(answer('dhcpcd6-solicit-na-pd.pcap'));
    const { ias } = identityAssociations(m.options);
    expect(ias.map((ia) => [ia.code, ia.iaid])).toEqual([[3, 1], [25, 2]]);
    expect(iaPrefixes(ias[1]!).map((p) => `${formatIpv6Address(p.prefix)}/${p.prefixLength}`)).toEqual(['2001:db8:100::/56']);
    const plain = identityAssociations(advertise(answer('dhcpcd6-solicit-na-pd.pcap', binding6({ mode6: 'dhcpv6' }))).options).ias;
    expect(iaAddresses(plain[0]!).map((a) => formatIpv6Address(a.address))).toEqual(['2001:db8:10:0:a800:ff:fe00:10']);
    expect(getDhcp6Option(plain[1]!, 13)?.[1]).toBe(6);
  });

  it('in the default mode (slaac+dhcpv6) the same Solicits are counted and not answered', () => {
    expect(answer('dhclient6-solicit-na.pcap', binding6())).toMatchObject({ kind: 'drop', reason: 'stateful-not-offered' });
  });
});
