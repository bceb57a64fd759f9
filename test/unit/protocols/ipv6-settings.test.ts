/** The [ipv6] lifetime keys and the per-binding DOMAIN reach RAs and DHCPv6 replies. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/config.js';
import { respondInformationRequest } from '../../../src/protocols/dhcp6.js';
import { buildRouterAdvertisement, searchDomains } from '../../../src/protocols/router-advert.js';
import { getDhcp6Option } from '../../../src/wire/dhcp6.js';
import { binding6, ipv6Settings, SERVER_MAC, VM_LL, VM_MAC } from './ipv6-helpers.js';
import { ip6, mac48 } from '../wire/helpers.js';

describe('IPv6 settings', () => {
  it('uses configured prefix and router lifetimes', () => {
    const s = parseConfig('[ipv6]\nvalid_lifetime = 7200\npreferred_lifetime = 3600\nrouter_lifetime = 1800\n').ipv6;
    const ra = buildRouterAdvertisement(binding6(), s, SERVER_MAC);
    if (ra.kind !== 'ra') throw new Error('no RA');
    expect(ra.message.routerLifetime).toBe(1800);
    const pio = ra.message.options.find((o) => o.kind === 'prefix');
    expect(pio).toMatchObject({ validLifetime: 7200, preferredLifetime: 3600 });
  });

  it('refuses inconsistent lifetimes with the key named', () => {
    expect(() => parseConfig('[ipv6]\nvalid_lifetime = 100\npreferred_lifetime = 200\n')).toThrow(/preferred_lifetime/);
    expect(() => parseConfig('[ipv6]\nra_period = 600\nrouter_lifetime = 60\n')).toThrow(/router_lifetime/);
  });

  it("puts the binding's DOMAIN first in DNSSL and DHCPv6 option 24, without duplicates", () => {
    const s = ipv6Settings({ domains: ['example.test', 'vm.example'] });
    const b = binding6({ domain: 'vm.example' });
    expect(searchDomains(b, s)).toEqual(['vm.example', 'example.test']);
    const ra = buildRouterAdvertisement(b, s, SERVER_MAC);
    if (ra.kind !== 'ra') throw new Error('no RA');
    expect(ra.message.options.find((o) => o.kind === 'dnssl')).toMatchObject({ domains: ['vm.example', 'example.test'] });
    const d = respondInformationRequest(
      { msgType: 11, transactionId: 7, options: [] },
      { srcMac: mac48(VM_MAC), src: ip6(VM_LL), dst: ip6('ff02::1:2'), hopLimit: 1, srcPort: 546 },
      b,
      { ...s, informationRefreshTime: 3600 },
      Uint8Array.of(0, 3, 0, 1, 2, 0, 0, 0, 0, 1),
      SERVER_MAC,
    );
    if (d.kind !== 'reply') throw new Error(d.reason);
    expect(getDhcp6Option(d.reply.message, 32)).toEqual(Uint8Array.of(0, 0, 0x0e, 0x10));
    expect(getDhcp6Option(d.reply.message, 24)).toEqual(Uint8Array.from([2, ...Buffer.from('vm'), 7, ...Buffer.from('example'), 0, 7, ...Buffer.from('example'), 4, ...Buffer.from('test'), 0]));
  });
});
