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

export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';
export const IPV4_ANY = '0.0.0.0';
export const IPV4_BROADCAST = '255.255.255.255';
