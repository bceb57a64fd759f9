/**
 * The Internet checksum (RFC 1071): the 16-bit one's complement of the one's
 * complement sum of 16-bit big-endian words.
 *
 * Sums are accumulated in a plain JS number (exact up to 2^53, i.e. far more
 * than any frame) and folded once at the end, so several byte ranges can be
 * summed without copying them together:
 *
 *     let acc = ipv4PseudoHeaderSum(ip, 12, ip, 16, 17, udpLength);
 *     acc = sumWords(segment, 0, udpLength, acc);
 *     const ok = finishChecksum(acc) === 0;          // verify (checksum field included)
 *     const csum = finishChecksum(acc);              // compute (checksum field zero)
 *
 * Every range but the last must have an even length (a range is padded with
 * a zero octet at its end when odd, RFC 1071 §4.1). All the ranges onlinkd
 * sums (pseudo-headers, IPv4 headers) are even except the final payload.
 */

/** Adds the big-endian 16-bit words of `b[start, end)` to `acc` (odd tail padded with 0). */
export function sumWords(b: Uint8Array, start: number, end: number, acc = 0): number {
  const stop = Math.min(end, b.length);
  let i = Math.max(0, start);
  for (; i + 1 < stop; i += 2) acc += (b[i]! << 8) | b[i + 1]!;
  if (i < stop) acc += b[i]! << 8;
  return acc;
}

/** Folds the carries of `acc` into 16 bits and returns the one's complement (0..0xffff). */
export function finishChecksum(acc: number): number {
  while (acc > 0xffff) acc = (acc % 0x10000) + Math.floor(acc / 0x10000);
  return ~acc & 0xffff;
}

/** Checksum of one range. Over a range that contains its own valid checksum field, the result is 0. */
export function internetChecksum(b: Uint8Array, start = 0, end = b.length): number {
  return finishChecksum(sumWords(b, start, end));
}

/**
 * Sum of the IPv4 pseudo-header (RFC 768; RFC 9293 §3.1 for TCP):
 * source, destination, zero, protocol, upper-layer length. Addresses are
 * read from `src[srcOff..+4]` and `dst[dstOff..+4]` (e.g. straight from the
 * IPv4 header at offsets 12 and 16).
 */
export function ipv4PseudoHeaderSum(
  src: Uint8Array,
  srcOff: number,
  dst: Uint8Array,
  dstOff: number,
  protocol: number,
  length: number,
): number {
  let acc = sumWords(src, srcOff, srcOff + 4);
  acc = sumWords(dst, dstOff, dstOff + 4, acc);
  return acc + (protocol & 0xff) + (length & 0xffff);
}

/**
 * Sum of the IPv6 pseudo-header (RFC 8200 §8.1): source, destination,
 * 32-bit upper-layer length, three zero octets, next header.
 */
export function ipv6PseudoHeaderSum(
  src: Uint8Array,
  srcOff: number,
  dst: Uint8Array,
  dstOff: number,
  nextHeader: number,
  length: number,
): number {
  let acc = sumWords(src, srcOff, srcOff + 16);
  acc = sumWords(dst, dstOff, dstOff + 16, acc);
  return acc + Math.floor(length / 0x10000) + (length & 0xffff) + (nextHeader & 0xff);
}
