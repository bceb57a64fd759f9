/**
 * Which addresses each uplink's proxy answers for (protocols/uplink-proxy.ts):
 * a pure function of the bindings whose taps are present, whether each tap
 * is up, and the settings. The rule is the route manager's (wanted-routes.ts):
 * an address is answered upstream exactly when a host route sends it to its
 * tap — the binding wants routing (`ROUTED`, else `[routing] manage`) and
 * its tap is up (the kernel keeps no route to a tap that is down, so
 * answering would draw traffic nowhere).
 *
 * Uplinks are the announcements' (announce.ts bindingUplinks): the binding's
 * UPLINK/UPLINK6, else `[announce] uplink`/`uplink6`; IP is answered on the
 * IPv4 one, IP6 and EUI64 on the IPv6 one. An address two taps claim is
 * answered for the first and reported (the second route would replace the
 * first in the kernel all the same: an operator error to fix).
 */
import type { Binding } from '../bindings/binding.js';
import type { Settings } from '../config/settings.js';
import { bindingUplinks } from '../protocols/announce.js';
import { bindingAddresses } from '../protocols/binding-addresses.js';
import { ipv6Key, type ProxiedAddresses } from '../protocols/uplink-proxy.js';
import { parseIpv6Address } from '../wire/ipv6-address.js';
import { routingWanted } from './wanted-routes.js';

export interface ProxyCandidate {
  readonly binding: Binding;
  /** The tap is present and up. */
  readonly up: boolean;
}

export interface ProxyIndex {
  /** Uplink name → what it answers for. */
  readonly uplinks: ReadonlyMap<string, ProxiedAddresses>;
  /** Addresses claimed by more than one tap (answered for `tap`, refused for `other`). */
  readonly conflicts: ReadonlyArray<{ address: string; tap: string; other: string }>;
}

export function proxyIndex(candidates: Iterable<ProxyCandidate>, settings: Pick<Settings, 'routing' | 'announce'>): ProxyIndex {
  const uplinks = new Map<string, { v4: Map<number, string>; v6: Map<string, string> }>();
  const conflicts: Array<{ address: string; tap: string; other: string }> = [];
  const on = (name: string): { v4: Map<number, string>; v6: Map<string, string> } => {
    let u = uplinks.get(name);
    if (!u) uplinks.set(name, (u = { v4: new Map(), v6: new Map() }));
    return u;
  };
  const claim = <K>(map: Map<K, string>, key: K, tap: string, address: string): void => {
    const other = map.get(key);
    if (other === undefined) map.set(key, tap);
    else if (other !== tap) conflicts.push({ address, tap: other, other: tap });
  };
  for (const { binding: b, up } of candidates) {
    if (!up || !routingWanted(b, settings.routing)) continue;
    const { uplink4, uplink6 } = bindingUplinks(b, settings.announce);
    const ip = bindingAddresses(b).ip;
    if (uplink4 !== undefined && b.ip !== undefined && ip !== undefined && ip >= 0) claim(on(uplink4).v4, ip, b.tap, b.ip);
    if (uplink6 === undefined) continue;
    for (const text of [b.ip6, b.eui64]) {
      const octets = text === undefined ? undefined : parseIpv6Address(text);
      if (octets && text !== undefined) claim(on(uplink6).v6, ipv6Key(octets), b.tap, text);
    }
  }
  return { uplinks, conflicts };
}
