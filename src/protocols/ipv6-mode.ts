/**
 * A tap's IPv6 mode (DESIGN.md "Second stage": MODE6 over `[ipv6] mode`)
 * and what DHCPv6 answers in it. One place decides, so the RA side (M/O
 * flags, the prefix's A flag) and the DHCPv6 side read the same mode:
 *
 *   mode           RA flags    DHCPv6 answers
 *   slaac+dhcpv6   M=0 O=1     Information-Request (stateless, RFC 8415 §6.1)
 *   dhcpv6         M=1 O=1     Information-Request and Solicit, Request,
 *                              Confirm, Renew, Rebind, Release, Decline
 *   slaac          M=0 O=0     nothing
 *   none           (no RA)     nothing
 *
 * Why stateful only in `dhcpv6`: a client asks for addresses when the RA
 * says M=1 (RFC 4861 §4.2); in `slaac+dhcpv6` the RA says addresses come
 * from SLAAC, and a guest that solicits anyway would end up with a second
 * address the operator did not ask for. `slaac+dhcpv6` stays byte for byte
 * what onlinkd answered before MODE6 existed.
 */
import type { Binding } from '../bindings/binding.js';
import type { Ipv6Mode, Settings } from '../config/settings.js';

type Ipv6Settings = Pick<Settings['ipv6'], 'mode'>;

/** The binding's MODE6, else `[ipv6] mode`. */
export function effectiveMode6(binding: Pick<Binding, 'mode6'>, settings: Ipv6Settings): Ipv6Mode {
  return binding.mode6 ?? settings.mode;
}

/** Whether DHCPv6 answers an Information-Request in `mode`. */
export function answersInformationRequest(mode: Ipv6Mode): boolean {
  return mode === 'slaac+dhcpv6' || mode === 'dhcpv6';
}

/** Whether DHCPv6 answers Solicit, Request, Confirm, Renew, Rebind, Release and Decline in `mode`. */
export function answersStateful(mode: Ipv6Mode): boolean {
  return mode === 'dhcpv6';
}

/** The IA_NA address of a binding: IP6, else EUI64 (text; undefined when it has neither). */
export function statefulAddress(binding: Pick<Binding, 'ip6' | 'eui64'>): string | undefined {
  return binding.ip6 ?? binding.eui64;
}

/**
 * What is wrong with a binding's stateful setup, for the log when it is
 * applied and `onlinkctl show`: `dhcpv6` mode with no address to give
 * (DESIGN.md; the issue: "says so in the log and in onlinkctl show").
 * Undefined when there is nothing to say.
 */
export function mode6Warning(binding: Pick<Binding, 'mode6' | 'ip6' | 'eui64' | 'prefix6'>, settings: Ipv6Settings): string | undefined {
  if (effectiveMode6(binding, settings) !== 'dhcpv6' || statefulAddress(binding) !== undefined) return undefined;
  return binding.prefix6
    ? 'IPv6 mode dhcpv6 without IP6 or EUI64: stateful DHCPv6 delegates PREFIX6 but gives no address (NoAddrsAvail)'
    : 'IPv6 mode dhcpv6 without IP6, EUI64 or PREFIX6: stateful DHCPv6 has nothing to give (NoAddrsAvail)';
}

/** The warnings of a binding for `onlinkctl show` and the log (undefined: none, or no binding). */
export function bindingWarnings(binding: Binding | undefined, settings: { readonly ipv6: Ipv6Settings }): string[] | undefined {
  const w = binding && mode6Warning(binding, settings.ipv6);
  return w === undefined ? undefined : [w];
}
