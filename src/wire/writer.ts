/**
 * Big-endian writes and non-allocating address parsers for the encoders.
 *
 * Encoders are handed typed values (from validated bindings or from a
 * decoder). A value that is not what its type promises (an address string
 * that does not parse, a port above 65535) is a bug in the caller and
 * throws `EncodeError`; see result.ts.
 */
import { isMac48, putMac48, type Ipv4Input, type MacInput } from './addr.js';
import { EncodeError } from './result.js';

export function putU16(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 8) & 0xff;
  b[off + 1] = v & 0xff;
}

export function putU32(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 24) & 0xff;
  b[off + 1] = (v >>> 16) & 0xff;
  b[off + 2] = (v >>> 8) & 0xff;
  b[off + 3] = v & 0xff;
}

/**
 * Dotted-quad text → uint32, or -1 when it is not exactly four decimal
 * parts 0..255 without leading zeros (the rule of addr.ts `parseIpv4`,
 * minus the trimming: encoders get canonical text). No allocation.
 */
export function ipv4Value(text: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x2e; // virtual trailing '.'
    if (c === 0x2e) {
      if (digits === 0 || part > 255) return -1;
      value = value * 256 + part;
      parts++;
      part = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits === 1 && part === 0) return -1; // leading zero
      if (++digits > 3) return -1;
      part = part * 10 + (c - 0x30);
    } else {
      return -1;
    }
  }
  return parts === 4 ? value : -1;
}

/** An address as uint32 (a number as it is, text parsed), or -1 when it is not one. */
export function ipv4Input(address: Ipv4Input): number {
  if (typeof address === 'number') return address >>> 0 === address ? address : -1;
  return ipv4Value(address);
}

/** Writes an IPv4 address (uint32 or dotted quad); throws EncodeError(layer, 'bad-address') if it is not one. */
export function putIpv4(b: Uint8Array, off: number, address: Ipv4Input, layer: string, field = 'address'): void {
  const v = ipv4Input(address);
  if (v < 0) throw new EncodeError(layer, 'bad-address', `${field} ${JSON.stringify(address)}`);
  putU32(b, off, v);
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/**
 * Number of octets in colon-hex text ("aa:bb:cc"), or -1 when malformed.
 * The empty string is 0 octets (a zero-length chaddr).
 */
export function colonHexLength(text: string): number {
  return writeColonHex(undefined, 0, text);
}

/**
 * Writes colon-hex text (a MAC or a chaddr) into `b` (when given) and
 * returns its octet count, or -1 when it is malformed (the octets before the
 * fault are written). One pass: this runs twice per reply (Ethernet source
 * and destination).
 */
function writeColonHex(b: Uint8Array | undefined, off: number, text: string): number {
  if (text === '') return 0;
  if ((text.length + 1) % 3 !== 0) return -1;
  const n = (text.length + 1) / 3;
  for (let i = 0; i < n; i++) {
    const at = i * 3;
    const hi = hexDigit(text.charCodeAt(at));
    const lo = hexDigit(text.charCodeAt(at + 1));
    if (hi < 0 || lo < 0 || (i < n - 1 && text.charCodeAt(at + 2) !== 0x3a)) return -1;
    if (b) b[off + i] = (hi << 4) | lo;
  }
  return n;
}

/** Writes colon-hex text (a MAC or a chaddr); the caller has checked it with `colonHexLength`. */
export function putColonHex(b: Uint8Array, off: number, text: string): number {
  return Math.max(writeColonHex(b, off, text), 0);
}

/** Writes a 6-octet MAC (48-bit number or colon text); throws EncodeError(layer, 'bad-mac') otherwise. */
export function putMac(b: Uint8Array, off: number, mac: MacInput, layer: string, field = 'mac'): void {
  if (typeof mac === 'number') {
    if (!isMac48(mac)) throw new EncodeError(layer, 'bad-mac', `${field} ${mac}`);
    putMac48(b, off, mac);
  } else if (mac.length !== 17 || writeColonHex(b, off, mac) !== 6) {
    throw new EncodeError(layer, 'bad-mac', `${field} ${JSON.stringify(mac)}`);
  }
}

/** Throws EncodeError unless `v` is an integer in [0, max]. */
export function checkUint(v: number, max: number, layer: string, field: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new EncodeError(layer, 'bad-field', `${field}=${String(v)} not an integer in 0..${max}`);
  }
}
