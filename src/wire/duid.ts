/**
 * DHCP Unique Identifiers (RFC 8415 §11): a 2-octet type, then 1..128
 * octets of identifier (§11.1), so 3..130 octets in all.
 *
 *  1 DUID-LLT  hardware type(16) | time(32) | link-layer address   (§11.2)
 *  2 DUID-EN   enterprise number(32) | identifier                  (§11.3)
 *  3 DUID-LL   hardware type(16) | link-layer address              (§11.4)
 *  4 DUID-UUID UUID (16 octets)                                    (RFC 6355 §4)
 *
 * DUIDs are opaque to everyone but their owner (§11): onlinkd compares and
 * echoes them as raw octets. The typed form is for logs, tests and for
 * making onlinkd's own server DUID.
 */
import { formatMac } from './addr.js';
import { u16, u32 } from './reader.js';
import { EncodeError, fail, ok, type Decoded } from './result.js';
import { checkUint, colonHexLength, putColonHex, putU16, putU32 } from './writer.js';

const LAYER = 'duid';

export const DuidType = { Llt: 1, En: 2, Ll: 3, Uuid: 4 } as const;

/** ARP hardware type of Ethernet (IANA "Hardware Types"), the one a DUID-LL/LLT of a MAC carries. */
export const HARDWARE_TYPE_ETHERNET = 1;
export const DUID_MIN_LENGTH = 3;
export const DUID_MAX_LENGTH = 130;
/** DUID-LLT time is counted from 2000-01-01T00:00:00Z (RFC 8415 §11.2). */
const DUID_EPOCH_MS = Date.UTC(2000, 0, 1);

export type Duid =
  | { type: 'llt'; hardwareType: number; time: number; linkLayerAddress: Uint8Array }
  | { type: 'en'; enterpriseNumber: number; identifier: Uint8Array }
  | { type: 'll'; hardwareType: number; linkLayerAddress: Uint8Array }
  | { type: 'uuid'; uuid: Uint8Array }
  /** A type code RFC 8415 / RFC 6355 do not define: kept raw. */
  | { type: 'unknown'; code: number; data: Uint8Array };

/**
 * Decodes a DUID. Fails on a length outside 3..130 and on a known type
 * whose fixed part does not fit (LLT < 9, EN < 7, LL < 5, UUID ≠ 18
 * octets). Octet fields are views into `bytes`.
 */
export function decodeDuid(bytes: Uint8Array): Decoded<Duid> {
  const n = bytes.length;
  if (n < DUID_MIN_LENGTH || n > DUID_MAX_LENGTH) return fail(LAYER, 'bad-length', `${n} octets, want ${DUID_MIN_LENGTH}..${DUID_MAX_LENGTH}`);
  const code = u16(bytes, 0);
  switch (code) {
    case DuidType.Llt:
      if (n < 9) return fail(LAYER, 'bad-length', `DUID-LLT of ${n} octets`);
      return ok({ type: 'llt', hardwareType: u16(bytes, 2), time: u32(bytes, 4), linkLayerAddress: bytes.subarray(8) });
    case DuidType.En:
      if (n < 7) return fail(LAYER, 'bad-length', `DUID-EN of ${n} octets`);
      return ok({ type: 'en', enterpriseNumber: u32(bytes, 2), identifier: bytes.subarray(6) });
    case DuidType.Ll:
      if (n < 5) return fail(LAYER, 'bad-length', `DUID-LL of ${n} octets`);
      return ok({ type: 'll', hardwareType: u16(bytes, 2), linkLayerAddress: bytes.subarray(4) });
    case DuidType.Uuid:
      if (n !== 18) return fail(LAYER, 'bad-length', `DUID-UUID of ${n} octets, want 18`);
      return ok({ type: 'uuid', uuid: bytes.subarray(2) });
    default:
      return ok({ type: 'unknown', code, data: bytes.subarray(2) });
  }
}

/** The DUID's octets. Throws EncodeError when it would not decode back (bad length, field out of range). */
export function encodeDuid(duid: Duid): Uint8Array {
  let out: Uint8Array;
  switch (duid.type) {
    case 'llt':
      checkUint(duid.hardwareType, 0xffff, LAYER, 'hardwareType');
      checkUint(duid.time, 0xffffffff, LAYER, 'time');
      out = new Uint8Array(8 + duid.linkLayerAddress.length);
      putU16(out, 0, DuidType.Llt);
      putU16(out, 2, duid.hardwareType);
      putU32(out, 4, duid.time);
      out.set(duid.linkLayerAddress, 8);
      break;
    case 'en':
      checkUint(duid.enterpriseNumber, 0xffffffff, LAYER, 'enterpriseNumber');
      out = new Uint8Array(6 + duid.identifier.length);
      putU16(out, 0, DuidType.En);
      putU32(out, 2, duid.enterpriseNumber);
      out.set(duid.identifier, 6);
      break;
    case 'll':
      checkUint(duid.hardwareType, 0xffff, LAYER, 'hardwareType');
      out = new Uint8Array(4 + duid.linkLayerAddress.length);
      putU16(out, 0, DuidType.Ll);
      putU16(out, 2, duid.hardwareType);
      out.set(duid.linkLayerAddress, 4);
      break;
    case 'uuid':
      if (duid.uuid.length !== 16) throw new EncodeError(LAYER, 'bad-length', `UUID of ${duid.uuid.length} octets`);
      out = new Uint8Array(18);
      putU16(out, 0, DuidType.Uuid);
      out.set(duid.uuid, 2);
      break;
    case 'unknown':
      checkUint(duid.code, 0xffff, LAYER, 'code');
      if (duid.code >= DuidType.Llt && duid.code <= DuidType.Uuid) {
        throw new EncodeError(LAYER, 'bad-field', `type ${duid.code} is a known type; use its form`);
      }
      out = new Uint8Array(2 + duid.data.length);
      putU16(out, 0, duid.code);
      out.set(duid.data, 2);
      break;
  }
  const r = decodeDuid(out);
  if (!r.ok) throw new EncodeError(LAYER, r.error.reason, r.error.detail);
  return out;
}

/** DUID-LL (RFC 8415 §11.4) of an Ethernet MAC: 00 03 00 01 + the 6 octets. Throws EncodeError on a bad MAC. */
export function duidLlFromMac(mac: string): Uint8Array {
  if (colonHexLength(mac) !== 6) throw new EncodeError(LAYER, 'bad-mac', JSON.stringify(mac));
  const out = new Uint8Array(10);
  putU16(out, 0, DuidType.Ll);
  putU16(out, 2, HARDWARE_TYPE_ETHERNET);
  putColonHex(out, 4, mac);
  return out;
}

/** DUID-LLT time for `at`: seconds since 2000-01-01 UTC, modulo 2^32 (RFC 8415 §11.2). */
export function duidTime(at: Date): number {
  const s = Math.floor((at.getTime() - DUID_EPOCH_MS) / 1000);
  return ((s % 0x100000000) + 0x100000000) % 0x100000000;
}

/** Short text for logs: "ll:1:aa:00:00:00:00:10", "en:9:0a0b", "uuid:...", or colon hex. */
export function formatDuid(bytes: Uint8Array): string {
  const r = decodeDuid(bytes);
  const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  if (!r.ok) return `invalid:${hex(bytes)}`;
  const d = r.value;
  const lla = (b: Uint8Array) => (b.length === 6 ? formatMac(b) : hex(b));
  switch (d.type) {
    case 'llt':
      return `llt:${d.hardwareType}:${d.time}:${lla(d.linkLayerAddress)}`;
    case 'en':
      return `en:${d.enterpriseNumber}:${hex(d.identifier)}`;
    case 'll':
      return `ll:${d.hardwareType}:${lla(d.linkLayerAddress)}`;
    case 'uuid':
      return `uuid:${hex(d.uuid)}`;
    case 'unknown':
      return `type${d.code}:${hex(d.data)}`;
  }
}
