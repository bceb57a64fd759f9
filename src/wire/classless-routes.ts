/**
 * Classless static routes (RFC 3442), the payload of DHCPv4 option 121 and
 * of Microsoft's option 249 (MS-DHCPE §2.2.8, byte-for-byte the same).
 *
 * Each route is: width (prefix length, 0..32), then the ceil(width/8)
 * significant octets of the destination, then the 4-octet router
 * (0.0.0.0 = on-link, RFC 3442 "Local Subnet Routes"):
 *
 *     169.254.0.0/16 via 192.0.2.1  →  10 a9 fe c0 00 02 01
 *     0.0.0.0/0 via 192.0.2.1       →  00 c0 00 02 01
 *
 * Destination bits past the prefix:
 *  - decode: an error ('bad-destination'). RFC 3442 leaves the octets'
 *    trailing bits to the sender, but a route whose destination is not its
 *    own network is a sender bug, and clients disagree about what it means
 *    (Linux masks, others install the odd route), so onlinkd does not guess;
 *  - encode: normalised (masked off), so a config route written with host
 *    bits (which the binding parser rejects anyway) cannot produce such an
 *    option. `normalizeClasslessRoute` exposes the same rule.
 *
 * An empty list is not a valid option (RFC 3442: minimum length 5): decode
 * refuses it and encode throws; omit the option instead.
 */
import { numberToIpv4, prefixMask } from './addr.js';
import type { ClasslessRoute } from './dhcp4-types.js';
import { u32 } from './reader.js';
import { EncodeError, fail, ok, type Decoded } from './result.js';
import { ipv4Value, putU32 } from './writer.js';

const LAYER = 'classless-routes';

function significantOctets(prefixLength: number): number {
  return (prefixLength + 7) >>> 3;
}

function checkRoute(r: ClasslessRoute): { dest: number; router: number } {
  if (!Number.isInteger(r.prefixLength) || r.prefixLength < 0 || r.prefixLength > 32) {
    throw new EncodeError(LAYER, 'bad-prefix', `prefix length ${String(r.prefixLength)}`);
  }
  const dest = ipv4Value(r.destination);
  const router = ipv4Value(r.router);
  if (dest < 0) throw new EncodeError(LAYER, 'bad-address', `destination ${JSON.stringify(r.destination)}`);
  if (router < 0) throw new EncodeError(LAYER, 'bad-address', `router ${JSON.stringify(r.router)}`);
  return { dest: (dest & prefixMask(r.prefixLength)) >>> 0, router };
}

/** The route with destination bits past the prefix cleared. Throws EncodeError on a bad route. */
export function normalizeClasslessRoute(r: ClasslessRoute): ClasslessRoute {
  const { dest } = checkRoute(r);
  return { destination: numberToIpv4(dest), prefixLength: r.prefixLength, router: r.router };
}

/** Encoded length of a route list. */
export function classlessRoutesLength(routes: readonly ClasslessRoute[]): number {
  let n = 0;
  for (const r of routes) n += 1 + significantOctets(r.prefixLength) + 4;
  return n;
}

/** The option payload for `routes`, in order. Throws EncodeError on a bad route or an empty list. */
export function encodeClasslessRoutes(routes: readonly ClasslessRoute[]): Uint8Array {
  if (routes.length === 0) throw new EncodeError(LAYER, 'empty', 'an empty route list is not a valid option');
  const checked = routes.map(checkRoute);
  const out = new Uint8Array(classlessRoutesLength(routes));
  let p = 0;
  for (let i = 0; i < routes.length; i++) {
    const width = routes[i]!.prefixLength;
    const { dest, router } = checked[i]!;
    out[p++] = width;
    for (let k = 0; k < significantOctets(width); k++) out[p++] = (dest >>> (24 - 8 * k)) & 0xff;
    putU32(out, p, router);
    p += 4;
  }
  return out;
}

export function decodeClasslessRoutes(bytes: Uint8Array): Decoded<ClasslessRoute[]> {
  if (bytes.length === 0) return fail(LAYER, 'empty');
  const routes: ClasslessRoute[] = [];
  let p = 0;
  while (p < bytes.length) {
    const width = bytes[p]!;
    if (width > 32) return fail(LAYER, 'bad-prefix', `width ${width} at offset ${p}`);
    const sig = significantOctets(width);
    if (p + 1 + sig + 4 > bytes.length) return fail(LAYER, 'truncated', `route at offset ${p}`);
    let dest = 0;
    for (let k = 0; k < sig; k++) dest |= bytes[p + 1 + k]! << (24 - 8 * k);
    dest >>>= 0;
    if ((dest & ~prefixMask(width)) >>> 0 !== 0) {
      return fail(LAYER, 'bad-destination', `${numberToIpv4(dest)} has bits set past /${width}`);
    }
    routes.push({ destination: numberToIpv4(dest), prefixLength: width, router: numberToIpv4(u32(bytes, p + 1 + sig)) });
    p += 1 + sig + 4;
  }
  return ok(routes);
}
