/**
 * DHCPv4 options (RFC 2132): typed value codecs, a registry, and the
 * option-area scanner/writer with RFC 3396 concatenation and splitting.
 *
 * The option-area scanner and writer are in dhcp4-option-area.ts
 * (re-exported here).
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
import { EncodeError, fail, ok, type Decoded } from './result.js';
import { ipv4Value, putU16, putU32 } from './writer.js';

export {
  OPTION_END,
  OPTION_MAX_CHUNK,
  OPTION_PAD,
  OptionCollector,
  checkOptionCode,
  decodeOptionArea,
  encodeOptionArea,
  optionWireLength,
  scanOptionArea,
  writeOption,
} from './dhcp4-option-area.js';

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

/** One IPv4 address as uint32: the form the responder compares (requested address, server identifier). */
export const ipv4ValueOption: OptionCodec<number> = {
  kind: 'ipv4',
  decode: (v) => (v.length === 4 ? ok(u32(v, 0)) : wrongLength('ipv4', v.length, '4')),
  encode: (a) => uintBytes(a, 4, 'ipv4'),
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
