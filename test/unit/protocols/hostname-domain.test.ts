/**
 * nfdhcpd drop-in (issue 16, item 8): with neither `[dhcp] domain` nor
 * `[ipv6] domains` (nor DOMAIN=), nfdhcpd sent HOSTNAME's domain part as
 * DHCPv4 option 15 and as the DHCPv6 domain list (option 24); so does
 * onlinkd. A configured domain still wins; a dotless hostname gives none.
 */
import { describe, expect, it } from 'vitest';
import { defaultSettings } from '../../../src/config/config.js';
import { respondDhcp4 } from '../../../src/protocols/dhcp4.js';
import { makeServerDuid, respondInformationRequest } from '../../../src/protocols/dhcp6.js';
import { hostnameDomain } from '../../../src/util/domain.js';
import { domainListOption } from '../../../src/wire/dhcp6-options.js';
import { Dhcp6Option, getDhcp6Option, type Dhcp6Message } from '../../../src/wire/dhcp6.js';
import type { Dhcp4Message } from '../../../src/wire/dhcp4-types.js';
import { testBinding } from '../../helpers/binding.js';
import { dhcp4Decoded, hex, mac48 } from '../wire/helpers.js';
import { SERVER_MAC, binding6, ipv6Settings, meta } from './ipv6-helpers.js';

const MAC = 'aa:00:00:00:00:10';

function discover(): Dhcp4Message {
  return dhcp4Decoded({
    op: 1, htype: 1, hlen: 6, hops: 0, xid: 0x12345678, secs: 0, flags: 0,
    ciaddr: '0.0.0.0', yiaddr: '0.0.0.0', siaddr: '0.0.0.0', giaddr: '0.0.0.0',
    chaddr: MAC, sname: '', file: '', options: [[53, Uint8Array.of(1)], [55, Uint8Array.of(1, 3, 6, 12, 15)]],
  });
}

function option15(hostname: string | undefined, domain: string | undefined, bindingDomain?: string): string | undefined {
  const d = respondDhcp4(discover(), testBinding({ hostname, ...(bindingDomain ? { domain: bindingDomain } : {}) }), { ...defaultSettings().dhcp, domain }, mac48(MAC));
  if (d.kind !== 'reply') throw new Error(`expected a reply, got ${d.kind}`);
  const v = d.reply.message.options.find(([c]) => c === 15)?.[1];
  return v === undefined ? undefined : Buffer.from(v).toString('latin1');
}

function option24(hostname: string | undefined, domains: string[]): Uint8Array | undefined {
  const ir: Dhcp6Message = { msgType: 11, transactionId: 1, options: [[1, hex`00 03 00 01 aa 00 00 00 00 10`], [6, hex`00 17 00 18`]] };
  const d = respondInformationRequest(ir, { ...meta({ dst: 'ff02::1:2', hopLimit: 1 }), srcPort: 546 }, binding6({ hostname }), ipv6Settings({ domains }), makeServerDuid(SERVER_MAC), SERVER_MAC);
  if (d.kind !== 'reply') throw new Error(`expected a reply, got ${d.kind}`);
  return getDhcp6Option(d.reply.message, Dhcp6Option.DomainList);
}

describe("HOSTNAME's domain when no domain is configured (nfdhcpd)", () => {
  it('hostnameDomain: the part after the first dot, or none', () => {
    expect(hostnameDomain('vm1.prod.example.org')).toBe('prod.example.org');
    expect(hostnameDomain('vm1.example.org.')).toBe('example.org');
    expect(hostnameDomain('vm1')).toBeUndefined();
    expect(hostnameDomain('vm1.')).toBeUndefined();
    expect(hostnameDomain('vm1.bad..name')).toBeUndefined();
    expect(hostnameDomain(undefined)).toBeUndefined();
  });

  it('DHCPv4 option 15: [dhcp] domain, else DOMAIN=, else the hostname domain', () => {
    expect(option15('vm1.example.org', undefined)).toBe('example.org');
    expect(option15('vm1.example.org', 'site.test')).toBe('site.test');
    expect(option15('vm1.example.org', undefined, 'bind.test')).toBe('bind.test');
    expect(option15('vm1', undefined)).toBeUndefined();
    expect(option15(undefined, undefined)).toBeUndefined();
  });

  it('DHCPv6 option 24: [ipv6] domains, else the hostname domain', () => {
    expect(option24('vm1.example.org', [])).toEqual(domainListOption.encode(['example.org']));
    expect(option24('vm1.example.org', ['site.test'])).toEqual(domainListOption.encode(['site.test']));
    expect(option24('vm1', [])).toBeUndefined();
  });
});
