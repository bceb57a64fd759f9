/**
 * A binding's addresses in the form the responders compute with: the MAC
 * as a 48-bit number, IPv4 as uint32 numbers, IPv6 addresses and prefixes as 16 octets. The binding keeps its text
 * (files, control socket and logs speak text); these are derived from it
 * once per binding, not per frame. Bindings are immutable and replaced on
 * change, never mutated, so the binding's identity is the cache key (a
 * WeakMap: a replaced binding takes its entry with it).
 */
import type { Binding } from '../bindings/binding.js';
import { parseMac48, prefixMask, type Mac48 } from '../wire/addr.js';
import { formatIpv6Address, maskIpv6Prefix, parseIpv6Address } from '../wire/ipv6-address.js';
import { ipv4Value } from '../wire/writer.js';

export interface BindingAddresses {
  /** MAC as a 48-bit number (-1, matching no frame, if it does not parse: the schema refuses that). */
  readonly mac: Mac48;
  /** IP as uint32, when the binding has one (-1 if it does not parse; see ipv4Of). */
  readonly ip: number | undefined;
  /** GATEWAY as uint32, when the binding has one (-1 if it does not parse). */
  readonly gateway: number | undefined;
  /** SUBNET's network and netmask as uint32, when the binding has a SUBNET. */
  readonly subnet: { readonly network: number; readonly mask: number; readonly prefixLength: number } | undefined;
  /**
   * SUBNET6's network octets (bits past the length cleared) and length, and
   * that network's text (what an RA's Prefix Information says), when the
   * binding has a SUBNET6.
   */
  readonly subnet6: { readonly network: Uint8Array; readonly prefixLength: number; readonly prefix: string } | undefined;
  /** EUI64 as 16 octets, when the binding has one that parses. */
  readonly eui64: Uint8Array | undefined;
  /** GATEWAY6 as 16 octets, when the binding has one that parses. */
  readonly gateway6: Uint8Array | undefined;
}

const cache = new WeakMap<Binding, BindingAddresses>();

type AddressFields = Pick<Binding, 'mac' | 'ip' | 'gateway' | 'subnet' | 'subnet6' | 'eui64' | 'gateway6'>;

/**
 * A binding's IPv4 text as uint32, undefined when absent. Text that does
 * not parse (the schema refuses it; a hand-made binding may not) is -1:
 * it matches no request, and a reply carrying it fails to encode, counted
 * and logged as every encode failure is, as the text did before.
 */
function ipv4Of(text: string | undefined): number | undefined {
  return text === undefined ? undefined : ipv4Value(text);
}

function derive(b: AddressFields): BindingAddresses {
  const s = b.subnet;
  const network = s ? ipv4Value(s.network) : -1;
  const s6 = b.subnet6;
  // The schema stores SUBNET6 masked; a hand-made binding may not be, and an RA must say the prefix.
  const network6 = s6 ? parseIpv6Address(s6.network) : undefined;
  if (s6 && network6) maskIpv6Prefix(network6, s6.prefixLength);
  return {
    mac: parseMac48(b.mac) ?? -1,
    ip: ipv4Of(b.ip),
    gateway: ipv4Of(b.gateway),
    subnet: s && network >= 0 ? { network, mask: prefixMask(s.prefixLength), prefixLength: s.prefixLength } : undefined,
    subnet6: s6 && network6 ? { network: network6, prefixLength: s6.prefixLength, prefix: formatIpv6Address(network6) } : undefined,
    // Addresses that do not parse (the schema refuses them) match no frame, as their text matched none.
    eui64: b.eui64 === undefined ? undefined : parseIpv6Address(b.eui64),
    gateway6: b.gateway6 === undefined ? undefined : parseIpv6Address(b.gateway6),
  };
}

/** The numeric forms of `binding`'s addresses, derived on first use and kept with it. */
export function bindingAddresses(binding: Binding): BindingAddresses {
  let a = cache.get(binding);
  if (!a) cache.set(binding, (a = derive(binding)));
  return a;
}
