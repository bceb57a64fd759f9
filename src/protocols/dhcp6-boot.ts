/**
 * Network boot in DHCPv6 replies (binding key BOOTFILE6): option 59, Boot
 * File URL (RFC 5970 §3.1), whose value is the URL's octets. RFC 5970 §3.1
 * and RFC 8415 §21.7: a client that wants it lists 59 in its Option Request
 * option, and the server sends it only then. Pure.
 */
import type { Binding } from '../bindings/binding.js';
import { Dhcp6Option, getDhcp6Option, type Dhcp6Message } from '../wire/dhcp6.js';

const encoded = new WeakMap<Binding, Uint8Array>();

/** Whether the raw Option Request option lists `code` (16-bit codes, RFC 8415 §21.7); scanned in place, no array. */
export function oroHas(msg: Pick<Dhcp6Message, 'options'>, code: number): boolean {
  const oro = getDhcp6Option(msg, Dhcp6Option.OptionRequest);
  if (oro === undefined) return false;
  for (let i = 0; i + 1 < oro.length; i += 2) if (((oro[i]! << 8) | oro[i + 1]!) === code) return true;
  return false;
}

/** Option 59 for this request, or undefined (no BOOTFILE6, or not asked for). Encoded once per binding. */
export function bootfileUrlOption(msg: Pick<Dhcp6Message, 'options'>, binding: Binding): [number, Uint8Array] | undefined {
  const url = binding.bootfile6;
  if (url === undefined || !oroHas(msg, Dhcp6Option.BootfileUrl)) return undefined;
  let v = encoded.get(binding);
  // BOOTFILE6 is printable ASCII (bindings/boot-values.ts): one octet per character.
  if (v === undefined) encoded.set(binding, (v = Uint8Array.from(url, (c) => c.charCodeAt(0))));
  return [Dhcp6Option.BootfileUrl, v];
}
