/**
 * Identity associations and what they carry (RFC 8415 §21.4–§21.6,
 * §21.21, §21.22): IA_NA and IA_PD (IAID, T1, T2, options), IA_TA (IAID,
 * options), IA Address (address, preferred and valid lifetimes, options)
 * and IA Prefix (lifetimes, prefix length, prefix, options).
 *
 *   IA_NA / IA_PD: IAID(32) T1(32) T2(32) options...
 *   IA_TA:         IAID(32) options...
 *   IAADDR (5):    address(128) preferred(32) valid(32) options...
 *   IAPREFIX (26): preferred(32) valid(32) prefix-length(8) prefix(128) options...
 *
 * Nested options stay raw (`[code, value]`, views into the input), as the
 * message's own do (dhcp6.ts): a responder reads the addresses, prefixes
 * and status it needs and leaves the rest. Decoders take hostile input: a
 * short value or an option past the end is a DecodeError, never a throw.
 * Encoders throw EncodeError on values outside their domain (a bug in the
 * caller: values come from a validated binding or a decoder), and their
 * output decodes back to the same value.
 */
import { Dhcp6Option, dhcp6OptionsLength, putDhcp6Options } from './dhcp6.js';
import { u16, u32 } from './reader.js';
import { EncodeError, fail, ok, type Decoded } from './result.js';
import { checkUint, putU16, putU32 } from './writer.js';

const LAYER = 'dhcp6-ia';
const OPTION_HEADER_LENGTH = 4;

/** Fixed parts (§21.4, §21.5, §21.6, §21.21, §21.22). */
export const IA_NA_HEADER_LENGTH = 12;
export const IA_TA_HEADER_LENGTH = 4;
export const IA_ADDRESS_LENGTH = 24;
export const IA_PREFIX_LENGTH = 25;

export type RawOptions = Array<[code: number, value: Uint8Array]>;

/** IA_NA (3), IA_TA (4) or IA_PD (25); `t1`/`t2` are 0 for IA_TA, which has none. */
export interface IdentityAssociation {
  code: typeof Dhcp6Option.IaNa | typeof Dhcp6Option.IaTa | typeof Dhcp6Option.IaPd;
  iaid: number;
  t1: number;
  t2: number;
  options: RawOptions;
}

export interface IaAddress {
  /** 16 octets (a view of the input when decoded). */
  address: Uint8Array;
  preferredLifetime: number;
  validLifetime: number;
  options: RawOptions;
}

export interface IaPrefix {
  preferredLifetime: number;
  validLifetime: number;
  /** 0..128 (RFC 8415 §21.22: the prefix's length in bits). */
  prefixLength: number;
  /** 16 octets. */
  prefix: Uint8Array;
  options: RawOptions;
}

/** Options packed in `bytes` from `off` to the end (§21.1's layout); fails on a truncated one. */
export function decodeOptionList(bytes: Uint8Array, off: number, where: string): Decoded<RawOptions> {
  const out: RawOptions = [];
  while (off < bytes.length) {
    if (bytes.length - off < OPTION_HEADER_LENGTH) return fail(LAYER, 'truncated-option', `${where}: ${bytes.length - off} octet(s) at ${off}`);
    const code = u16(bytes, off);
    const len = u16(bytes, off + 2);
    const start = off + OPTION_HEADER_LENGTH;
    if (start + len > bytes.length) return fail(LAYER, 'truncated-option', `${where}: option ${code} of ${len} octets at ${off}`);
    out.push([code, bytes.subarray(start, start + len)]);
    off = start + len;
  }
  return ok(out);
}

function checkAddress(a: Uint8Array, field: string): void {
  if (a.length !== 16) throw new EncodeError(LAYER, 'bad-address', `${field}: ${a.length} octets, want 16`);
}

/** Decodes the value of option `code` (3, 4 or 25). */
export function decodeIa(code: number, v: Uint8Array): Decoded<IdentityAssociation> {
  if (code !== Dhcp6Option.IaNa && code !== Dhcp6Option.IaTa && code !== Dhcp6Option.IaPd) return fail(LAYER, 'not-an-ia', `option ${code}`);
  const header = code === Dhcp6Option.IaTa ? IA_TA_HEADER_LENGTH : IA_NA_HEADER_LENGTH;
  if (v.length < header) return fail(LAYER, 'truncated', `IA option ${code}: ${v.length} < ${header} octets`);
  const options = decodeOptionList(v, header, `IA option ${code}`);
  if (!options.ok) return options;
  const timers = header === IA_NA_HEADER_LENGTH;
  return ok({ code, iaid: u32(v, 0), t1: timers ? u32(v, 4) : 0, t2: timers ? u32(v, 8) : 0, options: options.value });
}

export function encodeIa(ia: IdentityAssociation): Uint8Array {
  const header = ia.code === Dhcp6Option.IaTa ? IA_TA_HEADER_LENGTH : IA_NA_HEADER_LENGTH;
  checkUint(ia.iaid, 0xffffffff, LAYER, 'iaid');
  checkUint(ia.t1, 0xffffffff, LAYER, 't1');
  checkUint(ia.t2, 0xffffffff, LAYER, 't2');
  if (header === IA_TA_HEADER_LENGTH && (ia.t1 !== 0 || ia.t2 !== 0)) throw new EncodeError(LAYER, 'ia-ta-timers', 'IA_TA has no T1/T2');
  const out = new Uint8Array(header + dhcp6OptionsLength(ia.options));
  putU32(out, 0, ia.iaid);
  if (header === IA_NA_HEADER_LENGTH) {
    putU32(out, 4, ia.t1);
    putU32(out, 8, ia.t2);
  }
  putDhcp6Options(out, header, ia.options, LAYER);
  return out;
}

export function decodeIaAddress(v: Uint8Array): Decoded<IaAddress> {
  if (v.length < IA_ADDRESS_LENGTH) return fail(LAYER, 'truncated', `IA Address: ${v.length} < ${IA_ADDRESS_LENGTH} octets`);
  const options = decodeOptionList(v, IA_ADDRESS_LENGTH, 'IA Address');
  if (!options.ok) return options;
  return ok({ address: v.subarray(0, 16), preferredLifetime: u32(v, 16), validLifetime: u32(v, 20), options: options.value });
}

export function encodeIaAddress(a: IaAddress): Uint8Array {
  checkAddress(a.address, 'IA Address');
  checkUint(a.preferredLifetime, 0xffffffff, LAYER, 'preferred lifetime');
  checkUint(a.validLifetime, 0xffffffff, LAYER, 'valid lifetime');
  const out = new Uint8Array(IA_ADDRESS_LENGTH + dhcp6OptionsLength(a.options));
  out.set(a.address, 0);
  putU32(out, 16, a.preferredLifetime);
  putU32(out, 20, a.validLifetime);
  putDhcp6Options(out, IA_ADDRESS_LENGTH, a.options, LAYER);
  return out;
}

export function decodeIaPrefix(v: Uint8Array): Decoded<IaPrefix> {
  if (v.length < IA_PREFIX_LENGTH) return fail(LAYER, 'truncated', `IA Prefix: ${v.length} < ${IA_PREFIX_LENGTH} octets`);
  const prefixLength = v[8]!;
  if (prefixLength > 128) return fail(LAYER, 'bad-prefix-length', `IA Prefix: length ${prefixLength}`);
  const options = decodeOptionList(v, IA_PREFIX_LENGTH, 'IA Prefix');
  if (!options.ok) return options;
  return ok({ preferredLifetime: u32(v, 0), validLifetime: u32(v, 4), prefixLength, prefix: v.subarray(9, 25), options: options.value });
}

export function encodeIaPrefix(p: IaPrefix): Uint8Array {
  checkAddress(p.prefix, 'IA Prefix');
  checkUint(p.preferredLifetime, 0xffffffff, LAYER, 'preferred lifetime');
  checkUint(p.validLifetime, 0xffffffff, LAYER, 'valid lifetime');
  checkUint(p.prefixLength, 128, LAYER, 'prefix length');
  const out = new Uint8Array(IA_PREFIX_LENGTH + dhcp6OptionsLength(p.options));
  putU32(out, 0, p.preferredLifetime);
  putU32(out, 4, p.validLifetime);
  out[8] = p.prefixLength;
  out.set(p.prefix, 9);
  putDhcp6Options(out, IA_PREFIX_LENGTH, p.options, LAYER);
  return out;
}

/** Every IA option of a message, decoded; malformed ones are left out (and counted in `malformed`). */
export function identityAssociations(options: RawOptions): { ias: IdentityAssociation[]; malformed: number } {
  const ias: IdentityAssociation[] = [];
  let malformed = 0;
  for (const [code, v] of options) {
    if (code !== Dhcp6Option.IaNa && code !== Dhcp6Option.IaTa && code !== Dhcp6Option.IaPd) continue;
    const r = decodeIa(code, v);
    if (r.ok) ias.push(r.value);
    else malformed++;
  }
  return { ias, malformed };
}

/** The IA Address options of an IA_NA/IA_TA that decode (a malformed one names no address the client holds). */
export function iaAddresses(ia: Pick<IdentityAssociation, 'options'>): IaAddress[] {
  const out: IaAddress[] = [];
  for (const [code, v] of ia.options) {
    if (code !== Dhcp6Option.IaAddr) continue;
    const r = decodeIaAddress(v);
    if (r.ok) out.push(r.value);
  }
  return out;
}

/** The IA Prefix options of an IA_PD that decode. */
export function iaPrefixes(ia: Pick<IdentityAssociation, 'options'>): IaPrefix[] {
  const out: IaPrefix[] = [];
  for (const [code, v] of ia.options) {
    if (code !== Dhcp6Option.IaPrefix) continue;
    const r = decodeIaPrefix(v);
    if (r.ok) out.push(r.value);
  }
  return out;
}
