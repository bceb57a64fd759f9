/**
 * DHCPv4 messages (RFC 2131 §2, over the BOOTP layout of RFC 951).
 *
 *  0      op | htype | hlen | hops
 *  4      xid
 *  8      secs | flags
 *  12     ciaddr    16 yiaddr    20 siaddr    24 giaddr
 *  28     chaddr (16)
 *  44     sname (64)
 *  108    file (128)
 *  236    magic cookie 99.130.83.99
 *  240    options ... End
 *
 * Decoding gathers options from the options field, then (option overload,
 * RFC 2132 §9.3) from `file`, then from `sname`, joining repeated codes
 * (RFC 3396). Option 52 itself is consumed: it never appears in
 * `Dhcp4Message.options`, and the encoder writes it when it needs it.
 *
 * The encoder is in dhcp4-encode.ts (re-exported here), the layout
 * constants in dhcp4-layout.ts.
 */
import { formatIpv4, formatMac, numberToIpv4 } from './addr.js';
import {
  OptionCollector,
  clientIdOption,
  ipv4Option,
  ipv4ValueOption,
  messageTypeOption,
  parameterRequestListOption,
  stringOption,
  u16Option,
  u32Option,
  type OptionCodec,
} from './dhcp4-options.js';
import { scanOptionArea } from './dhcp4-option-area.js';
import {
  DHCP4_COOKIE_OFFSET,
  DHCP4_DEFAULT_MAX_LENGTH,
  DHCP4_FILE_LENGTH,
  DHCP4_FILE_OFFSET,
  DHCP4_LAYER as LAYER,
  DHCP4_MAGIC_COOKIE,
  DHCP4_MAX_HLEN,
  DHCP4_OPTIONS_OFFSET,
  DHCP4_SNAME_LENGTH,
  DHCP4_SNAME_OFFSET,
  OVERLOAD_FILE,
  OVERLOAD_SNAME,
} from './dhcp4-layout.js';
import { Dhcp4MessageType, Dhcp4Option, type Dhcp4Message } from './dhcp4-types.js';
import { cString, u16, u32 } from './reader.js';
import { fail, ok, type Decoded } from './result.js';

export {
  DHCP4_COOKIE_OFFSET,
  DHCP4_DEFAULT_MAX_LENGTH,
  DHCP4_FILE_LENGTH,
  DHCP4_FILE_OFFSET,
  DHCP4_MAGIC_COOKIE,
  DHCP4_MAX_HLEN,
  DHCP4_MIN_LENGTH,
  DHCP4_OPTIONS_OFFSET,
  DHCP4_SNAME_LENGTH,
  DHCP4_SNAME_OFFSET,
  IPV4_UDP_HEADERS_LENGTH,
} from './dhcp4-layout.js';
export { encodeDhcp4, encodeDhcp4Into, type EncodeDhcp4Options } from './dhcp4-encode.js';

// ---------------------------------------------------------------------------
// Decode

/**
 * Decodes a BOOTP/DHCP message. Fails on: fewer than 240 octets, op not
 * 1/2, hlen > 16, a wrong magic cookie, or an option running past its area.
 * Unknown op-independent fields are taken as they are. A bad option 52
 * value is ignored (fail open: the fields are then read as strings).
 * Option values are views into `bytes` unless they were joined: copy what
 * must outlive the input buffer.
 */
export function decodeDhcp4(bytes: Uint8Array): Decoded<Dhcp4Message> {
  if (bytes.length < DHCP4_OPTIONS_OFFSET) {
    return fail(LAYER, 'truncated', `${bytes.length} < ${DHCP4_OPTIONS_OFFSET} octets`);
  }
  const op = bytes[0]!;
  if (op !== 1 && op !== 2) return fail(LAYER, 'bad-op', `op ${op}`);
  const hlen = bytes[2]!;
  if (hlen > DHCP4_MAX_HLEN) return fail(LAYER, 'bad-hlen', `hlen ${hlen} > ${DHCP4_MAX_HLEN}`);
  const cookie = u32(bytes, DHCP4_COOKIE_OFFSET);
  if (cookie !== DHCP4_MAGIC_COOKIE) {
    return fail(LAYER, 'bad-magic', `got magic cookie ${formatIpv4(bytes, DHCP4_COOKIE_OFFSET)}, want 99.130.83.99`);
  }

  const c = new OptionCollector();
  let err = scanOptionArea(bytes, DHCP4_OPTIONS_OFFSET, bytes.length, c, LAYER, 'options');
  if (err) return { ok: false, error: err };
  // RFC 2131 §4.1: the options field is read first, so option 52 there says where else to look.
  const ov = c.get(Dhcp4Option.OptionOverload);
  const overload = ov && ov.length === 1 && ov[0]! >= 1 && ov[0]! <= 3 ? ov[0]! : 0;
  // RFC 3396 §6 / RFC 2131 §4.1: file before sname. Option 52 is only honoured in the options field.
  if (overload & OVERLOAD_FILE) {
    err = scanOptionArea(
      bytes, DHCP4_FILE_OFFSET, DHCP4_FILE_OFFSET + DHCP4_FILE_LENGTH, c, LAYER, 'file', Dhcp4Option.OptionOverload,
    );
    if (err) return { ok: false, error: err };
  }
  if (overload & OVERLOAD_SNAME) {
    err = scanOptionArea(
      bytes, DHCP4_SNAME_OFFSET, DHCP4_SNAME_OFFSET + DHCP4_SNAME_LENGTH, c, LAYER, 'sname', Dhcp4Option.OptionOverload,
    );
    if (err) return { ok: false, error: err };
  }

  return ok({
    op,
    htype: bytes[1]!,
    hlen,
    hops: bytes[3]!,
    xid: u32(bytes, 4),
    secs: u16(bytes, 8),
    flags: u16(bytes, 10),
    ciaddr: u32(bytes, 12),
    yiaddr: u32(bytes, 16),
    siaddr: u32(bytes, 20),
    giaddr: u32(bytes, 24),
    chaddr: bytes.subarray(28, 28 + hlen),
    sname: overload & OVERLOAD_SNAME ? '' : cString(bytes, DHCP4_SNAME_OFFSET, DHCP4_SNAME_OFFSET + DHCP4_SNAME_LENGTH),
    file: overload & OVERLOAD_FILE ? '' : cString(bytes, DHCP4_FILE_OFFSET, DHCP4_FILE_OFFSET + DHCP4_FILE_LENGTH),
    options: c.finish(Dhcp4Option.OptionOverload),
  });
}

// ---------------------------------------------------------------------------
// Accessors: typed value, or undefined when the option is missing or malformed (fail open per option).

/** The raw value of option `code` (already joined), or undefined. */
export function getOption(msg: Pick<Dhcp4Message, 'options'>, code: number): Uint8Array | undefined {
  for (const [c, v] of msg.options) if (c === code) return v;
  return undefined;
}

/** Typed value of option `code` through `codec`, or undefined when missing or malformed. */
export function getTypedOption<T>(msg: Pick<Dhcp4Message, 'options'>, code: number, codec: OptionCodec<T>): T | undefined {
  const raw = getOption(msg, code);
  if (raw === undefined) return undefined;
  const r = codec.decode(raw);
  return r.ok ? r.value : undefined;
}

/**
 * Option 53, when it is one of RFC 2132's eight types. Other values
 * (RFC 3203 FORCERENEW, RFC 4388 leasequery, ...) give undefined: onlinkd
 * answers none of them.
 */
export function messageType(msg: Pick<Dhcp4Message, 'options'>): Dhcp4MessageType | undefined {
  const t = getTypedOption(msg, Dhcp4Option.MessageType, messageTypeOption);
  return t !== undefined && t >= Dhcp4MessageType.Discover && t <= Dhcp4MessageType.Inform ? (t as Dhcp4MessageType) : undefined;
}

/** Option 50, as uint32 (what the responder compares; numberToIpv4 for text). */
export function requestedIp(msg: Pick<Dhcp4Message, 'options'>): number | undefined {
  return getTypedOption(msg, Dhcp4Option.RequestedIpAddress, ipv4ValueOption);
}

/** Option 54, as uint32. */
export function serverId(msg: Pick<Dhcp4Message, 'options'>): number | undefined {
  return getTypedOption(msg, Dhcp4Option.ServerIdentifier, ipv4ValueOption);
}

/** Option 55, in the client's order (not a contract: key behaviour on presence only). */
export function parameterRequestList(msg: Pick<Dhcp4Message, 'options'>): number[] | undefined {
  return getTypedOption(msg, Dhcp4Option.ParameterRequestList, parameterRequestListOption);
}

/** Option 57 (maximum IP datagram the client accepts); values below 576 are illegal (RFC 2132 §9.10) and give undefined. */
export function maxMessageSize(msg: Pick<Dhcp4Message, 'options'>): number | undefined {
  const v = getTypedOption(msg, Dhcp4Option.MaxMessageSize, u16Option);
  return v !== undefined && v >= DHCP4_DEFAULT_MAX_LENGTH ? v : undefined;
}

/** Option 61, raw (type octet + identifier), to echo back per RFC 6842. A view: copy it to keep it. */
export function clientId(msg: Pick<Dhcp4Message, 'options'>): Uint8Array | undefined {
  return getTypedOption(msg, Dhcp4Option.ClientIdentifier, clientIdOption);
}

/** Option 60 (e.g. "MSFT 5.0", "android-dhcp-14"). */
export function vendorClass(msg: Pick<Dhcp4Message, 'options'>): string | undefined {
  return getTypedOption(msg, Dhcp4Option.VendorClassIdentifier, stringOption);
}

/** Option 12. */
export function hostname(msg: Pick<Dhcp4Message, 'options'>): string | undefined {
  return getTypedOption(msg, Dhcp4Option.HostName, stringOption);
}

/** Option 51, seconds (0xffffffff = infinite). */
export function leaseTime(msg: Pick<Dhcp4Message, 'options'>): number | undefined {
  return getTypedOption(msg, Dhcp4Option.LeaseTime, u32Option);
}

const TYPE_NAMES = ['', 'DISCOVER', 'OFFER', 'REQUEST', 'DECLINE', 'ACK', 'NAK', 'RELEASE', 'INFORM'];

export function messageTypeName(t: number | undefined): string {
  return t === undefined ? 'BOOTP' : `DHCP${TYPE_NAMES[t] ?? `-TYPE-${t}`}`;
}

/** One line for logs: "DHCPDISCOVER xid=0x3903f326 chaddr=00:0b:82:01:fc:42 ... options=53,61,50,55". */
export function summarizeDhcp4(msg: Dhcp4Message): string {
  const t = getTypedOption(msg, Dhcp4Option.MessageType, messageTypeOption);
  const parts = [messageTypeName(t), `xid=0x${msg.xid.toString(16).padStart(8, '0')}`, `chaddr=${formatMac(msg.chaddr, 0, msg.chaddr.length)}`];
  if (msg.ciaddr !== 0) parts.push(`ciaddr=${numberToIpv4(msg.ciaddr)}`);
  if (msg.yiaddr !== 0) parts.push(`yiaddr=${numberToIpv4(msg.yiaddr)}`);
  if (msg.giaddr !== 0) parts.push(`giaddr=${numberToIpv4(msg.giaddr)}`);
  if (msg.flags & 0x8000) parts.push('broadcast');
  const req = requestedIp(msg);
  if (req !== undefined) parts.push(`requested=${numberToIpv4(req)}`);
  const host = hostname(msg);
  if (host) parts.push(`hostname=${JSON.stringify(host)}`);
  parts.push(`options=${msg.options.map(([c]) => c).join(',')}`);
  return parts.join(' ');
}

