/**
 * IPv6 addresses as 16 octets and as text, on the packet path.
 *
 * The text form is the canonical one of RFC 5952 §4: lower-case hex, no
 * leading zeros in a group, the longest run of two or more zero groups
 * (the first one on a tie) shortened to "::", a lone zero group written
 * "0". It is exactly what ip-address's `correctForm()` produces, which is
 * what the binding and config parsers store (src/util/ipv6.ts), so an
 * address decoded from a packet compares equal, as a string, to the same
 * address read from a binding file. Like `correctForm()`, and unlike the
 * RECOMMENDED form of RFC 5952 §5, IPv4-mapped addresses are written in
 * hex ("::ffff:c000:201"), never in dotted notation.
 *
 * These are small hand-written loops rather than ip-address objects: a
 * decoder formats two or three addresses per packet, at well over 100k
 * packets/s. Tests check them against ip-address.
 *
 * The address derivations ND needs (EUI-64, link-local from a MAC,
 * solicited-node groups, multicast MACs) are in ipv6-derive.ts.
 */
import { EncodeError } from './result.js';
import { ipv4Value } from './writer.js';

export const IPV6_ADDRESS_LENGTH = 16;

/** All-nodes link-local multicast (RFC 4291 §2.7.1). */
export const IPV6_ALL_NODES = 'ff02::1';
/** All-routers link-local multicast (RFC 4291 §2.7.1). */
export const IPV6_ALL_ROUTERS = 'ff02::2';
/** All_DHCP_Relay_Agents_and_Servers (RFC 8415 §7.1). */
export const IPV6_ALL_DHCP_RELAY_AGENTS_AND_SERVERS = 'ff02::1:2';
export const IPV6_UNSPECIFIED = '::';
/** Ethernet address of ff02::1 (RFC 2464 §7). */
export const ALL_NODES_MAC = '33:33:00:00:00:01';

// ---------------------------------------------------------------------------
// Text

/** Scratch for the parser: the groups read so far (single-threaded, never escapes). */
const groups = new Uint16Array(8);

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/**
 * Parses RFC 4291 §2.2 text (any valid form: upper case, leading zeros,
 * "::", a dotted IPv4 tail) into `out[off..off+16]`. No zone id, no prefix
 * length, no surrounding spaces. Returns false, leaving `out` partly
 * written, when `text` is not an address. No allocation on the usual path.
 */
export function parseIpv6Into(text: string, out: Uint8Array, off = 0): boolean {
  const n = text.length;
  if (n < 2 || n > 45 || out.length - off < IPV6_ADDRESS_LENGTH) return false;
  const hit = parsedText.get(text);
  if (hit) {
    for (let k = 0; k < 16; k++) out[off + k] = hit[k]!;
    return true;
  }
  if (!parseUncached(text, out, off)) return false;
  remember(parsedText, text, out.slice(off, off + IPV6_ADDRESS_LENGTH));
  return true;
}

/**
 * Addresses seen lately, both ways: a tap's packets come from the same
 * guest address and the replies from the same router address, so each is
 * formatted (decode) and parsed (encode) over and over. Bounded: emptied
 * when full (a guest inventing source addresses only churns it).
 */
const CACHE_MAX = 8192;
const parsedText = new Map<string, Uint8Array>();
const formattedBytes = new Map<number, { bytes: Uint8Array; text: string }>();

function remember<K, V>(m: Map<K, V>, k: K, v: V): void {
  if (m.size >= CACHE_MAX) m.clear();
  m.set(k, v);
}

function parseUncached(text: string, out: Uint8Array, off: number): boolean {
  const n = text.length;
  let i = 0;
  let count = 0;
  let gap = -1; // index in `groups` where "::" stands
  if (text.charCodeAt(0) === 0x3a) {
    if (text.charCodeAt(1) !== 0x3a) return false;
    gap = 0;
    i = 2;
  }
  while (i < n) {
    if (count === 8) return false;
    const start = i;
    let v = 0;
    let h: number;
    while (i < n && i - start < 5 && (h = hexValue(text.charCodeAt(i))) >= 0) {
      v = v * 16 + h;
      i++;
    }
    if (i < n && text.charCodeAt(i) === 0x2e) {
      // Dotted IPv4 in the last 32 bits (RFC 4291 §2.2 form 3).
      if (count > 6) return false;
      const v4 = ipv4Value(text.substring(start));
      if (v4 < 0) return false;
      groups[count++] = v4 >>> 16;
      groups[count++] = v4 & 0xffff;
      i = n;
      break;
    }
    const digits = i - start;
    if (digits === 0 || digits > 4) return false;
    groups[count++] = v;
    if (i === n) break;
    if (text.charCodeAt(i) !== 0x3a) return false;
    i++;
    if (i === n) return false; // a single trailing ':'
    if (text.charCodeAt(i) === 0x3a) {
      if (gap >= 0) return false; // a second "::"
      gap = count;
      i++;
    }
  }
  // "::" stands for at least one zero group (RFC 4291 §2.2 form 2).
  if (gap < 0 ? count !== 8 : count > 7) return false;
  const tail = gap < 0 ? 0 : count - gap;
  const head = count - tail;
  for (let k = 0; k < 8; k++) {
    let w = 0;
    if (k < head) w = groups[k]!;
    else if (k >= 8 - tail) w = groups[head + k - (8 - tail)]!;
    out[off + 2 * k] = w >>> 8;
    out[off + 2 * k + 1] = w & 0xff;
  }
  return true;
}

/** The 16 octets of `text`, or undefined when it is not an IPv6 address (see parseIpv6Into). */
export function parseIpv6Address(text: string): Uint8Array | undefined {
  const out = new Uint8Array(IPV6_ADDRESS_LENGTH);
  return parseIpv6Into(text, out, 0) ? out : undefined;
}

/**
 * Whether decoded octets are a source a reply can go to: neither
 * unspecified (::) nor multicast (RS, Information-Request and NS sources).
 */
export function isUnicastIpv6(b: Uint8Array, off = 0): boolean {
  return b.length - off >= IPV6_ADDRESS_LENGTH && !isIpv6Multicast(b, off) && !isIpv6Unspecified(b, off);
}

/**
 * What an encoder takes for an IPv6 address: its 16 octets (decoded from a
 * frame, derived once per binding) or text (tests, announcements, config).
 */
export type Ipv6Input = Uint8Array | string;

/**
 * Writes an address; throws EncodeError(layer, 'bad-address') if `addr` is
 * text that is not an address or octets that are not 16 long.
 */
export function putIpv6(out: Uint8Array, off: number, addr: Ipv6Input, layer: string, field = 'address'): void {
  if (typeof addr !== 'string') {
    if (addr.length !== IPV6_ADDRESS_LENGTH || out.length - off < IPV6_ADDRESS_LENGTH) {
      throw new EncodeError(layer, 'bad-address', `${field} of ${addr.length} octets`);
    }
    // A loop, not set(): 16 octets, and the source is often a view into the frame being answered.
    for (let k = 0; k < IPV6_ADDRESS_LENGTH; k++) out[off + k] = addr[k]!;
    return;
  }
  if (!parseIpv6Into(addr, out, off)) throw new EncodeError(layer, 'bad-address', `${field} ${JSON.stringify(addr)}`);
}

/** Whether the 16 octets at `a[aOff]` and `b[bOff]` are the same address (no allocation: responders compare every frame's). */
export function sameIpv6(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number): boolean {
  if (a.length - aOff < IPV6_ADDRESS_LENGTH || b.length - bOff < IPV6_ADDRESS_LENGTH) return false;
  for (let k = 0; k < IPV6_ADDRESS_LENGTH; k++) if (a[aOff + k] !== b[bOff + k]) return false;
  return true;
}

/** Text of an address given either way (log lines; text is returned as is). */
export function ipv6Text(addr: Ipv6Input): string {
  return typeof addr === 'string' ? addr : formatIpv6Address(addr);
}

/** Like parseIpv6Address, but throws EncodeError: for values that come from validated bindings/config. */
export function ipv6Bytes(text: string, layer = 'ipv6', field = 'address'): Uint8Array {
  const out = new Uint8Array(IPV6_ADDRESS_LENGTH);
  putIpv6(out, 0, text, layer, field);
  return out;
}

/** RFC 5952 §4 text of `b[off..off+16]` (reads missing octets as 0; callers check lengths first). */
export function formatIpv6Address(b: Uint8Array, off = 0): string {
  if (b.length - off < IPV6_ADDRESS_LENGTH || off < 0) return formatUncached(b, off);
  // FNV-1a over the 16 octets picks the entry; the octets themselves decide a hit.
  let h = 0x811c9dc5;
  for (let k = 0; k < 16; k++) h = Math.imul(h ^ b[off + k]!, 16777619);
  const hit = formattedBytes.get(h);
  if (hit) {
    let same = true;
    for (let k = 0; k < 16 && same; k++) same = hit.bytes[k] === b[off + k];
    if (same) return hit.text;
  }
  const text = formatUncached(b, off);
  remember(formattedBytes, h, { bytes: b.slice(off, off + IPV6_ADDRESS_LENGTH), text });
  return text;
}

function formatUncached(b: Uint8Array, off: number): string {
  // Longest run of >= 2 zero groups, the first on a tie (RFC 5952 §4.2.2, §4.2.3).
  let bestStart = -1;
  let bestLen = 1;
  let runStart = -1;
  for (let k = 0; k <= 8; k++) {
    const zero = k < 8 && (b[off + 2 * k] ?? 0) === 0 && (b[off + 2 * k + 1] ?? 0) === 0;
    if (zero) {
      if (runStart < 0) runStart = k;
    } else if (runStart >= 0) {
      if (k - runStart > bestLen) {
        bestStart = runStart;
        bestLen = k - runStart;
      }
      runStart = -1;
    }
  }
  let s = '';
  for (let k = 0; k < 8; k++) {
    if (k === bestStart) {
      s += '::';
      k += bestLen - 1;
      continue;
    }
    if (s !== '' && !s.endsWith(':')) s += ':';
    s += (((b[off + 2 * k] ?? 0) << 8) | (b[off + 2 * k + 1] ?? 0)).toString(16);
  }
  return s;
}

/** Canonical text of any accepted form, or undefined. */
export function normalizeIpv6Address(text: string): string | undefined {
  const b = parseIpv6Address(text);
  return b ? formatIpv6Address(b) : undefined;
}

// ---------------------------------------------------------------------------
// Classification (on octets: canonical text does not show a group's width)

/** ff00::/8 (RFC 4291 §2.7). */
export function isIpv6Multicast(b: Uint8Array, off = 0): boolean {
  return b[off] === 0xff;
}

/** :: (RFC 4291 §2.5.2). */
export function isIpv6Unspecified(b: Uint8Array, off = 0): boolean {
  for (let i = 0; i < 16; i++) if ((b[off + i] ?? 1) !== 0) return false;
  return true;
}

/** fe80::/10 (RFC 4291 §2.5.6). */
export function isIpv6LinkLocal(b: Uint8Array, off = 0): boolean {
  return b[off] === 0xfe && ((b[off + 1] ?? 0) & 0xc0) === 0x80;
}

/** Whether the first `prefixLength` bits of `a[aOff..]` and `p[pOff..]` agree. */
export function ipv6PrefixMatch(a: Uint8Array, aOff: number, p: Uint8Array, pOff: number, prefixLength: number): boolean {
  if (prefixLength < 0 || prefixLength > 128) return false;
  const whole = prefixLength >>> 3;
  for (let i = 0; i < whole; i++) if (a[aOff + i] !== p[pOff + i]) return false;
  const bits = prefixLength & 7;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return ((a[aOff + whole] ?? 0) & mask) === ((p[pOff + whole] ?? 0) & mask);
}

/** Text form: is `address` inside `network/prefixLength`? False when either is not an address. */
export function ipv6InPrefix(address: string, network: string, prefixLength: number): boolean {
  const a = parseIpv6Address(address);
  const p = parseIpv6Address(network);
  return a !== undefined && p !== undefined && ipv6PrefixMatch(a, 0, p, 0, prefixLength);
}

/** `address` with the bits past `prefixLength` cleared, as text. Throws EncodeError on a bad address. */
export function ipv6PrefixOf(address: string, prefixLength: number): string {
  return formatIpv6Address(maskIpv6Prefix(ipv6Bytes(address), prefixLength));
}

/** Clears the bits of the 16 octets `b` past `prefixLength`, in place; returns `b`. */
export function maskIpv6Prefix(b: Uint8Array, prefixLength: number): Uint8Array {
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, prefixLength - 8 * i));
    b[i] = b[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return b;
}
