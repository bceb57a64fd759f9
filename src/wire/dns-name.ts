/**
 * Domain names in DNS wire format (RFC 1035 §3.1, §4.1.4), as carried by
 * DHCPv4 option 119 (RFC 3397), and later the RA DNSSL option (RFC 8106
 * §5.2) and DHCPv6 option 24 (RFC 8415 §21.9 / RFC 3646).
 *
 * Text form: labels joined by '.', no trailing dot ("example.com"); the
 * root name is ".". An input name may end in one '.', which is dropped.
 * Labels are 1..63 octets of printable ASCII other than '.' (0x21..0x7e):
 * no escapes, no spaces, no IDN (punycode it first). Such names decode and
 * re-encode unchanged; a wire label outside that set is refused on decode
 * rather than turned into text that would encode differently.
 *
 * Encoding never compresses (what DNSSL and DHCPv6 require, and what RFC
 * 3397 permits). Decoding follows compression pointers safely: a pointer
 * must point before the start of the run of labels that led to it, so every
 * jump goes strictly backwards and no loop can be built; the expanded name
 * is also capped at 255 octets.
 */
import { EncodeError, fail, ok, type Decoded } from './result.js';

export const DNS_MAX_LABEL_LENGTH = 63;
/** Wire length of a name, length octets and the final zero included (RFC 1035 §3.1). */
export const DNS_MAX_NAME_LENGTH = 255;

function labelCharOk(c: number): boolean {
  return c >= 0x21 && c <= 0x7e && c !== 0x2e;
}

/** The name without its optional trailing dot; '.' stays '.'. */
function bare(name: string): string {
  return name.length > 1 && name.endsWith('.') ? name.slice(0, -1) : name;
}

/** Why `name` cannot be encoded, or undefined when it can (for config validation). */
export function dnsNameError(name: string): string | undefined {
  const n = bare(name);
  if (n === '.') return undefined;
  if (n === '') return 'empty name';
  let wire = 1;
  let labelLen = 0;
  for (let i = 0; i <= n.length; i++) {
    const c = i < n.length ? n.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (labelLen === 0) return 'empty label';
      if (labelLen > DNS_MAX_LABEL_LENGTH) return `label longer than ${DNS_MAX_LABEL_LENGTH} octets`;
      wire += labelLen + 1;
      labelLen = 0;
    } else if (!labelCharOk(c)) {
      return `character ${JSON.stringify(n[i])} not allowed (printable ASCII only)`;
    } else {
      labelLen++;
    }
  }
  if (wire > DNS_MAX_NAME_LENGTH) return `name longer than ${DNS_MAX_NAME_LENGTH} octets in wire form`;
  return undefined;
}

/** Canonical text of a valid name (trailing dot dropped), or undefined. */
export function normalizeDnsName(name: string): string | undefined {
  return dnsNameError(name) === undefined ? bare(name) : undefined;
}

/** Wire length of a name (no compression). Throws EncodeError when invalid. */
export function dnsNameLength(name: string): number {
  const err = dnsNameError(name);
  if (err !== undefined) throw new EncodeError('dns-name', 'bad-name', `${JSON.stringify(name)}: ${err}`);
  const n = bare(name);
  return n === '.' ? 1 : n.length + 2;
}

/** Writes one name (no compression) at `out[offset]`; returns the octets written. Throws EncodeError. */
export function encodeDnsName(name: string, out: Uint8Array, offset = 0): number {
  const len = dnsNameLength(name);
  if (out.length - offset < len) throw new EncodeError('dns-name', 'buffer-too-small');
  const n = bare(name);
  if (n !== '.') {
    let lenAt = offset;
    let p = offset + 1;
    for (let i = 0; i < n.length; i++) {
      const c = n.charCodeAt(i);
      if (c === 0x2e) {
        out[lenAt] = p - lenAt - 1;
        lenAt = p++;
      } else {
        out[p++] = c;
      }
    }
    out[lenAt] = p - lenAt - 1;
  }
  out[offset + len - 1] = 0;
  return len;
}

/** Wire length of names back to back (no compression). Throws EncodeError when one is invalid. */
export function dnsNamesLength(names: readonly string[]): number {
  let total = 0;
  for (const n of names) total += dnsNameLength(n);
  return total;
}

/** A list of names back to back, uncompressed (RFC 3397 §2 / RFC 8106 §5.2 payload before padding). */
export function encodeDnsNames(names: readonly string[]): Uint8Array {
  const out = new Uint8Array(dnsNamesLength(names));
  let off = 0;
  for (const n of names) off += encodeDnsName(n, out, off);
  return out;
}

/** Hard cap on pointer hops in one name (each hop also must go backwards; this only bounds work). */
const MAX_POINTER_HOPS = 128;

/**
 * Decodes the name at `msg[offset]`. Compression pointers are offsets into
 * `msg` (for option 119: into the concatenated option value, RFC 3397 §2).
 * `next` is the offset just past the name as it sits at `offset`.
 */
export function decodeDnsName(msg: Uint8Array, offset: number): Decoded<{ name: string; next: number }> {
  let pos = offset;
  let limit = offset; // a pointer must point below this
  let next = -1;
  let wire = 1; // the final zero octet
  let hops = 0;
  let name = '';
  for (;;) {
    if (pos < 0 || pos >= msg.length) return fail('dns-name', 'truncated', `at offset ${pos}`);
    const len = msg[pos]!;
    if (len === 0) {
      if (next < 0) next = pos + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= msg.length) return fail('dns-name', 'truncated', `pointer at offset ${pos}`);
      const target = ((len & 0x3f) << 8) | msg[pos + 1]!;
      if (target >= limit) return fail('dns-name', 'bad-pointer', `pointer at ${pos} to ${target} does not point backwards`);
      if (++hops > MAX_POINTER_HOPS) return fail('dns-name', 'bad-pointer', 'too many pointers');
      if (next < 0) next = pos + 2;
      limit = target;
      pos = target;
      continue;
    }
    // 0x40 (RFC 6891 extended label) and 0x80 are not used in names onlinkd meets.
    if (kind !== 0) return fail('dns-name', 'bad-label-type', `0x${len.toString(16)} at offset ${pos}`);
    if (pos + 1 + len > msg.length) return fail('dns-name', 'truncated', `label at offset ${pos}`);
    wire += len + 1;
    if (wire > DNS_MAX_NAME_LENGTH) return fail('dns-name', 'name-too-long', `more than ${DNS_MAX_NAME_LENGTH} octets`);
    if (name !== '') name += '.';
    for (let i = pos + 1; i <= pos + len; i++) {
      const c = msg[i]!;
      if (!labelCharOk(c)) return fail('dns-name', 'bad-label', `octet 0x${c.toString(16)} at offset ${i}`);
      name += String.fromCharCode(c);
    }
    pos += 1 + len;
  }
  return ok({ name: name === '' ? '.' : name, next });
}

/** All the names in `msg`, back to back until its end (an empty input is an empty list). */
export function decodeDnsNames(msg: Uint8Array): Decoded<string[]> {
  const names: string[] = [];
  let off = 0;
  while (off < msg.length) {
    const r = decodeDnsName(msg, off);
    if (!r.ok) return r;
    names.push(r.value.name);
    off = r.value.next;
  }
  return ok(names);
}

/**
 * Names back to back with no compression, as DHCPv6 option 24 (RFC 8415
 * §10: "MUST NOT" compress) and the RA DNSSL option (RFC 8106 §5.2) carry
 * them; a compression pointer is an error ('compressed'). With
 * `zeroPadded` (DNSSL), a zero octet where a name would start ends the
 * list, and every octet after it must be zero too ('bad-padding').
 */
export function decodeUncompressedDnsNames(msg: Uint8Array, zeroPadded = false): Decoded<string[]> {
  const names: string[] = [];
  let off = 0;
  while (off < msg.length) {
    if (zeroPadded && msg[off] === 0) {
      for (let i = off; i < msg.length; i++) {
        if (msg[i] !== 0) return fail('dns-name', 'bad-padding', `octet 0x${msg[i]!.toString(16)} at offset ${i}`);
      }
      break;
    }
    // From a view that starts at the name, no pointer can point backwards: any pointer fails.
    const r = decodeDnsName(msg.subarray(off), 0);
    if (!r.ok) {
      return r.error.reason === 'bad-pointer' ? fail('dns-name', 'compressed', `compression pointer in the name at offset ${off}`) : r;
    }
    names.push(r.value.name);
    off += r.value.next;
  }
  return ok(names);
}
