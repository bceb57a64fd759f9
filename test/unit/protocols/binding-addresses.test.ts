import { describe, expect, it } from 'vitest';
import { bindingAddresses } from '../../../src/protocols/binding-addresses.js';
import { formatMac48, ipv4ToNumber, numberToIpv4, parseMac48, prefixMask } from '../../../src/wire/addr.js';
import { formatIpv6Address } from '../../../src/wire/ipv6-address.js';
import { testBinding } from '../../helpers/binding.js';

describe('bindingAddresses', () => {
  it("derives SUBNET and SUBNET6 in numeric form, and they format back to the binding's text", () => {
    const b = testBinding({ subnet: { network: '198.51.100.0', prefixLength: 25 }, subnet6: { network: '2001:db8:10::', prefixLength: 64 } });
    const a = bindingAddresses(b);
    expect(a.subnet).toEqual({ network: ipv4ToNumber('198.51.100.0'), mask: prefixMask(25), prefixLength: 25 });
    expect(formatIpv6Address(a.subnet6!.network)).toBe('2001:db8:10::');
    expect(a.subnet6!.prefixLength).toBe(64);
  });

  it('has nothing for what the binding does not say', () => {
    const b = testBinding({ ip: undefined, gateway: undefined, subnet: undefined, subnet6: undefined });
    expect(bindingAddresses(b)).toEqual({ mac: parseMac48(b.mac), ip: undefined, gateway: undefined, subnet: undefined, subnet6: undefined });
  });

  it("derives MAC, IP and GATEWAY as numbers that format back to the binding's text", () => {
    const b = testBinding();
    const a = bindingAddresses(b);
    expect(formatMac48(a.mac)).toBe(b.mac);
    expect(numberToIpv4(a.ip!)).toBe(b.ip);
    expect(numberToIpv4(a.gateway!)).toBe(b.gateway);
  });

  it('derives once per binding object: the same forms until the binding is replaced', () => {
    const b = testBinding();
    expect(bindingAddresses(b)).toBe(bindingAddresses(b));
    const replaced = testBinding({ subnet: { network: '203.0.113.128', prefixLength: 25 } });
    expect(bindingAddresses(replaced).subnet!.network).toBe(ipv4ToNumber('203.0.113.128'));
  });

  it('derives EUI64, GATEWAY6 and SUBNET6 as octets that format back to the text, SUBNET6 masked with its prefix text', () => {
    const b = testBinding({ subnet6: { network: '2001:db8:10::1', prefixLength: 64 }, eui64: '2001:db8:10:0:a800:ff:fe00:10', gateway6: 'fe80::1' });
    const a = bindingAddresses(b);
    expect(formatIpv6Address(a.eui64!)).toBe('2001:db8:10:0:a800:ff:fe00:10');
    expect(formatIpv6Address(a.gateway6!)).toBe('fe80::1');
    // A hand-made binding may say a host address: the RA's prefix is the network (the schema stores it masked).
    expect(formatIpv6Address(a.subnet6!.network)).toBe('2001:db8:10::');
    expect(a.subnet6!.prefix).toBe('2001:db8:10::');
  });

  it('has no octets for IPv6 addresses the binding does not have, or that do not parse', () => {
    expect(bindingAddresses(testBinding({ eui64: undefined, gateway6: undefined }))).toMatchObject({ eui64: undefined, gateway6: undefined });
    expect(bindingAddresses(testBinding({ eui64: 'nope', gateway6: 'nope' }))).toMatchObject({ eui64: undefined, gateway6: undefined });
  });
});
