/**
 * Issue 11, defect 8: the list limits of protocols/reply-limits.ts are chosen
 * so that the replies still fit. Every list at its limit, through the real
 * parsers, responders and frame encoders: the RA and the DHCPv6 Reply fit
 * the IPv6 minimum MTU, and a DHCPv4 reply to a Windows client (routes in
 * both 121 and 249) keeps every list within 576 octets.
 */
import { describe, expect, it } from 'vitest';
import { parseBindingFile } from '../../../src/bindings/binding-file.js';
import { parseConfig } from '../../../src/config/config.js';
import { respondDhcp4 } from '../../../src/protocols/dhcp4.js';
import { dhcp4ReplyFrame } from '../../../src/protocols/dhcp4-frame.js';
import { respondInformationRequest } from '../../../src/protocols/dhcp6.js';
import { dhcp6ReplyFrame } from '../../../src/protocols/dhcp6-frame.js';
import { ndpReplyFrame } from '../../../src/protocols/ndp-frame.js';
import { MAX_DNS4_SERVERS, MAX_DNS6_SERVERS, MAX_ROUTES, MAX_SEARCH_LIST_OCTETS, searchListOctets } from '../../../src/protocols/reply-limits.js';
import { unsolicitedRouterAdvertisement } from '../../../src/protocols/router-advert.js';
import { decodeDhcp4 } from '../../../src/wire/dhcp4.js';
import { DUID_MAX_LENGTH } from '../../../src/wire/duid.js';
import { dhcp4Decoded, ip6, mac48 } from '../wire/helpers.js';

const VM_MAC = 'aa:00:00:00:00:10';
const SERVER_MAC = 'fe:00:00:00:00:01';
const v4 = (n: number) => Array.from({ length: n }, (_, i) => `198.51.100.${i + 1}`).join(',');
const v6 = (n: number) => Array.from({ length: n }, (_, i) => `2001:db8:ffff::${(i + 1).toString(16)}`).join(',');
/** Host routes: 9 octets each in options 121/249, the most a route takes (RFC 3442). */
const routes = (n: number, net: number) => Array.from({ length: n }, (_, i) => `${net}.${i}.0.1/32 via 203.0.113.1`).join(', ');
/** A 253-character name (255 octets encoded, the most one name can be). */
const LONGEST_NAME = ['a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63), 'd'.repeat(61)].join('.');
/** Search domains of exactly MAX_SEARCH_LIST_OCTETS octets. */
function searchList(): string[] {
  const names: string[] = [];
  let used = 0;
  for (let i = 0; used + 14 <= MAX_SEARCH_LIST_OCTETS; i++, used += 14) names.push(`d${String(i).padStart(3, '0')}.example`);
  const rest = MAX_SEARCH_LIST_OCTETS - used; // one more name of `rest` octets: label of rest - 2
  if (rest >= 3) names.push('x'.repeat(rest - 2));
  expect(searchListOctets(names)).toBe(MAX_SEARCH_LIST_OCTETS);
  return names;
}

const settings = parseConfig(
  `[dhcp]\nnameservers = ${v4(MAX_DNS4_SERVERS)}\nroutes = ${routes(MAX_ROUTES, 10)}\n` +
    `[ipv6]\nnameservers = ${v6(MAX_DNS6_SERVERS)}\ndomains = ${searchList().join(' ')}\n`,
);

function binding(extra: string) {
  const r = parseBindingFile(
    'tap10',
    `MAC=${VM_MAC}\nIP=203.0.113.10\nSUBNET=203.0.113.0/24\nGATEWAY=203.0.113.1\nMTU=1500\nSUBNET6=2001:db8:10::/64\n` +
      `DNS=${v4(MAX_DNS4_SERVERS)}\nDNS6=${v6(MAX_DNS6_SERVERS)}\nROUTES='${routes(MAX_ROUTES, 172)}'\n${extra}`,
  );
  if (!r.ok) throw new Error(r.error.message);
  return r.binding;
}

describe('reply limits: every list at its limit still fits its reply', () => {
  it('the limits are what the wire formats allow (RDNSS would take 127)', () => {
    expect([MAX_DNS4_SERVERS, MAX_DNS6_SERVERS, MAX_ROUTES, MAX_SEARCH_LIST_OCTETS]).toEqual([28, 27, 6, 256]);
  });

  it('RA: within 1280 octets with the longest DOMAIN in front of the search list', () => {
    const d = unsolicitedRouterAdvertisement(binding(`DOMAIN=${LONGEST_NAME}\n`), settings.ipv6, SERVER_MAC);
    if (d.kind !== 'reply') throw new Error(d.reason);
    const f = ndpReplyFrame(d.reply, SERVER_MAC);
    if (!f.ok) throw new Error(f.error);
    expect(f.frame.length - 14).toBeLessThanOrEqual(1280);
  });

  it('DHCPv6 Reply: within 1280 octets, client and server DUIDs of the largest size', () => {
    const clientDuid = new Uint8Array(DUID_MAX_LENGTH).fill(0xaa);
    clientDuid.set([0, 4]); // DUID-UUID type, then filler
    const serverDuid = new Uint8Array(DUID_MAX_LENGTH).fill(0xbb);
    serverDuid.set([0, 2]);
    const d = respondInformationRequest(
      { msgType: 11, transactionId: 0x123456, options: [[1, clientDuid], [6, Uint8Array.of(0, 23, 0, 24)]] },
      { srcMac: mac48(VM_MAC), src: ip6('fe80::a800:ff:fe00:10'), dst: ip6('ff02::1:2'), hopLimit: 1, srcPort: 546 },
      binding(`DOMAIN=${LONGEST_NAME}\n`),
      settings.ipv6,
      serverDuid,
      SERVER_MAC,
    );
    if (d.kind !== 'reply') throw new Error(d.reason);
    expect(d.reply.message.options.map(([c]) => c)).toEqual(expect.arrayContaining([23, 24]));
    const f = dhcp6ReplyFrame(d.reply, SERVER_MAC);
    if (!f.ok) throw new Error(f.error);
    expect(f.frame.length - 14).toBeLessThanOrEqual(1280);
  });

  it('DHCPv4: a 576-octet OFFER to Windows carries both route options, the DNS list, mask, router, broadcast and MTU', () => {
    const request = {
      op: 1, htype: 1, hlen: 6, hops: 0, xid: 7, secs: 0, flags: 0, ciaddr: '0.0.0.0', yiaddr: '0.0.0.0', siaddr: '0.0.0.0',
      giaddr: '0.0.0.0', chaddr: VM_MAC, sname: '', file: '',
      options: [
        [53, Uint8Array.of(1)],
        [61, Uint8Array.of(1, 0xaa, 0, 0, 0, 0, 0x10)],
        [60, new TextEncoder().encode('MSFT 5.0')],
        [55, Uint8Array.of(1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252)],
      ],
    } as const;
    const d = respondDhcp4(dhcp4Decoded(structuredClone(request) as never), binding('HOSTNAME=vm10\n'), settings.dhcp, mac48(VM_MAC));
    if (d.kind !== 'reply') throw new Error(JSON.stringify(d));
    const f = dhcp4ReplyFrame(d.reply, SERVER_MAC);
    if (!f.ok) throw new Error(f.error);
    expect(f.frame.length - 14).toBeLessThanOrEqual(576);
    const m = decodeDhcp4(f.frame.subarray(14 + 28));
    if (!m.ok) throw new Error(m.error.toString());
    const codes = m.value.options.map(([c]) => c);
    expect(codes).toEqual(expect.arrayContaining([1, 3, 6, 26, 28, 121, 249]));
    const routes121 = m.value.options.find(([c]) => c === 121)![1];
    expect(routes121.length).toBe(2 * MAX_ROUTES * 9 + 7 + 5); // every route: the host routes, and 169.254.0.0/16 and the default added
  });
});
