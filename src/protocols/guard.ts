/**
 * Source checks applied before any responder runs: a tap belongs to one VM,
 * so only that VM's MAC may ask (unless the binding sets MACSPOOF). Pure
 * functions returning a drop reason or undefined.
 */
import type { Binding } from '../bindings/binding.js';

export function checkSourceMac(binding: Binding, frameSrcMac: string): string | undefined {
  if (binding.macspoof) return undefined;
  return frameSrcMac === binding.mac ? undefined : 'foreign-source-mac';
}

/** DHCPv4 additionally names the client in chaddr; it must be the same VM (htype 1, hlen 6). */
export function checkDhcp4Client(binding: Binding, frameSrcMac: string, htype: number, hlen: number, chaddr: string): string | undefined {
  const src = checkSourceMac(binding, frameSrcMac);
  if (src) return src;
  if (binding.macspoof) return undefined;
  if (htype !== 1 || hlen !== 6) return 'not-ethernet-chaddr';
  return chaddr === binding.mac ? undefined : 'foreign-chaddr';
}
