/**
 * DHCPv6 client/server messages (RFC 8415 §8):
 *
 *  0   msg-type(8) | transaction-id(24)
 *  4   options: option-code(16) | option-len(16) | value ...
 *
 * Options are kept raw, in the order received, duplicates included
 * (`[code, value]`, values are views into the input), so unknown options
 * survive decode → encode and a responder can ask "is there *any* server
 * identifier" rather than trusting the first. Accessors below read the
 * first occurrence unless they say otherwise. Options nested inside
 * IA_NA/IA_TA/IA_PD are not looked into: onlinkd only needs to know that
 * an IA is present.
 *
 * Relay-forward/relay-reply (types 12, 13) have another layout (§9) and
 * are refused ('relay-message'): onlinkd serves guests on their own link
 * and is never behind a relay.
 */
import { optionRequestOption, elapsedTimeOption, informationRefreshTimeOption, type OptionCodec } from './dhcp6-options.js';
import { formatDuid } from './duid.js';
import { u16 } from './reader.js';
import { EncodeError, fail, ok, type Decoded } from './result.js';
import { checkUint, putU16, putU32 } from './writer.js';

const LAYER = 'dhcp6';

/** Message types (RFC 8415 §7.3). */
export const Dhcp6MessageType = {
  Solicit: 1,
  Advertise: 2,
  Request: 3,
  Confirm: 4,
  Renew: 5,
  Rebind: 6,
  Reply: 7,
  Release: 8,
  Decline: 9,
  Reconfigure: 10,
  InformationRequest: 11,
  RelayForward: 12,
  RelayReply: 13,
} as const;

/** Option codes onlinkd reads or writes (RFC 8415 §21, RFC 3646, IANA "DHCPv6 Option Codes"). */
export const Dhcp6Option = {
  ClientId: 1,
  ServerId: 2,
  IaNa: 3,
  IaTa: 4,
  IaAddr: 5,
  OptionRequest: 6,
  Preference: 7,
  ElapsedTime: 8,
  StatusCode: 13,
  RapidCommit: 14,
  UserClass: 15,
  VendorClass: 16,
  DnsServers: 23,
  DomainList: 24,
  IaPd: 25,
  IaPrefix: 26,
  InformationRefreshTime: 32,
  BootfileUrl: 59, // RFC 5970
  SolMaxRt: 82,
  InfMaxRt: 83,
  CaptivePortal: 103, // RFC 8910
} as const;

/** Client and server ports (RFC 8415 §7.2). */
export const DHCP6_CLIENT_PORT = 546;
export const DHCP6_SERVER_PORT = 547;
export const DHCP6_HEADER_LENGTH = 4;
const OPTION_HEADER_LENGTH = 4;

export interface Dhcp6Message {
  msgType: number;
  /** 24-bit transaction id (0..0xffffff). */
  transactionId: number;
  options: Array<[code: number, value: Uint8Array]>;
}

// ---------------------------------------------------------------------------
// Decode / encode

/** Decodes a client/server message. Fails on fewer than 4 octets, a relay message, or an option past the end. */
export function decodeDhcp6(bytes: Uint8Array): Decoded<Dhcp6Message> {
  if (bytes.length < DHCP6_HEADER_LENGTH) return fail(LAYER, 'truncated', `${bytes.length} < ${DHCP6_HEADER_LENGTH} octets`);
  const msgType = bytes[0]!;
  if (msgType === Dhcp6MessageType.RelayForward || msgType === Dhcp6MessageType.RelayReply) {
    return fail(LAYER, 'relay-message', `message type ${msgType}`);
  }
  const options: Array<[number, Uint8Array]> = [];
  let off = DHCP6_HEADER_LENGTH;
  while (off < bytes.length) {
    if (bytes.length - off < OPTION_HEADER_LENGTH) return fail(LAYER, 'truncated-option', `${bytes.length - off} octet(s) at offset ${off}`);
    const code = u16(bytes, off);
    const len = u16(bytes, off + 2);
    const start = off + OPTION_HEADER_LENGTH;
    if (start + len > bytes.length) return fail(LAYER, 'truncated-option', `option ${code} of ${len} octets at offset ${off}`);
    options.push([code, bytes.subarray(start, start + len)]);
    off = start + len;
  }
  return ok({ msgType, transactionId: (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!, options });
}

export function dhcp6MessageLength(msg: Pick<Dhcp6Message, 'options'>): number {
  return DHCP6_HEADER_LENGTH + dhcp6OptionsLength(msg.options);
}

/** Octets of options packed one after another (§21.1): a message's, or those inside an IA option. */
export function dhcp6OptionsLength(options: ReadonlyArray<readonly [number, Uint8Array]>): number {
  let n = 0;
  for (const [, v] of options) n += OPTION_HEADER_LENGTH + v.length;
  return n;
}

/** Writes `options` from `out[off]` in order; returns the offset after them. Throws EncodeError (under `layer`). */
export function putDhcp6Options(out: Uint8Array, off: number, options: ReadonlyArray<readonly [number, Uint8Array]>, layer = LAYER): number {
  for (const [code, v] of options) {
    checkUint(code, 0xffff, layer, 'option code');
    if (v.length > 0xffff) throw new EncodeError(layer, 'too-big', `option ${code} of ${v.length} octets`);
    putU16(out, off, code);
    putU16(out, off + 2, v.length);
    out.set(v, off + OPTION_HEADER_LENGTH);
    off += OPTION_HEADER_LENGTH + v.length;
  }
  return off;
}

/** Writes the message at `out[offset]`, options in array order; returns its length. Throws EncodeError. */
export function encodeDhcp6Into(msg: Dhcp6Message, out: Uint8Array, offset = 0): number {
  checkUint(msg.msgType, 0xff, LAYER, 'msgType');
  if (msg.msgType === Dhcp6MessageType.RelayForward || msg.msgType === Dhcp6MessageType.RelayReply) {
    throw new EncodeError(LAYER, 'relay-message', 'relay messages have another layout');
  }
  checkUint(msg.transactionId, 0xffffff, LAYER, 'transactionId');
  const len = dhcp6MessageLength(msg);
  if (out.length - offset < len) throw new EncodeError(LAYER, 'buffer-too-small');
  putU32(out, offset, ((msg.msgType << 24) | msg.transactionId) >>> 0);
  putDhcp6Options(out, offset + DHCP6_HEADER_LENGTH, msg.options);
  return len;
}

export function encodeDhcp6(msg: Dhcp6Message): Uint8Array {
  const out = new Uint8Array(dhcp6MessageLength(msg));
  encodeDhcp6Into(msg, out, 0);
  return out;
}

// ---------------------------------------------------------------------------
// Accessors

/** The first value of option `code`, or undefined. */
export function getDhcp6Option(msg: Pick<Dhcp6Message, 'options'>, code: number): Uint8Array | undefined {
  for (const [c, v] of msg.options) if (c === code) return v;
  return undefined;
}

/** Every value of option `code`, in order. */
export function getDhcp6Options(msg: Pick<Dhcp6Message, 'options'>, code: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const [c, v] of msg.options) if (c === code) out.push(v);
  return out;
}

export function hasDhcp6Option(msg: Pick<Dhcp6Message, 'options'>, code: number): boolean {
  for (const [c] of msg.options) if (c === code) return true;
  return false;
}

/** Typed first value of option `code` through `codec`; undefined when missing or malformed. */
export function getTypedDhcp6Option<T>(msg: Pick<Dhcp6Message, 'options'>, code: number, codec: OptionCodec<T>): T | undefined {
  const raw = getDhcp6Option(msg, code);
  if (raw === undefined) return undefined;
  const r = codec.decode(raw);
  return r.ok ? r.value : undefined;
}

/** Option 1, raw (a DUID, echoed unchanged: RFC 8415 §18.3.6). A view: copy it to keep it. */
export function clientIdentifier(msg: Pick<Dhcp6Message, 'options'>): Uint8Array | undefined {
  return getDhcp6Option(msg, Dhcp6Option.ClientId);
}

/** Option 2, raw (first occurrence). */
export function serverIdentifier(msg: Pick<Dhcp6Message, 'options'>): Uint8Array | undefined {
  return getDhcp6Option(msg, Dhcp6Option.ServerId);
}

/** Whether the message asks for addresses or prefixes: any IA_NA, IA_TA or IA_PD option. */
export function hasIdentityAssociation(msg: Pick<Dhcp6Message, 'options'>): boolean {
  for (const [c] of msg.options) {
    if (c === Dhcp6Option.IaNa || c === Dhcp6Option.IaTa || c === Dhcp6Option.IaPd) return true;
  }
  return false;
}

/** Option 6: the codes the client asks for. */
export function optionRequestList(msg: Pick<Dhcp6Message, 'options'>): number[] | undefined {
  return getTypedDhcp6Option(msg, Dhcp6Option.OptionRequest, optionRequestOption);
}

/** Option 8, hundredths of a second. */
export function elapsedTime(msg: Pick<Dhcp6Message, 'options'>): number | undefined {
  return getTypedDhcp6Option(msg, Dhcp6Option.ElapsedTime, elapsedTimeOption);
}

/** Option 32, seconds. */
export function informationRefreshTime(msg: Pick<Dhcp6Message, 'options'>): number | undefined {
  return getTypedDhcp6Option(msg, Dhcp6Option.InformationRefreshTime, informationRefreshTimeOption);
}

const TYPE_NAMES: Record<number, string> = {
  1: 'solicit',
  2: 'advertise',
  3: 'request',
  4: 'confirm',
  5: 'renew',
  6: 'rebind',
  7: 'reply',
  8: 'release',
  9: 'decline',
  10: 'reconfigure',
  11: 'information-request',
  12: 'relay-forward',
  13: 'relay-reply',
};

/** 'information-request', 'solicit', ... or 'type-N'. */
export function dhcp6MessageTypeName(t: number): string {
  return TYPE_NAMES[t] ?? `type-${t}`;
}

/** One line for debug logs: type, transaction id, client DUID, option codes. */
export function summarizeDhcp6(msg: Dhcp6Message): string {
  const cid = clientIdentifier(msg);
  return (
    `${dhcp6MessageTypeName(msg.msgType)} xid=0x${msg.transactionId.toString(16).padStart(6, '0')}` +
    (cid ? ` client=${formatDuid(cid)}` : '') +
    ` options=[${msg.options.map(([c]) => c).join(',')}]`
  );
}
