/**
 * Test helpers for the wire codecs: annotated hex literals, garbage-filled
 * buffers (smoltcp's trick: emit into 0xa5 so a field the encoder forgets
 * shows up), and the "every truncation" check.
 */
import { expect } from 'vitest';
import { DecodeError, type Decoded } from '../../../src/wire/result.js';
import { ipv4ToNumber, parseMac48 } from '../../../src/wire/addr.js';
import { parseIpv6Address } from '../../../src/wire/ipv6-address.js';
import type { Dhcp4Message, Dhcp4MessageSpec } from '../../../src/wire/dhcp4-types.js';

/**
 * Bytes from a hex template; `#` starts a comment to the end of the line,
 * so golden arrays can name each field:
 *
 *     hex`ff ff ff ff ff ff   # dst: broadcast
 *          08 00              # ethertype: IPv4`
 */
export function hex(strings: TemplateStringsArray | string, ...values: unknown[]): Uint8Array {
  const text = typeof strings === 'string' ? strings : String.raw({ raw: strings }, ...values);
  const digits = text
    .split('\n')
    .map((line) => line.replace(/#.*$/, ''))
    .join(' ')
    .replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(digits)) throw new Error(`bad hex literal: ${digits}`);
  return Uint8Array.from(digits.match(/../g) ?? [], (h) => parseInt(h, 16));
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function zeros(n: number): Uint8Array {
  return new Uint8Array(n);
}

export function garbage(n: number, fill = 0xa5): Uint8Array {
  return new Uint8Array(n).fill(fill);
}

export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

/** The decoder's result is a well-formed Decoded: a value, or a DecodeError. */
export function expectDecoded<T>(r: Decoded<T>): void {
  expect(typeof r.ok).toBe('boolean');
  if (!r.ok) {
    expect(r.error).toBeInstanceOf(DecodeError);
    expect(typeof r.error.layer).toBe('string');
    expect(typeof r.error.reason).toBe('string');
  }
}

/** Every prefix of `bytes` decodes to a value or a DecodeError, never a throw; returns the error reasons seen. */
export function everyTruncation<T>(bytes: Uint8Array, decode: (b: Uint8Array) => Decoded<T>): Set<string> {
  const reasons = new Set<string>();
  for (let n = 0; n < bytes.length; n++) {
    // A copy, so a decoder cannot read past the prefix into the original buffer.
    const r = decode(bytes.slice(0, n));
    expectDecoded(r);
    if (!r.ok) reasons.add(`${r.error.layer}/${r.error.reason}`);
  }
  return reasons;
}

/** Asserts ok and returns the value. */
export function value<T>(r: Decoded<T>): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.toString()}`);
  return r.value;
}

/** Asserts an error with this layer/reason. */
export function expectError<T>(r: Decoded<T>, layer: string, reason: string): void {
  expect(r.ok).toBe(false);
  if (!r.ok) expect({ layer: r.error.layer, reason: r.error.reason }).toEqual({ layer, reason });
}

/** A dotted quad as the uint32 decoders give (throws on a typo in a test). */
export function ip4(text: string): number {
  const v = ipv4ToNumber(text);
  if (v === undefined) throw new Error(`not an IPv4 address: ${text}`);
  return v;
}

/** A colon MAC as the 48-bit number decoders give (throws on a typo in a test). */
export function mac48(text: string): number {
  const v = parseMac48(text);
  if (v === undefined) throw new Error(`not a MAC: ${text}`);
  return v;
}

/** An IPv6 address's text as the 16 octets decoders give (throws on a typo in a test). */
export function ip6(text: string): Uint8Array {
  const v = parseIpv6Address(text);
  if (v === undefined) throw new Error(`not an IPv6 address: ${text}`);
  return v;
}

/** Fields that hold an IPv6 address (frames, ND/DHCPv6 replies, NS/NA targets). */
const IPV6_KEYS = new Set(['src', 'dst', 'srcIp', 'dstIp', 'target']);

/** A message written with text addresses, in the form decodeDhcp4 gives it (uint32 addresses, chaddr octets). */
export function dhcp4Decoded(m: Dhcp4MessageSpec): Dhcp4Message {
  const a = (v: number | string | undefined): number => (typeof v === 'string' ? ip4(v) : v!);
  const chaddr = typeof m.chaddr === 'string' ? Uint8Array.from(m.chaddr === '' ? [] : m.chaddr.split(':').map((h) => parseInt(h, 16))) : m.chaddr;
  return { ...m, ciaddr: a(m.ciaddr), yiaddr: a(m.yiaddr), siaddr: a(m.siaddr), giaddr: a(m.giaddr), chaddr };
}

/**
 * `o` with every MAC or dotted-quad text value as the number decoders give
 * (a DHCP chaddr as its octets), and IPv6 text in an address field (src,
 * dst, srcIp, dstIp, target) as its 16 octets: a frame spec or message
 * written with text, in the form its decoded frame has.
 */
export function decodedAddresses<T extends object>(o: T): T {
  const out = { ...o } as Record<string, unknown>;
  for (const [k, v] of Object.entries(out)) {
    if (typeof v !== 'string') continue;
    if (k === 'chaddr') out[k] = dhcp4Decoded({ chaddr: v } as Dhcp4MessageSpec).chaddr; // DHCP's chaddr decodes to octets
    else if (/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(v)) out[k] = mac48(v);
    else if (/^\d+\.\d+\.\d+\.\d+$/.test(v)) out[k] = ip4(v);
    else if (IPV6_KEYS.has(k) && parseIpv6Address(v)) out[k] = ip6(v);
  }
  return out as T;
}
