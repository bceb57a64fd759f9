/**
 * A binding's addresses in the form the responders compute with: IPv4 as
 * uint32 numbers, IPv6 prefixes as 16 octets. The binding keeps its text
 * (files, control socket and logs speak text); these are derived from it
 * once per binding, not per frame. Bindings are immutable and replaced on
 * change, never mutated, so the binding's identity is the cache key (a
 * WeakMap: a replaced binding takes its entry with it).
 */
import type { Binding } from '../bindings/binding.js';
import { prefixMask } from '../wire/addr.js';
import { parseIpv6Address } from '../wire/ipv6-address.js';
import { ipv4Value } from '../wire/writer.js';

export interface BindingAddresses {
  /** SUBNET's network and netmask as uint32, when the binding has a SUBNET. */
  readonly subnet: { readonly network: number; readonly mask: number; readonly prefixLength: number } | undefined;
  /** SUBNET6's network octets and length, when the binding has a SUBNET6. */
  readonly subnet6: { readonly network: Uint8Array; readonly prefixLength: number } | undefined;
}

const cache = new WeakMap<Binding, BindingAddresses>();

type AddressFields = Pick<Binding, 'subnet' | 'subnet6'>;

function derive(b: AddressFields): BindingAddresses {
  const s = b.subnet;
  const network = s ? ipv4Value(s.network) : -1;
  const s6 = b.subnet6;
  const network6 = s6 ? parseIpv6Address(s6.network) : undefined;
  return {
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
