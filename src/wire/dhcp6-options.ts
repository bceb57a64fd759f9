/**
 * Typed DHCPv6 option values (RFC 8415 §21, RFC 3646). A decoded message
 * keeps every option raw (dhcp6.ts), as the DHCPv4 codec does; these
 * codecs turn one raw value into a typed one on demand. A malformed value
 * fails that option (a DecodeError from the codec, undefined from the
 * accessors in dhcp6.ts), never the message.
 *
 * `encode` throws EncodeError on a value outside its type's domain, and
 * its output always decodes back to the same value.
 */
import type { OptionCodec } from './dhcp4-options.js';
import { decodeUncompressedDnsNames, encodeDnsNames } from './dns-name.js';
import { decodeDuid, encodeDuid, type Duid } from './duid.js';
import { formatIpv6Address, putIpv6 } from './ipv6-address.js';
import { u16, u32 } from './reader.js';
import { EncodeError, fail, ok } from './result.js';
import { checkUint, putU16, putU32 } from './writer.js';

export type { OptionCodec } from './dhcp4-options.js';

const LAYER = 'dhcp6-option';

/** Status codes (RFC 8415 §21.13). */
export const Dhcp6Status = {
  Success: 0,
  UnspecFail: 1,
  NoAddrsAvail: 2,
  NoBinding: 3,
  NotOnLink: 4,
  UseMulticast: 5,
  NoPrefixAvail: 6,
} as const;

/** Client/Server Identifier (§21.2, §21.3): a DUID. */
export const duidOption: OptionCodec<Duid> = {
  kind: 'duid',
  decode: (v) => decodeDuid(v),
  encode: (d) => encodeDuid(d),
};

/** Option Request (§21.7): option codes, two octets each (possibly none). */
export const optionRequestOption: OptionCodec<number[]> = {
  kind: 'code-list',
  decode(v) {
    if (v.length % 2 !== 0) return fail(LAYER, 'bad-length', `option request: ${v.length} octets, not even`);
    const codes: number[] = [];
    for (let i = 0; i < v.length; i += 2) codes.push(u16(v, i));
    return ok(codes);
  },
  encode(codes) {
    const out = new Uint8Array(codes.length * 2);
    codes.forEach((c, i) => {
      checkUint(c, 0xffff, LAYER, 'option request code');
      putU16(out, 2 * i, c);
    });
    return out;
  },
};

function fixedUint(size: 2 | 4, kind: string): OptionCodec<number> {
  return {
    kind,
    decode: (v) => (v.length === size ? ok(size === 2 ? u16(v, 0) : u32(v, 0)) : fail(LAYER, 'bad-length', `${kind}: ${v.length} octets, want ${size}`)),
    encode(n) {
      checkUint(n, size === 2 ? 0xffff : 0xffffffff, LAYER, kind);
      const out = new Uint8Array(size);
      if (size === 2) putU16(out, 0, n);
      else putU32(out, 0, n);
      return out;
    },
  };
}

/** Elapsed Time (§21.9): hundredths of a second, 0xffff = longer. */
export const elapsedTimeOption = fixedUint(2, 'elapsed-time');

/** Information Refresh Time (§21.23): seconds. */
export const informationRefreshTimeOption = fixedUint(4, 'refresh-time');

const utf8 = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

/** Status Code (§21.13): a 2-octet code and a UTF-8 message (possibly empty). */
export const statusCodeOption: OptionCodec<{ code: number; message: string }> = {
  kind: 'status-code',
  decode(v) {
    if (v.length < 2) return fail(LAYER, 'bad-length', `status code: ${v.length} octets, want at least 2`);
    return ok({ code: u16(v, 0), message: utf8.decode(v.subarray(2)) });
  },
  encode({ code, message }) {
    checkUint(code, 0xffff, LAYER, 'status code');
    const text = utf8Encoder.encode(message);
    const out = new Uint8Array(2 + text.length);
    putU16(out, 0, code);
    out.set(text, 2);
    return out;
  },
};

/** DNS Recursive Name Servers (RFC 3646 §3; RFC 8415 §21 registry code 23): one or more IPv6 addresses. */
export const dnsServersOption: OptionCodec<string[]> = {
  kind: 'ipv6-list',
  decode(v) {
    if (v.length === 0 || v.length % 16 !== 0) return fail(LAYER, 'bad-length', `ipv6-list: ${v.length} octets, want a positive multiple of 16`);
    const out: string[] = [];
    for (let i = 0; i < v.length; i += 16) out.push(formatIpv6Address(v, i));
    return ok(out);
  },
  encode(list) {
    if (list.length === 0) throw new EncodeError(LAYER, 'empty', 'ipv6-list: no address');
    const out = new Uint8Array(16 * list.length);
    list.forEach((a, i) => putIpv6(out, 16 * i, a, LAYER, 'ipv6-list'));
    return out;
  },
};

/** Domain Search List (RFC 3646 §4): DNS names, never compressed (RFC 8415 §10). */
export const domainListOption: OptionCodec<string[]> = {
  kind: 'domain-list',
  decode(v) {
    const r = decodeUncompressedDnsNames(v);
    if (!r.ok) return r;
    return r.value.length === 0 ? fail(LAYER, 'empty', 'domain-list: no name') : r;
  },
  encode(names) {
    if (names.length === 0) throw new EncodeError(LAYER, 'empty', 'domain-list: no name');
    return encodeDnsNames(names);
  },
};
