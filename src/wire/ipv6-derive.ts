/**
 * The IPv6 addresses ND derives from others: EUI-64 interface ids
 * (RFC 4291 App. A), SLAAC and link-local addresses from a MAC (RFC 4862
 * §5.3, §5.5.3), solicited-node multicast groups (RFC 4291 §2.7.1) and the
 * Ethernet multicast MAC of a multicast address (RFC 2464 §7).
 */
import { formatIpv6Address, ipv6Bytes, isIpv6Multicast } from './ipv6-address.js';
import { EncodeError } from './result.js';
import { colonHexLength, putColonHex } from './writer.js';

function macOctets(mac: string, layer: string): Uint8Array {
  if (colonHexLength(mac) !== 6) throw new EncodeError(layer, 'bad-mac', JSON.stringify(mac));
  const b = new Uint8Array(6);
  putColonHex(b, 0, mac);
  return b;
}

/**
 * Modified EUI-64 interface identifier of a 48-bit MAC (RFC 4291 App. A):
 * FF FE inserted after the OUI and the universal/local bit (0x02 of the
 * first octet) inverted. aa:00:00:00:00:10 → a8 00 00 ff fe 00 00 10.
 */
export function eui64InterfaceId(mac: string): Uint8Array {
  const m = macOctets(mac, 'eui64');
  return Uint8Array.of(m[0]! ^ 0x02, m[1]!, m[2]!, 0xff, 0xfe, m[3]!, m[4]!, m[5]!);
}

/** The first 64 bits of `prefix` followed by the EUI-64 interface id of `mac` (SLAAC, RFC 4862 §5.5.3). */
export function eui64Address(prefix: string, mac: string): string {
  const b = ipv6Bytes(prefix, 'eui64', 'prefix');
  b.set(eui64InterfaceId(mac), 8);
  return formatIpv6Address(b);
}

/** fe80::/64 + EUI-64 of `mac` (RFC 4862 §5.3): the router link-local onlinkd speaks from. */
export function linkLocalFromMac(mac: string): string {
  return formatIpv6Address(linkLocalOctetsFromMac(mac));
}

/** linkLocalFromMac as 16 octets. */
export function linkLocalOctetsFromMac(mac: string): Uint8Array {
  const b = new Uint8Array(16);
  b[0] = 0xfe;
  b[1] = 0x80;
  b.set(eui64InterfaceId(mac), 8);
  return b;
}

/** ff02::1:ffXX:XXXX, the solicited-node group of `address` (RFC 4291 §2.7.1). Throws EncodeError on a bad address. */
export function solicitedNodeAddress(address: string): string {
  const a = ipv6Bytes(address, 'ipv6', 'address');
  const b = new Uint8Array(16);
  b[0] = 0xff;
  b[1] = 0x02;
  b[11] = 0x01;
  b[12] = 0xff;
  b[13] = a[13]!;
  b[14] = a[14]!;
  b[15] = a[15]!;
  return formatIpv6Address(b);
}

/** 33:33 + the low 32 bits of a multicast address (RFC 2464 §7). Throws EncodeError on a non-multicast address. */
export function multicastMac(address: string): string {
  const a = ipv6Bytes(address, 'ipv6', 'address');
  if (!isIpv6Multicast(a)) throw new EncodeError('ipv6', 'not-multicast', address);
  return `33:33:${hex2(a[12]!)}:${hex2(a[13]!)}:${hex2(a[14]!)}:${hex2(a[15]!)}`;
}

/** 33:33:ff:XX:XX:XX, the Ethernet address of `address`'s solicited-node group. */
export function solicitedNodeMac(address: string): string {
  return multicastMac(solicitedNodeAddress(address));
}

function hex2(v: number): string {
  return v.toString(16).padStart(2, '0');
}
