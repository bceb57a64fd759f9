/**
 * DHCPv4 option areas (RFC 2131 §4.1, RFC 3396): the TLV scanner that
 * gathers options from the options field, `file` and `sname` (joining
 * repeated codes), and the writer that lays options out again, splitting
 * values over 255 octets. The value codecs are in dhcp4-options.ts.
 */
import { DecodeError, EncodeError, ok, type Decoded } from './result.js';

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
