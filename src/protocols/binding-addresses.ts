/**
 * A binding's addresses in the form the responders compute with: the MAC
 * as a 48-bit number, IPv4 as uint32 numbers, IPv6 prefixes as 16 octets. The binding keeps its text
 * (files, control socket and logs speak text); these are derived from it
 * once per binding, not per frame. Bindings are immutable and replaced on
 * change, never mutated, so the binding's identity is the cache key (a
 * WeakMap: a replaced binding takes its entry with it).
 */
import type { Binding } from '../bindings/binding.js';
import { parseMac48, prefixMask, type Mac48 } from '../wire/addr.js';
import { parseIpv6Address } from '../wire/ipv6-address.js';
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
  /** SUBNET6's network octets and length, when the binding has a SUBNET6. */
  readonly subnet6: { readonly network: Uint8Array; readonly prefixLength: number } | undefined;
}

const cache = new WeakMap<Binding, BindingAddresses>();

type AddressFields = Pick<Binding, 'mac' | 'ip' | 'gateway' | 'subnet' | 'subnet6'>;

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
  const network6 = s6 ? parseIpv6Address(s6.network) : undefined;
  return {
    mac: parseMac48(b.mac) ?? -1,
    ip: ipv4Of(b.ip),
    gateway: ipv4Of(b.gateway),
    subnet: s && network >= 0 ? { network, mask: prefixMask(s.prefixLength), prefixLength: s.prefixLength } : undefined,
    subnet6: s6 && network6 ? { network: network6, prefixLength: s6.prefixLength } : undefined,
  };
}

/** The numeric forms of `binding`'s addresses, derived on first use and kept with it. */
export function bindingAddresses(binding: Binding): BindingAddresses {
  let a = cache.get(binding);
  if (!a) cache.set(binding, (a = derive(binding)));
  return a;
}
