/**
 * The binding most unit tests start from: tap10 with 203.0.113.10/24 via
 * .1, no IPv6, every flag off. Tests override what they are about.
 */
import type { Binding } from '../../src/bindings/binding.js';
import { parseBindingFile } from '../../src/bindings/binding-file.js';
import { NO_OPTIONS } from '../../src/protocols/option-settings.js';

export const TEST_VM_MAC = 'aa:00:00:00:00:10';

export function testBinding(over: Partial<Binding> = {}): Binding {
  return {
    tap: 'tap10', indev: 'tap10', mac: TEST_VM_MAC, ip: '203.0.113.10', hostname: 'vm10', tags: undefined,
    subnet: { network: '203.0.113.0', prefixLength: 24 }, gateway: '203.0.113.1',
    subnet6: undefined, gateway6: undefined, eui64: undefined, private: false, mtu: undefined,
    macspoof: false, windows: false, arpResponder: undefined, routed: undefined, uplink: undefined, uplink6: undefined, routes: [],
    bootfile: undefined, bootfileEfi: undefined, ipxeBootfile: undefined, nextServer: undefined, bootfile6: undefined, ipv6Only: undefined, captivePortal: undefined,
    routes6: [], pref64: undefined,
    mode6: undefined, ip6: undefined, prefix6: undefined,
    dns: undefined, dns6: undefined, domain: undefined, dhcp4Options: NO_OPTIONS, dhcp6Options: NO_OPTIONS, extra: {}, ...over,
  };
}

/** Why parseBindingFile refuses `text` as tap10's binding file (throws when it accepts it). */
export function bindingFileError(text: string): string {
  const r = parseBindingFile('tap10', text);
  if (r.ok) throw new Error('accepted');
  return r.error.message;
}
