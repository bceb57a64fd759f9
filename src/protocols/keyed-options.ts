/**
 * Options a binding key (not `OPTION_<n>`) puts in replies, sent only to a
 * client that asks for them — they join the operator's options
 * (option-settings.ts) as asked-for ones, so the per-request-shape option
 * lists and DHCPv4 frame templates key on them the same way. Pure.
 *
 *  - IPV6_ONLY (else `[dhcp] ipv6_only_preferred`) → DHCPv4 option 108,
 *    IPv6-Only Preferred (RFC 8925 §3.1: 4 octets, V6ONLY_WAIT in seconds).
 *    §3.3: never to a client that did not list 108 in its parameter request
 *    list, always to one that did. §3.3.1: the OFFER to such a client SHOULD
 *    carry 0.0.0.0 in `yiaddr` (it will not use IPv4, so nothing is
 *    offered; `offersNoAddress`). An ACK (a REQUEST in INIT-REBOOT,
 *    RENEWING or REBINDING, or from a client that took an address anyway)
 *    keeps the binding's address: the client decides (§3.2), and a NAK
 *    would only send it back to DISCOVER.
 *  - CAPTIVE_PORTAL → DHCPv4 option 114 and DHCPv6 option 103 (RFC 8910
 *    §2.1, §2.2: the URI's octets, no terminator), when asked for. The RA
 *    option 37 (§2.3) is left to the RA sender (router-advert.ts), with the
 *    IPv6 work on it.
 * The catalogues refuse 108, 114 and 103 as `OPTION_<n>`/`OPTION6_<n>`, so
 * a code comes from one place only.
 */
import type { Binding } from '../bindings/binding.js';
import type { Dhcp4Settings } from './dhcp4-config-options.js';
import type { EncodedOption } from './option-settings.js';
import { encodeString, encodeU32 } from '../wire/dhcp4-options.js';
import { Dhcp4Option } from '../wire/dhcp4-types.js';
import { Dhcp6Option } from '../wire/dhcp6.js';

/** V6ONLY_WAIT for this binding (its key, else the configuration's), or undefined: option 108 off. */
export function v6OnlyWaitOf(binding: Binding, settings: Pick<Dhcp4Settings, 'ipv6OnlyPreferred'>): number | undefined {
  return binding.ipv6Only ?? settings.ipv6OnlyPreferred;
}

/**
 * Whether an OFFER for this request carries yiaddr 0.0.0.0 (RFC 8925
 * §3.3.1): option 108 is on and the parameter request list has it.
 */
export function offersNoAddress(prl: Uint8Array | undefined, binding: Binding, settings: Pick<Dhcp4Settings, 'ipv6OnlyPreferred'>): boolean {
  return prl !== undefined && v6OnlyWaitOf(binding, settings) !== undefined && prl.includes(Dhcp4Option.Ipv6OnlyPreferred);
}

const asked = (code: number, bytes: Uint8Array): EncodedOption => Object.freeze({ code, bytes, always: false });

/** The DHCPv4 options the binding's keys add (the URI is printable ASCII: its octets are its characters) (108, 114), asked-for ones, in code order. */
export function keyedOptions4(binding: Binding, settings: Pick<Dhcp4Settings, 'ipv6OnlyPreferred'>): EncodedOption[] {
  const out: EncodedOption[] = [];
  const wait = v6OnlyWaitOf(binding, settings);
  if (wait !== undefined) out.push(asked(Dhcp4Option.Ipv6OnlyPreferred, encodeU32(wait)));
  if (binding.captivePortal !== undefined) out.push(asked(Dhcp4Option.CaptivePortal, encodeString(binding.captivePortal)));
  return out;
}

/** The DHCPv6 options the binding's keys add (103), asked-for ones. */
export function keyedOptions6(binding: Binding): EncodedOption[] {
  return binding.captivePortal === undefined ? [] : [asked(Dhcp6Option.CaptivePortal, encodeString(binding.captivePortal))];
}

/**
 * The operator's options with the keyed ones merged in code order (the
 * codes never collide: the catalogues refuse them). Without keyed options,
 * `extras` itself, so replies stay exactly what they were.
 */
export function withKeyedOptions(extras: readonly EncodedOption[], keyed: readonly EncodedOption[]): readonly EncodedOption[] {
  if (keyed.length === 0) return extras;
  return Object.freeze([...extras, ...keyed].sort((a, b) => a.code - b.code));
}
