/**
 * Source checks applied before any responder runs: a tap belongs to one VM,
 * so only that VM's MAC may ask (unless the binding sets MACSPOOF). Pure
 * functions returning a drop reason or undefined.
 */
import type { Binding } from '../bindings/binding.js';
import { readMac48, type Mac48 } from '../wire/addr.js';
import { bindingAddresses } from './binding-addresses.js';

/** `frameSrcMac` is the decoded Ethernet source (a 48-bit number), compared with the binding's cached one. */
export function checkSourceMac(binding: Binding, frameSrcMac: Mac48): string | undefined {
  if (binding.macspoof) return undefined;
  return frameSrcMac === bindingAddresses(binding).mac ? undefined : 'foreign-source-mac';
}

/** DHCPv4 additionally names the client in chaddr (its `hlen` octets); it must be the same VM (htype 1, hlen 6). */
export function checkDhcp4Client(binding: Binding, frameSrcMac: Mac48, htype: number, hlen: number, chaddr: Uint8Array): string | undefined {
  const src = checkSourceMac(binding, frameSrcMac);
  if (src) return src;
  if (binding.macspoof) return undefined;
  if (htype !== 1 || hlen !== 6 || chaddr.length !== 6) return 'not-ethernet-chaddr';
  return readMac48(chaddr) === bindingAddresses(binding).mac ? undefined : 'foreign-chaddr';
}
