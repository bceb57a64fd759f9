/**
 * The value types of DHCP options as an operator writes them (binding keys
 * `OPTION_<n>`/`OPTION6_<n>`, config sections `[dhcp4-options]` and
 * `[dhcp6-options]`): text → the option's octets, and octets → the same
 * text. Pure, never throwing: `parse` returns the octets or why not (a
 * sentence the operator reads after `file:line: KEY:`), `format` returns
 * the text or undefined when the octets are not of the type (then the
 * catalogue shows them as `hex:`).
 *
 * Round trip: for every text `parse` accepts, `parse(format(parse(t)))`
 * is the same octets, and `format` output is a fixed point (it is the
 * canonical form bindings store). The shapes follow RFC 2132 §2 (lists of
 * addresses, fixed-width big-endian integers, NVT ASCII text, one-octet
 * booleans) and RFC 8415 §21 (IPv6 address lists, UTF-8 text, DNS names
 * in RFC 1035 §3.1 wire form, never compressed, RFC 8415 §10).
 */
import { formatIpv4, parseIpv4 } from './addr.js';
import { decodeDnsNames, decodeUncompressedDnsNames, dnsNameError, encodeDnsNames } from './dns-name.js';
import { formatIpv6Address, parseIpv6Address } from './ipv6-address.js';

export type ParsedValue = { ok: true; bytes: Uint8Array } | { ok: false; error: string };

export interface ValueType {
  /** Name in docs and messages: 'ipv4-list', 'u32', 'domain-list', ... */
  readonly name: string;
  /** What a value looks like, for messages and the README. */
  readonly example: string;
  parse(text: string): ParsedValue;
  format(bytes: Uint8Array): string | undefined;
}

const okBytes = (bytes: Uint8Array): ParsedValue => ({ ok: true, bytes });
const bad = (error: string): ParsedValue => ({ ok: false, error });

/** Items of a list written with commas and/or blanks; empty items are skipped. */
export function items(text: string): string[] {
  return text.split(/[,\s]+/).filter((s) => s !== '');
}

/** A list of fixed-size items: `one` parses one item, `show` formats the `size` octets at an offset. */
function fixedList(
  name: string,
  example: string,
  size: number,
  one: (t: string) => Uint8Array | string,
  show: (b: Uint8Array, off: number) => string,
  single: boolean,
  sep = ',',
): ValueType {
  return {
    name,
    example,
    parse(text) {
      const list = items(text);
      if (list.length === 0) return bad(`expected ${example}`);
      if (single && list.length > 1) return bad(`expected one value (${example}), got ${list.length}`);
      const out = new Uint8Array(size * list.length);
      for (let i = 0; i < list.length; i++) {
        const b = one(list[i]!);
        if (typeof b === 'string') return bad(b);
        out.set(b, size * i);
      }
      return okBytes(out);
    },
    format(b) {
      if (b.length === 0 || b.length % size !== 0 || (single && b.length !== size)) return undefined;
      const out: string[] = [];
      for (let i = 0; i < b.length; i += size) out.push(show(b, i));
      return out.join(sep);
    },
  };
}

const ipv4One = (t: string): Uint8Array | string => parseIpv4(t) ?? `"${t}" is not an IPv4 address`;
const ipv6One = (t: string): Uint8Array | string => (t.includes('%') ? undefined : parseIpv6Address(t)) ?? `"${t}" is not an IPv6 address`;

export const IPV4: ValueType = fixedList('ipv4', 'an IPv4 address', 4, ipv4One, formatIpv4, true);
export const IPV4_LIST: ValueType = fixedList('ipv4-list', 'IPv4 addresses A,B,...', 4, ipv4One, formatIpv4, false);
export const IPV6: ValueType = fixedList('ipv6', 'an IPv6 address', 16, ipv6One, formatIpv6Address, true);
export const IPV6_LIST: ValueType = fixedList('ipv6-list', 'IPv6 addresses A,B,...', 16, ipv6One, formatIpv6Address, false);

/** Pairs of addresses (RFC 2132 §4.3 policy filter: address and mask; §5.8 static routes: destination and router). */
export const IPV4_PAIRS: ValueType = {
  name: 'ipv4-pairs',
  example: 'address pairs "A B, C D"',
  parse(text) {
    const pairs = text.split(',').map((p) => p.trim()).filter((p) => p !== '');
    if (pairs.length === 0) return bad('expected address pairs "A B, C D"');
    const out = new Uint8Array(8 * pairs.length);
    for (let i = 0; i < pairs.length; i++) {
      const two = pairs[i]!.split(/\s+/);
      if (two.length !== 2) return bad(`"${pairs[i]}" is not a pair of IPv4 addresses "A B"`);
      const pair = IPV4_LIST.parse(two.join(','));
      if (!pair.ok) return pair;
      out.set(pair.bytes, 8 * i);
    }
    return okBytes(out);
  },
  format(b) {
    if (b.length === 0 || b.length % 8 !== 0) return undefined;
    const out: string[] = [];
    for (let i = 0; i < b.length; i += 8) out.push(`${formatIpv4(b, i)} ${formatIpv4(b, i + 4)}`);
    return out.join(', ');
  },
};

/** An integer of `size` octets, big-endian (RFC 2132 §2: network byte order); `signed` two's complement. */
function integer(name: string, size: 1 | 2 | 4, signed: boolean, list = false): ValueType {
  const bits = 8 * size;
  const min = signed ? -(2 ** (bits - 1)) : 0;
  const max = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  const range = `${min}..${max}`;
  const one = (t: string): Uint8Array | string => {
    if (!/^-?\d{1,12}$/.test(t)) return `"${t}" is not an integer (${range})`;
    const n = Number(t);
    if (n < min || n > max) return `${t} is outside ${range}`;
    const out = new Uint8Array(size);
    let u = n < 0 ? n + 2 ** bits : n;
    for (let i = size - 1; i >= 0; i--) {
      out[i] = u % 256;
      u = Math.floor(u / 256);
    }
    return out;
  };
  const show = (b: Uint8Array, off: number): string => {
    let u = 0;
    for (let i = 0; i < size; i++) u = u * 256 + b[off + i]!;
    return String(signed && u > max ? u - 2 ** bits : u);
  };
  return fixedList(name, list ? `integers (${range}) N,N,...` : `an integer (${range})`, size, one, show, !list);
}

export const U8: ValueType = integer('u8', 1, false);
export const U16: ValueType = integer('u16', 2, false);
export const U32: ValueType = integer('u32', 4, false);
export const S32: ValueType = integer('s32', 4, true);
export const U16_LIST: ValueType = integer('u16-list', 2, false, true);

/** One octet, 0 or 1 (RFC 2132 §2 "boolean"). Written yes/no as the rest of onlinkd's files. */
export const BOOL: ValueType = {
  name: 'bool',
  example: 'yes or no',
  parse(text) {
    const w = text.trim().toLowerCase();
    if (['1', 'yes', 'true', 'on'].includes(w)) return okBytes(Uint8Array.of(1));
    if (['0', 'no', 'false', 'off'].includes(w)) return okBytes(Uint8Array.of(0));
    return bad(`"${text}" is not yes or no`);
  },
  format: (b) => (b.length === 1 && b[0]! <= 1 ? (b[0] ? 'yes' : 'no') : undefined),
};

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** Text as it would be shown back: valid UTF-8 with no control character, else undefined. */
export function printableText(b: Uint8Array): string | undefined {
  if (b.length === 0) return undefined;
  let s: string;
  try {
    s = utf8Strict.decode(b);
  } catch {
    return undefined;
  }
  // Control characters cannot sit in a one-line value; a BOM would vanish in the decoder.
  return /[\x00-\x1f\x7f-\x9f\ufeff]/.test(s) ? undefined : s;
}

/**
 * Text (RFC 2132 NVT ASCII, RFC 8415 UTF-8): the octets of the UTF-8 text,
 * as written (blanks inside kept). At least one octet (RFC 2132 minimum
 * length 1).
 */
export const TEXT: ValueType = {
  name: 'text',
  example: 'text',
  parse: (text) => (text === '' ? bad('empty text') : okBytes(utf8.encode(text))),
  format: printableText,
};

/** DNS names in RFC 1035 §3.1 wire form, uncompressed on encode; `compressed`: RFC 3397 pointers read on format. */
function domains(name: string, single: boolean, compressed: boolean): ValueType {
  const example = single ? 'a domain name' : 'domain names a.example,b.example';
  return {
    name,
    example,
    parse(text) {
      const names = items(text);
      if (names.length === 0) return bad(`expected ${example}`);
      if (single && names.length > 1) return bad(`expected one domain name, got ${names.length}`);
      for (const n of names) {
        const e = dnsNameError(n);
        if (e !== undefined) return bad(`"${n}" is not a domain name: ${e}`);
      }
      return okBytes(encodeDnsNames(names));
    },
    format(b) {
      const r = compressed ? decodeDnsNames(b) : decodeUncompressedDnsNames(b);
      if (!r.ok || r.value.length === 0 || (single && r.value.length !== 1)) return undefined;
      return r.value.join(',');
    },
  };
}

/** One DNS name (e.g. DHCPv6 AFTR name, RFC 6334 §3). */
export const DOMAIN: ValueType = domains('domain', true, false);
/** A list of DNS names, no compression (DHCPv6: RFC 8415 §10). */
export const DOMAIN_LIST: ValueType = domains('domain-list', false, false);
/** A list of DNS names; compression pointers read (DHCPv4 option 119, RFC 3397 §2), never written. */
export const DOMAIN_LIST_COMPRESSED: ValueType = domains('domain-list', false, true);

/** Opaque octets: only the `hex:` and `text:` forms (catalogue) apply. */
export const OPAQUE: ValueType = {
  name: 'opaque',
  example: 'hex:0a0b0c or text:...',
  parse: () => bad('no typed form: write hex:0a0b0c or text:...'),
  format: () => undefined,
};
