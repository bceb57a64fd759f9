/**
 * DHCPv4 options (RFC 2132): typed value codecs, a registry, and the
 * option-area scanner/writer with RFC 3396 concatenation and splitting.
 *
 * Two levels, as in insomniacslk/dhcp and smoltcp: a decoded message keeps
 * every option raw (`[code, bytes]`, unknown codes included, so they
 * survive decode → encode), and the codecs here turn one raw value into a
 * typed one on demand. A malformed value fails *that option* (the codec
 * returns a DecodeError; the accessors in dhcp4.ts return undefined), never
 * the packet. The packet fails only when the option area's TLV structure is
 * broken (an option running past its area).
 *
 * Codec `encode` throws EncodeError on a value outside its type's domain
 * (see result.ts); `encode` output always decodes back to the same value.
 */
import { formatIpv4 } from './addr.js';
import { decodeClasslessRoutes, encodeClasslessRoutes } from './classless-routes.js';
import type { ClasslessRoute } from './dhcp4-types.js';
import { decodeDnsNames, encodeDnsNames } from './dns-name.js';
import { latin1, u16, u32 } from './reader.js';
import { DecodeError, EncodeError, fail, ok, type Decoded } from './result.js';
import { ipv4Value, putU16, putU32 } from './writer.js';

const LAYER = 'dhcp4-option';

/** Decodes and encodes one option's value. */
export interface OptionCodec<T> {
  /** Value kind, for summaries and errors: 'ipv4', 'ipv4-list', 'u32', ... */
  readonly kind: string;
  decode(value: Uint8Array): Decoded<T>;
  encode(value: T): Uint8Array;
}

function wrongLength<T>(kind: string, got: number, want: string): Decoded<T> {
  return fail(LAYER, 'bad-length', `${kind}: ${got} octets, want ${want}`);
}

function ipv4Bytes(text: string, kind: string): Uint8Array {
  const v = ipv4Value(text);
  if (v < 0) throw new EncodeError(LAYER, 'bad-address', `${kind}: ${JSON.stringify(text)}`);
  const out = new Uint8Array(4);
  putU32(out, 0, v);
  return out;
}

function uintBytes(v: number, size: 1 | 2 | 4, kind: string): Uint8Array {
  const max = size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
  if (!Number.isInteger(v) || v < 0 || v > max) throw new EncodeError(LAYER, 'bad-value', `${kind}: ${String(v)}`);
  const out = new Uint8Array(size);
  if (size === 4) putU32(out, 0, v);
  else if (size === 2) putU16(out, 0, v);
  else out[0] = v;
  return out;
}

/** One IPv4 address (subnet mask, server identifier, requested address, ...). */
export const ipv4Option: OptionCodec<string> = {
  kind: 'ipv4',
  decode: (v) => (v.length === 4 ? ok(formatIpv4(v, 0)) : wrongLength('ipv4', v.length, '4')),
  encode: (a) => ipv4Bytes(a, 'ipv4'),
};

/** One or more IPv4 addresses (routers, DNS servers, ...; RFC 2132 "minimum length 4, multiple of 4"). */
export const ipv4ListOption: OptionCodec<string[]> = {
  kind: 'ipv4-list',
  decode(v) {
    if (v.length === 0 || v.length % 4 !== 0) return wrongLength('ipv4-list', v.length, 'a positive multiple of 4');
    const out: string[] = [];
    for (let i = 0; i < v.length; i += 4) out.push(formatIpv4(v, i));
    return ok(out);
  },
  encode(list) {
    if (list.length === 0) throw new EncodeError(LAYER, 'empty', 'ipv4-list: no address');
    const out = new Uint8Array(list.length * 4);
    list.forEach((a, i) => out.set(ipv4Bytes(a, 'ipv4-list'), i * 4));
    return out;
  },
};

export const u8Option: OptionCodec<number> = {
  kind: 'u8',
  decode: (v) => (v.length === 1 ? ok(v[0]!) : wrongLength('u8', v.length, '1')),
  encode: (n) => uintBytes(n, 1, 'u8'),
};

export const u16Option: OptionCodec<number> = {
  kind: 'u16',
  decode: (v) => (v.length === 2 ? ok(u16(v, 0)) : wrongLength('u16', v.length, '2')),
  encode: (n) => uintBytes(n, 2, 'u16'),
};

export const u32Option: OptionCodec<number> = {
  kind: 'u32',
  decode: (v) => (v.length === 4 ? ok(u32(v, 0)) : wrongLength('u32', v.length, '4')),
  encode: (n) => uintBytes(n, 4, 'u32'),
};

/**
 * NVT ASCII text (host name, domain name, vendor class, message). One char
 * per octet (ISO 8859-1), so any octets round-trip. Trailing NULs are
 * dropped on decode (RFC 2132 §2: "The receiver ... MUST be prepared to
 * delete trailing NULLs"); a value that is empty after that is an error
 * (these options have minimum length 1). Encode refuses '', a trailing NUL
 * (it would not survive decode) and chars above U+00FF.
 */
export const stringOption: OptionCodec<string> = {
  kind: 'string',
  decode(v) {
    let end = v.length;
    while (end > 0 && v[end - 1] === 0) end--;
    if (end === 0) return fail(LAYER, 'empty', 'string: no text');
    return ok(latin1(v, 0, end));
  },
  encode(s) {
    if (s.length === 0) throw new EncodeError(LAYER, 'empty', 'string: empty');
    if (s.charCodeAt(s.length - 1) === 0) throw new EncodeError(LAYER, 'bad-value', 'string: trailing NUL');
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 0xff) throw new EncodeError(LAYER, 'bad-value', `string: char U+${c.toString(16)} at ${i}`);
      out[i] = c;
    }
    return out;
  },
};

/** Opaque octets, any length (unknown options, relay agent information, ...). Decode returns a view. */
export const bytesOption: OptionCodec<Uint8Array> = {
  kind: 'bytes',
  decode: (v) => ok(v),
  encode: (b) => b.slice(),
};

/**
 * Client identifier (RFC 2132 §9.14, minimum length 2: type octet + id),
 * kept as raw octets: RFC 6842 §3 makes the server echo it back unchanged.
 * Decode returns a view into the message.
 */
export const clientIdOption: OptionCodec<Uint8Array> = {
  kind: 'client-id',
  decode: (v) => (v.length >= 2 ? ok(v) : wrongLength('client-id', v.length, 'at least 2')),
  encode(b) {
    if (b.length < 2) throw new EncodeError(LAYER, 'bad-value', `client-id: ${b.length} octets, want at least 2`);
    return b.slice();
  },
};

/** Parameter request list (RFC 2132 §9.8): option codes, in the client's order (which is not a contract). */
export const parameterRequestListOption: OptionCodec<number[]> = {
  kind: 'code-list',
  decode: (v) => (v.length >= 1 ? ok(Array.from(v)) : wrongLength('code-list', 0, 'at least 1')),
  encode(codes) {
    if (codes.length === 0) throw new EncodeError(LAYER, 'empty', 'code-list: no code');
    const out = new Uint8Array(codes.length);
    codes.forEach((c, i) => {
      if (!Number.isInteger(c) || c < 0 || c > 255) throw new EncodeError(LAYER, 'bad-value', `code-list: ${String(c)}`);
      out[i] = c;
    });
    return out;
  },
};

/** DHCP message type (RFC 2132 §9.6): one octet, 1..255 (1..8 from RFC 2132, more from later RFCs). */
export const messageTypeOption: OptionCodec<number> = {
  kind: 'message-type',
  decode(v) {
    if (v.length !== 1) return wrongLength('message-type', v.length, '1');
    return v[0] === 0 ? fail(LAYER, 'bad-value', 'message-type 0') : ok(v[0]!);
  },
  encode(t) {
    if (t === 0) throw new EncodeError(LAYER, 'bad-value', 'message-type 0');
    return uintBytes(t, 1, 'message-type');
  },
};

/** Domain search list (RFC 3397): DNS names, compression allowed on decode, none on encode. */
export const domainSearchOption: OptionCodec<string[]> = {
  kind: 'domain-list',
  decode: (v) => decodeDnsNames(v),
  encode: (names) => encodeDnsNames(names),
};

/** Classless static routes (RFC 3442): the codec of options 121 and 249. */
export const classlessRoutesOption: OptionCodec<ClasslessRoute[]> = {
  kind: 'classless-routes',
  decode: (v) => decodeClasslessRoutes(v),
  encode: (routes) => encodeClasslessRoutes(routes),
};

export interface Dhcp4OptionInfo {
  name: string;
  codec: OptionCodec<unknown>;
}

function info<T>(name: string, codec: OptionCodec<T>): Dhcp4OptionInfo {
  return { name, codec: codec as OptionCodec<unknown> };
}

/**
 * The options onlinkd knows the shape of (IANA "BOOTP Vendor Extensions and
 * DHCP Options"). Anything else is `bytesOption`. Used by summaries and by
 * `decodeOptionValue`; responders use the codecs directly.
 */
export const DHCP4_OPTIONS: ReadonlyMap<number, Dhcp4OptionInfo> = new Map([
  [1, info('subnet-mask', ipv4Option)],
  [3, info('router', ipv4ListOption)],
  [6, info('domain-name-server', ipv4ListOption)],
  [12, info('host-name', stringOption)],
  [15, info('domain-name', stringOption)],
  [26, info('interface-mtu', u16Option)],
  [28, info('broadcast-address', ipv4Option)],
  [42, info('ntp-servers', ipv4ListOption)],
  [50, info('requested-ip-address', ipv4Option)],
  [51, info('lease-time', u32Option)],
  [52, info('option-overload', u8Option)],
  [53, info('message-type', messageTypeOption)],
  [54, info('server-identifier', ipv4Option)],
  [55, info('parameter-request-list', parameterRequestListOption)],
  [56, info('message', stringOption)],
  [57, info('max-message-size', u16Option)],
  [58, info('renewal-time', u32Option)],
  [59, info('rebinding-time', u32Option)],
  [60, info('vendor-class-identifier', stringOption)],
  [61, info('client-identifier', clientIdOption)],
  [81, info('client-fqdn', bytesOption)],
  [82, info('relay-agent-information', bytesOption)],
  [119, info('domain-search', domainSearchOption)],
  [121, info('classless-static-route', classlessRoutesOption)],
  [249, info('ms-classless-static-route', classlessRoutesOption)],
]);

export function dhcp4OptionName(code: number): string {
  return DHCP4_OPTIONS.get(code)?.name ?? `option-${code}`;
}

/** Decodes a raw value with the registry's codec for `code` (bytesOption when unknown). */
export function decodeOptionValue(code: number, value: Uint8Array): Decoded<unknown> {
  return (DHCP4_OPTIONS.get(code)?.codec ?? bytesOption).decode(value);
}

/** `[code, codec.encode(value)]`: a typed option ready for `Dhcp4Message.options`. */
export function dhcp4Option<T>(code: number, codec: OptionCodec<T>, value: T): [number, Uint8Array] {
  if (!Number.isInteger(code) || code < 1 || code > 254) throw new EncodeError(LAYER, 'bad-code', String(code));
  return [code, codec.encode(value)];
}

// ---------------------------------------------------------------------------
// Option areas

export const OPTION_PAD = 0;
export const OPTION_END = 255;
/** Largest value one TLV carries; longer values are split (RFC 3396 §5). */
export const OPTION_MAX_CHUNK = 255;

/**
 * Gathers options from one or more areas in the order first seen, joining
 * repeated codes in order of appearance (RFC 3396 §6: "the contents ... are
 * concatenated together", options field first, then file, then sname).
 * Repeats are kept as lists and joined once in `finish`, so hostile input
 * with thousands of repeats costs linear time.
 */
const LINEAR_MAX = 16;

export class OptionCollector {
  /** code → position in `codes`; built only past LINEAR_MAX codes (a real client sends about ten,
   * and a 512-octet table per decoded frame was measurable garbage). */
  private index: Int16Array | undefined;
  private readonly codes: number[] = [];
  private readonly parts: Array<Uint8Array | Uint8Array[]> = [];

  private find(code: number): number {
    if (this.index) return this.index[code]!;
    const codes = this.codes;
    for (let i = 0; i < codes.length; i++) if (codes[i] === code) return i;
    return -1;
  }

  add(code: number, value: Uint8Array): void {
    const at = this.find(code);
    if (at < 0) {
      if (this.index) this.index[code] = this.codes.length;
      else if (this.codes.length === LINEAR_MAX) {
        // Hostile input may carry all 254 codes: from here on a lookup is O(1).
        this.index = new Int16Array(256).fill(-1);
        for (let i = 0; i < this.codes.length; i++) this.index[this.codes[i]!] = i;
        this.index[code] = this.codes.length;
      }
      this.codes.push(code);
      this.parts.push(value);
      return;
    }
    const cur = this.parts[at]!;
    if (Array.isArray(cur)) cur.push(value);
    else this.parts[at] = [cur, value];
  }

  has(code: number): boolean {
    return this.find(code) >= 0;
  }

  /** The (joined) value of `code`, or undefined. */
  get(code: number): Uint8Array | undefined {
    const at = this.find(code);
    return at < 0 ? undefined : join(this.parts[at]!);
  }

  /** Every option in first-seen order, except `omit`. */
  finish(omit = -1): Array<[number, Uint8Array]> {
    const out: Array<[number, Uint8Array]> = [];
    for (let i = 0; i < this.codes.length; i++) {
      const code = this.codes[i]!;
      if (code !== omit) out.push([code, join(this.parts[i]!)]);
    }
    return out;
  }
}

function join(p: Uint8Array | Uint8Array[]): Uint8Array {
  if (!Array.isArray(p)) return p;
  let n = 0;
  for (const c of p) n += c.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of p) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/**
 * Scans the TLVs of `bytes[start, end)` into `into`: Pad (0) octets are
 * skipped, End (255) stops the scan, a missing End is tolerated at the end
 * of the area. Options whose code is `skip` are dropped (option 52 outside
 * the options field). Returns a DecodeError when an option runs past the
 * area, else undefined.
 */
export function scanOptionArea(
  bytes: Uint8Array,
  start: number,
  end: number,
  into: OptionCollector,
  layer = 'dhcp4',
  area = 'options',
  skip = -1,
): DecodeError | undefined {
  const stop = Math.min(end, bytes.length);
  let i = start;
  while (i < stop) {
    const code = bytes[i]!;
    if (code === OPTION_PAD) {
      i++;
      continue;
    }
    if (code === OPTION_END) return undefined;
    if (i + 1 >= stop) return new DecodeError(layer, 'truncated-option', `${area}: option ${code} has no length octet`);
    const len = bytes[i + 1]!;
    if (i + 2 + len > stop) {
      return new DecodeError(layer, 'truncated-option', `${area}: option ${code} length ${len} runs past the area`);
    }
    if (code !== skip) into.add(code, bytes.subarray(i + 2, i + 2 + len));
    i += 2 + len;
  }
  return undefined;
}

/** One standalone option area (no overload), e.g. for tests and tools. */
export function decodeOptionArea(bytes: Uint8Array): Decoded<Array<[number, Uint8Array]>> {
  const c = new OptionCollector();
  const err = scanOptionArea(bytes, 0, bytes.length, c);
  return err ? { ok: false, error: err } : ok(c.finish());
}

/** Octets a value of `valueLength` takes on the wire once split into ≤255-octet TLVs (RFC 3396). */
export function optionWireLength(valueLength: number): number {
  return valueLength === 0 ? 2 : valueLength + 2 * Math.ceil(valueLength / OPTION_MAX_CHUNK);
}

/** Throws EncodeError unless `code` may appear as an option (1..254) and `value` is bytes. */
export function checkOptionCode(code: number, layer = 'dhcp4'): void {
  if (!Number.isInteger(code) || code < 1 || code > 254) {
    throw new EncodeError(layer, 'bad-option', `code ${String(code)} (Pad and End are written by the encoder)`);
  }
}

/**
 * Writes one option at `out[offset]`, split into as many TLVs of at most
 * 255 octets as it needs (RFC 3396 §5), and returns the octets written.
 */
export function writeOption(code: number, value: Uint8Array, out: Uint8Array, offset: number): number {
  let p = offset;
  let v = 0;
  do {
    const n = Math.min(OPTION_MAX_CHUNK, value.length - v);
    out[p] = code;
    out[p + 1] = n;
    out.set(value.subarray(v, v + n), p + 2);
    p += 2 + n;
    v += n;
  } while (v < value.length);
  return p - offset;
}

/** A standalone option area: every option (split as needed), then End. Throws EncodeError on a bad code. */
export function encodeOptionArea(options: ReadonlyArray<readonly [number, Uint8Array]>): Uint8Array {
  let n = 1;
  for (const [code, value] of options) {
    checkOptionCode(code);
    n += optionWireLength(value.length);
  }
  const out = new Uint8Array(n);
  let p = 0;
  for (const [code, value] of options) p += writeOption(code, value, out, p);
  out[p] = OPTION_END;
  return out;
}

// ---------------------------------------------------------------------------
// Shorthands for building replies: `[Dhcp4Option.Router, encodeIpv4List([gw])]`.
// Each throws EncodeError on a value outside its codec's domain.

export const encodeU8 = (n: number): Uint8Array => u8Option.encode(n);
export const encodeU16 = (n: number): Uint8Array => u16Option.encode(n);
export const encodeU32 = (n: number): Uint8Array => u32Option.encode(n);
export const encodeIpv4 = (address: string): Uint8Array => ipv4Option.encode(address);
export const encodeIpv4List = (addresses: readonly string[]): Uint8Array => ipv4ListOption.encode([...addresses]);
export const encodeString = (text: string): Uint8Array => stringOption.encode(text);
export const encodeDomainSearch = (names: readonly string[]): Uint8Array => domainSearchOption.encode([...names]);
export { encodeClasslessRoutes } from './classless-routes.js';
