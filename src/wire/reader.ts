/**
 * Bounds-safe big-endian reads for the decoders.
 *
 * Decoders check lengths *before* reading a field (smoltcp's `check_len`
 * discipline); these helpers are the second line of defence: an index past
 * the end reads as 0 instead of `undefined`/NaN, so a missed check yields a
 * wrong value that a later check rejects, never an exception. No allocation.
 */

export function u8(b: Uint8Array, off: number): number {
  return b[off] ?? 0;
}

export function u16(b: Uint8Array, off: number): number {
  return ((b[off] ?? 0) << 8) | (b[off + 1] ?? 0);
}

export function u32(b: Uint8Array, off: number): number {
  return (((b[off] ?? 0) << 24) | ((b[off + 1] ?? 0) << 16) | ((b[off + 2] ?? 0) << 8) | (b[off + 3] ?? 0)) >>> 0;
}

/**
 * Bytes [start, end) as a string, one char per octet (ISO 8859-1), so any
 * byte sequence survives decode and re-encode unchanged.
 */
export function latin1(b: Uint8Array, start: number, end: number): string {
  let s = '';
  const stop = Math.min(end, b.length);
  for (let i = start; i < stop; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/** Like `latin1`, but stops at the first NUL (C string in a fixed-size field). */
export function cString(b: Uint8Array, start: number, end: number): string {
  const stop = Math.min(end, b.length);
  let i = start;
  while (i < stop && b[i] !== 0) i++;
  return latin1(b, start, i);
}

/**
 * A small forward cursor over `bytes[start, end)`. Callers ask `has(n)`
 * before reading; a read past `end` anyway returns 0 (or an empty view),
 * sets the sticky `overrun` flag and leaves the position at `end`, in the
 * manner of insomniacslk's uio.Lexer, so one check after a run of reads is
 * enough.
 */
export class Reader {
  pos: number;
  readonly end: number;
  overrun = false;

  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    end = bytes.length,
  ) {
    this.end = Math.max(0, Math.min(end, bytes.length));
    this.pos = Math.max(0, Math.min(start, this.end));
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  has(n: number): boolean {
    return this.end - this.pos >= n;
  }

  private take(n: number): number {
    if (this.end - this.pos < n) {
      this.overrun = true;
      this.pos = this.end;
      return -1;
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(): number {
    const at = this.take(1);
    return at < 0 ? 0 : this.bytes[at]!;
  }

  u16(): number {
    const at = this.take(2);
    return at < 0 ? 0 : u16(this.bytes, at);
  }

  u32(): number {
    const at = this.take(4);
    return at < 0 ? 0 : u32(this.bytes, at);
  }

  /** A view (no copy) of the next `n` bytes. */
  bytesView(n: number): Uint8Array {
    const at = this.take(n);
    return at < 0 ? this.bytes.subarray(0, 0) : this.bytes.subarray(at, at + n);
  }

  skip(n: number): void {
    this.take(n);
  }
}

/** Whether two byte strings are equal. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
