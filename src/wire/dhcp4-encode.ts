/**
 * DHCPv4 message encoder (RFC 2131 §2, RFC 3396, RFC 2132 §9.3): the
 * counterpart of `decodeDhcp4` in dhcp4.ts.
 *
 * `encodeDhcp4` writes the options in the order of the array, splits any
 * value over 255 octets (RFC 3396), ends each area with End and pads the
 * message to the BOOTP minimum of 300 octets (RFC 1542 §2.1; some relays
 * drop shorter ones). The whole reply must fit the client's limit:
 * `maxLength` is the maximum *IP datagram* size, the value of the client's
 * option 57 (RFC 2132 §9.10, read as dnsmasq, ISC dhcpd and systemd read
 * it: IP and UDP headers included), default and floor 576 (RFC 2131 §2:
 * every client takes a 576-octet datagram, i.e. 312 octets of options).
 * The DHCP message itself may then use `maxLength - 28` octets. When the
 * options do not fit in the options field, they continue in `file`, then
 * `sname` (option 52 says so; a field is only used when its string is
 * empty). An option of up to 255 octets is moved whole to the next field
 * rather than split across two; longer ones are split where they fall. If
 * everything still does not fit, the result is an error with reason
 * 'too-big' — never a truncated packet.
 *
 * So the responder should:
 *  - pass `maxLength: min(maxMessageSize(req) ?? 576, interface MTU)`;
 *  - order options by importance, because the first ones land in the
 *    options field, which every client reads, and the last ones in
 *    file/sname, which some clients never look at: 53 (message type),
 *    54 (server id), 51/58/59 (times), 1 (subnet mask, before 3, RFC 2132
 *    §3.3), 121, 3, 6, 15, 119, 26, 249, then anything else;
 *  - on 'too-big', drop the least important options (249 first: it
 *    duplicates 121) and encode again, rather than send nothing.
 */
import {
  OPTION_END,
  OPTION_MAX_CHUNK,
  optionWireLength,
} from './dhcp4-option-area.js';
import {
  DHCP4_COOKIE_OFFSET,
  DHCP4_DEFAULT_MAX_LENGTH,
  DHCP4_FILE_LENGTH,
  DHCP4_FILE_OFFSET,
  DHCP4_LAYER as LAYER,
  DHCP4_MAGIC_COOKIE,
  DHCP4_MAX_HLEN,
  DHCP4_MIN_LENGTH,
  DHCP4_OPTIONS_OFFSET,
  DHCP4_SNAME_LENGTH,
  DHCP4_SNAME_OFFSET,
  IPV4_UDP_HEADERS_LENGTH,
  OVERLOAD_FILE,
  OVERLOAD_SNAME,
} from './dhcp4-layout.js';
import { Dhcp4Option, type Dhcp4MessageSpec } from './dhcp4-types.js';
import { fail, ok, type Encoded } from './result.js';
import { colonHexLength, ipv4Input, putColonHex, putU16, putU32 } from './writer.js';

export interface EncodeDhcp4Options {
  /** Maximum IP datagram size the client accepts (its option 57); default and floor 576. */
  maxLength?: number;
}

const AREA_MAIN = 0;
const AREA_FILE = 1;
const AREA_SNAME = 2;

interface Area {
  id: number;
  /** Octets available for option TLVs (End excluded, overload option excluded). */
  usable: number;
  used: number;
}

interface Plan {
  length: number;
  overload: number;
  /** Flattened pieces: [area, option index, value start, value end] × n. */
  pieces: number[];
  used: [number, number, number];
  /** ciaddr, yiaddr, siaddr, giaddr as numbers (parsed once, when checked). */
  addresses: [number, number, number, number];
}

const isUint = (v: number, max: number): boolean => Number.isInteger(v) && v >= 0 && v <= max;

/** Why a fixed-size string field cannot be written (too long, NUL or beyond Latin-1), or undefined. */
function badString(name: string, s: string, max: number): string | undefined {
  if (s.length > max) return `${name} longer than ${max}`;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch === 0 || ch > 0xff) return `${name} has char U+${ch.toString(16)}`;
  }
  return undefined;
}

/** Octets of chaddr: as given, or in its colon text (-1 when malformed). */
function chaddrLength(chaddr: Uint8Array | string): number {
  return typeof chaddr === 'string' ? colonHexLength(chaddr) : chaddr.length;
}

/** Why `msg` cannot be encoded (a caller bug), or undefined. Runs for every reply: no allocation. */
function checkFields(msg: Dhcp4MessageSpec): string | undefined {
  if (msg.op !== 1 && msg.op !== 2) return `op ${String(msg.op)}`;
  if (!isUint(msg.htype, 0xff)) return `htype ${String(msg.htype)}`;
  if (!isUint(msg.hlen, DHCP4_MAX_HLEN)) return `hlen ${String(msg.hlen)}`;
  if (!isUint(msg.hops, 0xff)) return `hops ${String(msg.hops)}`;
  if (!isUint(msg.xid, 0xffffffff)) return `xid ${String(msg.xid)}`;
  if (!isUint(msg.secs, 0xffff)) return `secs ${String(msg.secs)}`;
  if (!isUint(msg.flags, 0xffff)) return `flags ${String(msg.flags)}`;
  // The addresses are checked (and converted once) by plan(); see Plan.addresses.
  if (chaddrLength(msg.chaddr) !== msg.hlen) return `chaddr ${JSON.stringify(msg.chaddr)} is not ${msg.hlen} octets`;
  const bad = badString('sname', msg.sname, DHCP4_SNAME_LENGTH) ?? badString('file', msg.file, DHCP4_FILE_LENGTH);
  if (bad !== undefined) return bad;
  for (let i = 0; i < msg.options.length; i++) {
    const [code, value] = msg.options[i]!;
    if (!Number.isInteger(code) || code < 1 || code > 254) return `option code ${String(code)}`;
    if (code === Dhcp4Option.OptionOverload) return 'option 52 is written by the encoder';
    if (!(value instanceof Uint8Array)) return `option ${code} value is not bytes`;
  }
  return undefined;
}

/** Packs the options into `areas` in order; returns the pieces, or undefined when they do not fit. */
function pack(options: Dhcp4MessageSpec['options'], areas: Area[]): number[] | undefined {
  const pieces: number[] = [];
  let a = 0;
  for (let i = 0; i < options.length; i++) {
    const len = options[i]![1].length;
    if (len <= OPTION_MAX_CHUNK) {
      // Whole, in this area or the first later one with room: never split what need not be.
      // Later areas are still empty, and the skipped remainder stays unused, so options keep their order.
      let k = a;
      while (k < areas.length && areas[k]!.used + 2 + len > areas[k]!.usable) k++;
      if (k < areas.length) {
        a = k;
        pieces.push(areas[a]!.id, i, 0, len);
        areas[a]!.used += 2 + len;
        continue;
      }
      if (len === 0) return undefined;
    }
    // Split where it falls (RFC 3396 §5).
    let v = 0;
    while (v < len) {
      const area = areas[a];
      if (!area) return undefined;
      const room = area.usable - area.used - 2;
      if (room < 1) {
        a++;
        continue;
      }
      const n = Math.min(OPTION_MAX_CHUNK, room, len - v);
      pieces.push(area.id, i, v, v + n);
      area.used += 2 + n;
      v += n;
    }
  }
  return pieces;
}

function plan(msg: Dhcp4MessageSpec, opts: EncodeDhcp4Options | undefined): Encoded<Plan> {
  const bad = checkFields(msg);
  if (bad !== undefined) return fail(LAYER, 'bad-field', bad);
  const addresses: Plan['addresses'] = [ipv4Input(msg.ciaddr), ipv4Input(msg.yiaddr), ipv4Input(msg.siaddr), ipv4Input(msg.giaddr)];
  for (let i = 0; i < 4; i++) {
    if (addresses[i]! < 0) {
      const f = (['ciaddr', 'yiaddr', 'siaddr', 'giaddr'] as const)[i]!;
      return fail(LAYER, 'bad-field', `${f} ${JSON.stringify(msg[f])}`);
    }
  }
  const asked = opts?.maxLength ?? DHCP4_DEFAULT_MAX_LENGTH;
  const maxLength = Number.isFinite(asked)
    ? Math.min(0xffff, Math.max(DHCP4_DEFAULT_MAX_LENGTH, Math.floor(asked)))
    : DHCP4_DEFAULT_MAX_LENGTH;
  const mainCap = maxLength - IPV4_UDP_HEADERS_LENGTH - DHCP4_OPTIONS_OFFSET; // End included

  let total = 1;
  for (const [, v] of msg.options) total += optionWireLength(v.length);
  if (total <= mainCap) {
    const pieces = pack(msg.options, [{ id: AREA_MAIN, usable: total - 1, used: 0 }])!;
    return ok({ length: Math.max(DHCP4_MIN_LENGTH, DHCP4_OPTIONS_OFFSET + total), overload: 0, pieces, used: [total - 1, 0, 0], addresses });
  }

  // Option overload (RFC 2132 §9.3): 3 octets for option 52 in the options field, then file, then sname.
  const areas: Area[] = [{ id: AREA_MAIN, usable: mainCap - 1 - 3, used: 0 }];
  if (msg.file === '') areas.push({ id: AREA_FILE, usable: DHCP4_FILE_LENGTH - 1, used: 0 });
  if (msg.sname === '') areas.push({ id: AREA_SNAME, usable: DHCP4_SNAME_LENGTH - 1, used: 0 });
  const pieces = pack(msg.options, areas);
  if (!pieces) {
    return fail(LAYER, 'too-big', `options need ${total} octets; ${maxLength}-octet datagrams leave ${mainCap} + overload`);
  }
  const used: [number, number, number] = [0, 0, 0];
  for (const a of areas) used[a.id] = a.used;
  const overload = (used[AREA_FILE] > 0 ? OVERLOAD_FILE : 0) | (used[AREA_SNAME] > 0 ? OVERLOAD_SNAME : 0);
  const mainLen = used[AREA_MAIN] + (overload ? 3 : 0) + 1;
  return ok({ length: Math.max(DHCP4_MIN_LENGTH, DHCP4_OPTIONS_OFFSET + mainLen), overload, pieces, used, addresses });
}

function putString(out: Uint8Array, off: number, s: string): void {
  for (let i = 0; i < s.length; i++) out[off + i] = s.charCodeAt(i);
}

function write(msg: Dhcp4MessageSpec, p: Plan, out: Uint8Array, o: number): void {
  out.fill(0, o, o + p.length); // every octet not written below is zero (padding, chaddr tail, sname/file tails)
  out[o] = msg.op;
  out[o + 1] = msg.htype;
  out[o + 2] = msg.hlen;
  out[o + 3] = msg.hops;
  putU32(out, o + 4, msg.xid);
  putU16(out, o + 8, msg.secs);
  putU16(out, o + 10, msg.flags);
  putU32(out, o + 12, p.addresses[0]);
  putU32(out, o + 16, p.addresses[1]);
  putU32(out, o + 20, p.addresses[2]);
  putU32(out, o + 24, p.addresses[3]);
  if (typeof msg.chaddr === 'string') putColonHex(out, o + 28, msg.chaddr);
  // A loop, not out.set(): 6 octets (see the option values below).
  else for (let i = 0; i < msg.chaddr.length; i++) out[o + 28 + i] = msg.chaddr[i]!;
  if (!(p.overload & OVERLOAD_SNAME)) putString(out, o + DHCP4_SNAME_OFFSET, msg.sname);
  if (!(p.overload & OVERLOAD_FILE)) putString(out, o + DHCP4_FILE_OFFSET, msg.file);
  putU32(out, o + DHCP4_COOKIE_OFFSET, DHCP4_MAGIC_COOKIE);

  const cursor = [o + DHCP4_OPTIONS_OFFSET, o + DHCP4_FILE_OFFSET, o + DHCP4_SNAME_OFFSET];
  for (let k = 0; k < p.pieces.length; k += 4) {
    const area = p.pieces[k]!;
    const [code, value] = msg.options[p.pieces[k + 1]!]!;
    const from = p.pieces[k + 2]!;
    const to = p.pieces[k + 3]!;
    let c = cursor[area]!;
    out[c++] = code;
    out[c++] = to - from;
    // A loop, not out.set(value.subarray()): for values this short the view object and the
    // native copy cost more than the copy (profiled: this line was 10 % of a DORA's CPU).
    for (let j = from; j < to; j++) out[c++] = value[j]!;
    cursor[area] = c;
  }
  let m = cursor[AREA_MAIN]!;
  if (p.overload) {
    out[m++] = Dhcp4Option.OptionOverload;
    out[m++] = 1;
    out[m++] = p.overload;
  }
  out[m] = OPTION_END;
  if (p.overload & OVERLOAD_FILE) out[cursor[AREA_FILE]!] = OPTION_END;
  if (p.overload & OVERLOAD_SNAME) out[cursor[AREA_SNAME]!] = OPTION_END;
}

/**
 * Encodes a message into a new buffer: `{ok: true, value}` or an error with
 * reason 'bad-field' (a field outside its range: a caller bug) or 'too-big'
 * (the options do not fit `maxLength`, even with overload). Never throws.
 */
export function encodeDhcp4(msg: Dhcp4MessageSpec, opts?: EncodeDhcp4Options): Encoded<Uint8Array> {
  const p = plan(msg, opts);
  if (!p.ok) return p;
  const out = new Uint8Array(p.value.length);
  write(msg, p.value, out, 0);
  return ok(out);
}

/**
 * Encodes into `out` at `offset` and returns the octets written; reason
 * 'buffer-too-small' when `out` lacks room. Every octet of the message is
 * written, whatever `out` held before.
 */
export function encodeDhcp4Into(msg: Dhcp4MessageSpec, out: Uint8Array, offset = 0, opts?: EncodeDhcp4Options): Encoded<number> {
  const p = plan(msg, opts);
  if (!p.ok) return p;
  if (offset < 0 || out.length - offset < p.value.length) {
    return fail(LAYER, 'buffer-too-small', `${p.value.length} octets needed`);
  }
  write(msg, p.value, out, offset);
  return ok(p.value.length);
}
