/**
 * Address text <-> bytes helpers shared by every codec. Parsers return
 * `undefined` on bad input instead of throwing: callers on the packet path
 * and in the binding parser turn that into their own typed error.
 */

const MAC_RE = /^([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2})$/i;
const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lower-case colon form of `len` bytes at `off` (used for MACs and chaddr). */
export function formatMac(bytes: Uint8Array, off = 0, len = 6): string {
  let s = '';
  for (let i = 0; i < len; i++) s += (i ? ':' : '') + HEX[bytes[off + i] ?? 0];
  return s;
}

export function parseMac(text: string): Uint8Array | undefined {
  const m = MAC_RE.exec(text.trim());
  if (!m) return undefined;
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) out[i] = parseInt(m[i + 1]!, 16);
  return out;
}

/** Canonical lower-case MAC text, or undefined when not a MAC. */
export function normalizeMac(text: string): string | undefined {
  const b = parseMac(text);
  return b ? formatMac(b) : undefined;
}

export function formatIpv4(bytes: Uint8Array, off = 0): string {
  const a = bytes[off];
  const b = bytes[off + 1];
  const c = bytes[off + 2];
  const d = bytes[off + 3];
  // Every DHCP request carries these two several times: no new string for them.
  if (a === 0 && b === 0 && c === 0 && d === 0) return IPV4_ANY;
  if (a === 255 && b === 255 && c === 255 && d === 255) return IPV4_BROADCAST;
  return `${a}.${b}.${c}.${d}`;
}

export function parseIpv4(text: string): Uint8Array | undefined {
  const m = IPV4_RE.exec(text.trim());
  if (!m) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = m[i + 1]!;
    // Leading zeros are ambiguous (octal in some parsers): refuse them.
    if (part.length > 1 && part.startsWith('0')) return undefined;
    const v = Number(part);
    if (v > 255) return undefined;
    out[i] = v;
  }
  return out;
}

export function ipv4ToNumber(text: string): number | undefined {
  const b = parseIpv4(text);
  return b ? ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0 : undefined;
}

export function numberToIpv4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Netmask for a prefix length (0..32) as a uint32. */
export function prefixMask(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

/**
 * MACs on the packet path are 48-bit numbers: exact in a double, compared
 * with ===, written with putMac48, formatted only when a log line is
 * written. Text is for files, the control socket and tests.
 */
export type Mac48 = number;
/** What an encoder takes for a MAC: a 48-bit number (decoded, cached) or colon text (tests, bindings). */
export type MacInput = Mac48 | string;
/** What an encoder takes for an IPv4 address: a uint32 (decoded, cached) or dotted text. */
export type Ipv4Input = number | string;

const TWO_32 = 0x1_0000_0000;

/** The 6 octets at `off` as a 48-bit number (no allocation). */
export function readMac48(b: Uint8Array, off = 0): Mac48 {
  return ((b[off] ?? 0) * 256 + (b[off + 1] ?? 0)) * TWO_32 + ((((b[off + 2] ?? 0) << 24) | ((b[off + 3] ?? 0) << 16) | ((b[off + 4] ?? 0) << 8) | (b[off + 5] ?? 0)) >>> 0);
}

/** Writes a 48-bit MAC number as 6 octets at `off`. */
export function putMac48(b: Uint8Array, off: number, mac: Mac48): void {
  const hi = Math.floor(mac / TWO_32);
  const lo = mac >>> 0;
  b[off] = hi >>> 8;
  b[off + 1] = hi & 0xff;
  b[off + 2] = lo >>> 24;
  b[off + 3] = (lo >>> 16) & 0xff;
  b[off + 4] = (lo >>> 8) & 0xff;
  b[off + 5] = lo & 0xff;
}

/** Whether `mac` is a 48-bit number (what putMac48 can write). */
export function isMac48(mac: number): boolean {
  return Number.isInteger(mac) && mac >= 0 && mac < 0x1_0000_0000_0000;
}

const macScratch = new Uint8Array(6);

/** Lower-case colon text of a 48-bit MAC number (for logs and control answers). */
export function formatMac48(mac: Mac48): string {
  putMac48(macScratch, 0, mac);
  return formatMac(macScratch);
}

/** A MAC's text as a 48-bit number, or undefined when it is not a MAC. */
export function parseMac48(text: string): Mac48 | undefined {
  const b = parseMac(text);
  return b ? readMac48(b) : undefined;
}

/** The I/G bit (lowest bit of the first octet): a group (multicast or broadcast) address. */
export function isGroupMac48(mac: Mac48): boolean {
  return Math.floor(mac / 0x100_0000_0000) % 2 === 1;
}

export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';
export const BROADCAST_MAC48: Mac48 = 0xffff_ffff_ffff;
/** 0.0.0.0 and 255.255.255.255 as uint32. */
export const IPV4_ANY_VALUE = 0;
export const IPV4_BROADCAST_VALUE = 0xffffffff;
export const IPV4_ANY = '0.0.0.0';
export const IPV4_BROADCAST = '255.255.255.255';
