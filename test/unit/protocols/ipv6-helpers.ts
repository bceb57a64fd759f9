/** Bindings, settings and frame metadata shared by the IPv6 responder tests. */
import type { Binding } from '../../../src/bindings/binding.js';
import { defaultSettings } from '../../../src/config/config.js';
import type { Ipv6Settings } from '../../../src/protocols/router-advert.js';
import type { Ipv6FrameMeta } from '../../../src/wire/frame6.js';
import { testBinding } from '../../helpers/binding.js';
import { parseIpv6Address } from '../../../src/wire/ipv6-address.js';
import { mac48 } from '../wire/helpers.js';

export const SERVER_MAC = 'fe:00:00:00:00:01';
export const ROUTER_LL = 'fe80::fc00:ff:fe00:1';
export const VM_MAC = 'aa:00:00:00:00:10';
export const VM_LL = 'fe80::a800:ff:fe00:10';
export const VM_EUI64 = '2001:db8:10:0:a800:ff:fe00:10';

export function binding6(over: Partial<Binding> = {}): Binding {
  return testBinding({
    mac: VM_MAC, subnet6: { network: '2001:db8:10::', prefixLength: 64 }, gateway6: '2001:db8:10::1', eui64: VM_EUI64, mtu: 1500, ...over,
  });
}

export function ipv6Settings(over: Partial<Ipv6Settings> = {}): Ipv6Settings {
  return { ...defaultSettings().ipv6, nameservers: ['2001:db8::53'], domains: ['example.test'], ...over };
}

/**
 * An address as decoded octets; text that is not an address becomes no
 * octets at all, which the responders refuse as they refused the text.
 */
export function octets(text: string): Uint8Array {
  return parseIpv6Address(text) ?? new Uint8Array(0);
}

/** Frame metadata as the decoder gives it (the MAC a 48-bit number, addresses as octets), written with text. */
export function meta(over: { srcMac?: string; src?: string; dst?: string; hopLimit?: number } = {}): Ipv6FrameMeta {
  const { srcMac = VM_MAC, src = VM_LL, dst = 'ff02::2', hopLimit = 255 } = over;
  return { srcMac: mac48(srcMac), src: octets(src), dst: octets(dst), hopLimit };
}
